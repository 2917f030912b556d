using System.Security.Cryptography;

namespace CmpKit.Protection;

/// <summary>
/// PasswordBasedMac's base key (RFC 4211, section 4.4): the one-way function applied iterationCount
/// times, first to secret || salt, then to its own output.
/// </summary>
/// <remarks>
/// <para>
/// Each iteration hashes 32 bytes (SHA-256), and what costs is the call, not the hash: .NET's digest API
/// takes ~300-450 ns per call on Linux (a SafeHandle, OpenSSL 3.0's provider dispatch, resetting the
/// context, clearing OpenSSL's error queue), where the hash itself takes ~60 ns with the CPU's SHA
/// instructions. OpenSSL's mock server and client use 500 iterations, and a transaction derives three keys
/// (the request's, and those of the two responses, each with its own salt): that was a third of the CLI's
/// CPU per MAC-protected transaction (docs/performance.md).
/// </para>
/// <para>
/// So for SHA-256 on Linux the iterations call SHA256_Init/Update/Final of OpenSSL's libcrypto, the library
/// .NET's own cryptography uses there (<see cref="Libcrypto"/>).
/// Where it is not found, or a call fails, and for the other hashes, .NET's <see cref="IncrementalHash"/>
/// derives the key. Both give the same key; tests compare them.
/// </para>
/// </remarks>
internal static unsafe class PbmBaseKey
{
    /// <summary>Whether libcrypto's SHA-256 functions were found.</summary>
    internal static bool LibcryptoAvailable => Sha256Functions.Available;

    /// <summary>The base key (the one-way function's output length); the caller clears it when done.</summary>
    public static byte[] Derive(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> salt, HashAlgorithmName owf, int iterations)
    {
        if (owf == HashAlgorithmName.SHA256)
        {
            var key = new byte[32];
            if (TryDeriveSha256(secret, salt, iterations, key))
            {
                return key;
            }
            CryptographicOperations.ZeroMemory(key);
        }
        return DeriveWithDotNet(secret, salt, owf, iterations);
    }

    /// <summary>The base key with .NET's digest API: one context for all iterations (a one-shot hash per iteration sets up a context each time).</summary>
    internal static byte[] DeriveWithDotNet(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> salt, HashAlgorithmName owf, int iterations)
    {
        using var hash = IncrementalHash.CreateHash(owf);
        var key = new byte[hash.HashLengthInBytes];
        hash.AppendData(secret);
        hash.AppendData(salt);
        hash.GetHashAndReset(key);
        for (int i = 1; i < iterations; i++)
        {
            hash.AppendData(key);
            hash.GetHashAndReset(key);
        }
        return key;
    }

    /// <summary>The SHA-256 base key with libcrypto's functions; false if they are not there or one failed.</summary>
    internal static bool TryDeriveSha256(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> salt, int iterations, Span<byte> key)
    {
        if (!Sha256Functions.Available || key.Length != 32)
        {
            return false;
        }
        // SHA256_CTX is 112 bytes; it holds the last block hashed (the secret, then intermediate keys): cleared below.
        Span<byte> context = stackalloc byte[256];
        try
        {
            fixed (byte* c = context, s = secret, t = salt, k = key)
            {
                bool ok = Sha256Functions.Init(c) == 1 && Sha256Functions.Update(c, s, (nuint)secret.Length) == 1
                    && Sha256Functions.Update(c, t, (nuint)salt.Length) == 1 && Sha256Functions.Final(k, c) == 1;
                for (int i = 1; ok && i < iterations; i++)
                {
                    ok = Sha256Functions.Init(c) == 1 && Sha256Functions.Update(c, k, 32) == 1 && Sha256Functions.Final(k, c) == 1;
                }
                return ok;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(context);
        }
    }

    /// <summary>libcrypto's SHA256_Init, SHA256_Update and SHA256_Final, looked up once.</summary>
    private static class Sha256Functions
    {
        public static readonly delegate* unmanaged<byte*, int> Init;
        public static readonly delegate* unmanaged<byte*, byte*, nuint, int> Update;
        public static readonly delegate* unmanaged<byte*, byte*, int> Final;
        public static readonly bool Available;

        static Sha256Functions()
        {
            if (Libcrypto.TryGetExport("SHA256_Init", out var init)
                && Libcrypto.TryGetExport("SHA256_Update", out var update)
                && Libcrypto.TryGetExport("SHA256_Final", out var final))
            {
                Init = (delegate* unmanaged<byte*, int>)init;
                Update = (delegate* unmanaged<byte*, byte*, nuint, int>)update;
                Final = (delegate* unmanaged<byte*, byte*, int>)final;
                Available = true;
            }
        }
    }
}
