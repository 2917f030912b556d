using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;

namespace CmpKit.Protection;

/// <summary>
/// The public keys of signers' certificates, made once per certificate per process for verifying signatures.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="X509Certificate2"/> makes a new key object on every <c>GetRSAPublicKey</c> or
/// <c>GetECDsaPublicKey</c>, and on OpenSSL 3.0 an RSA key costs ~150 us that way (decoded through its decoder
/// framework), seven times the RSA-2048 verification it is made for; every response of a transaction is
/// signed with the same server certificate (and every request a server checks with the same client
/// certificate), so the key is made again for the same certificate each time. Keys are made by
/// <see cref="SubjectPublicKeys"/> (~10 us for EC, ~15 us for RSA, instead of .NET's 120-170 us, where libcrypto allows it).
/// </para>
/// <para>
/// The key is the whole certificate DER (compared byte for byte), so a hit is the same certificate, and nothing
/// about trust is remembered. The key objects are shared: they only verify, and .NET's RSA and ECDsa objects keep
/// no state per operation (on Linux each verification gets its own OpenSSL context). Bounded: at most
/// <see cref="MaxEntries"/> certificates (<see cref="DerKeyedCache{T}"/>); when full it starts over, and keys
/// in use elsewhere are left to their finalizers rather than disposed under a concurrent verification.
/// </para>
/// </remarks>
internal static class PublicKeyCache
{
    /// <summary>The most certificates whose keys are remembered.</summary>
    public const int MaxEntries = 256;

    private static readonly DerKeyedCache<AsymmetricAlgorithm> Keys = new(MaxEntries);

    /// <summary>The certificate's RSA public key, or null if it has none (not to be disposed: it is shared).</summary>
    /// <exception cref="CryptographicException">The key cannot be read.</exception>
    public static RSA? Rsa(X509Certificate2 certificate) =>
        Keys.GetOrAdd(certificate.RawDataMemory.Span, certificate, static c => SubjectPublicKeys.RsaOf(c)) as RSA;

    /// <summary>The certificate's ECDSA public key, or null if it has none (not to be disposed: it is shared).</summary>
    /// <exception cref="CryptographicException">The key cannot be read.</exception>
    /// <remarks>A certificate remembered with the other kind of key gives null, as X509Certificate2 would.</remarks>
    public static ECDsa? ECDsa(X509Certificate2 certificate) =>
        Keys.GetOrAdd(certificate.RawDataMemory.Span, certificate, static c => SubjectPublicKeys.ECDsaOf(c)) as ECDsa;

    /// <summary>Whether a key is remembered for this certificate (for tests).</summary>
    internal static bool Contains(X509Certificate2 certificate) => Keys.Contains(certificate.RawDataMemory.Span);
}
