using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace CmpKit.Protection;

/// <summary>
/// OpenSSL's libcrypto on Linux, the library .NET's own cryptography uses there, for the few calls where .NET's
/// API costs several times the operation (PbmBaseKey's SHA-256 iterations, SubjectPublicKeys' key import).
/// Looked up once by the names .NET tries first (libcrypto.so.3, then libcrypto.so.1.1); absent elsewhere.
/// </summary>
internal static class Libcrypto
{
    private static readonly IntPtr Handle = Load(out Version);

    /// <summary>OpenSSL_version_num() of the library found, or 0 if none was.</summary>
    public static readonly long Version;

    /// <summary>
    /// Whether objects made here may be handed to .NET (e.g. an EVP_PKEY to <see cref="SafeEvpPKeyHandle"/>):
    /// OpenSSL 3 on Linux, and the same version .NET loaded. dlopen returns the library already loaded under
    /// that soname, so together the two are the same library; otherwise an object made by one library would be
    /// freed by another.
    /// </summary>
    public static bool SharedWithDotNet { get; } = Handle != IntPtr.Zero && Version >= 0x3000_0000L && SameAsDotNet();

    /// <summary>The address of the libcrypto function <paramref name="name"/>, or false if there is none.</summary>
    public static bool TryGetExport(string name, out IntPtr address)
    {
        address = IntPtr.Zero;
        return Handle != IntPtr.Zero && NativeLibrary.TryGetExport(Handle, name, out address);
    }

    private static IntPtr Load(out long version)
    {
        version = 0;
        if (!OperatingSystem.IsLinux())
        {
            return IntPtr.Zero;
        }
        foreach (var name in (string[])["libcrypto.so.3", "libcrypto.so.1.1"])
        {
            if (NativeLibrary.TryLoad(name, out var library))
            {
                unsafe
                {
                    if (NativeLibrary.TryGetExport(library, "OpenSSL_version_num", out var versionNum))
                    {
                        version = (long)((delegate* unmanaged<nuint>)versionNum)();
                    }
                }
                return library;
            }
        }
        return IntPtr.Zero;
    }

    private static bool SameAsDotNet()
    {
        try
        {
            return OperatingSystem.IsLinux() && SafeEvpPKeyHandle.OpenSslVersion == Version;
        }
        catch (Exception e) when (e is PlatformNotSupportedException or TypeInitializationException or DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
