using System.Runtime.InteropServices;

namespace CmpKit.Cli.Commands;

/// <summary>
/// Keeps .NET from loading the system's trusted certificates into the cmpkit process (Linux). cmpkit trusts
/// only what it is given (-trusted, -srvcert, -tls_trusted, ... as openssl cmp does), but the first
/// X509Chain in a process reads every certificate under /etc/ssl/certs, even with custom root trust: about
/// four fifths of a one-shot enrollment's start-up (docs/performance.md). Pointing OpenSSL's
/// SSL_CERT_FILE and SSL_CERT_DIR at nothing, for this process only, skips that.
/// </summary>
internal static class SystemTrustStore
{
    private const string Nowhere = "/nonexistent/cmpkit-uses-no-system-trust-store";

    /// <summary>
    /// Points SSL_CERT_FILE and SSL_CERT_DIR at nothing for this process (Linux; before any X509Chain). Also
    /// when they are set: no trust decision of cmpkit uses the system store (TLS without -tls_trusted does not
    /// authenticate the server, as in openssl cmp; with it, only those certificates are trusted).
    /// </summary>
    public static void KeepOut()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        // The native environment (OpenSSL reads it with getenv), not only .NET's view of it. glibc is
        // libc.so.6 ("libc.so" is a linker script there); musl's is libc.so.
        try
        {
            _ = SetEnvGlibc("SSL_CERT_FILE", Nowhere, 1);
            _ = SetEnvGlibc("SSL_CERT_DIR", Nowhere, 1);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            try
            {
                _ = SetEnvOther("SSL_CERT_FILE", Nowhere, 1);
                _ = SetEnvOther("SSL_CERT_DIR", Nowhere, 1);
            }
            catch (Exception e2) when (e2 is DllNotFoundException or EntryPointNotFoundException)
            {
                // No setenv found: the store is loaded as before, nothing else changes.
            }
        }
    }

    [DllImport("libc.so.6", EntryPoint = "setenv")]
    private static extern int SetEnvGlibc([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnvOther([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
