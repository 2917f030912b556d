using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Messages;

/// <summary>
/// Certificates received in messages, parsed once per process: the same CA and server certificates come
/// in the extraCerts and caPubs of every response (and a client's chain in every request), and parsing DER
/// into an <see cref="X509Certificate2"/> costs more than verifying an ECDSA signature (OpenSSL 3.0 decodes
/// each certificate's public key through its decoder framework: about 120 us per certificate on the
/// machine of docs/performance.md, against 0.5 us for a copy of a parsed one).
/// </summary>
/// <remarks>
/// The key is the whole DER encoding (compared byte for byte, not only by a hash), so a hit is the same
/// certificate. Callers get their own <see cref="X509Certificate2"/> that shares the parsed certificate
/// (a reference count in OpenSSL), so disposing it leaves the cached one intact. Bounded: at most
/// <see cref="MaxEntries"/> certificates of at most <see cref="MaxEncodedLength"/> bytes (<see cref="DerKeyedCache{T}"/>);
/// when full it starts over, leaving the certificates it held to their finalizers (another thread may be
/// copying one at that moment). A certificate is immutable; nothing about trust is remembered here.
/// </remarks>
internal static class ParsedCertificateCache
{
    /// <summary>The most certificates remembered.</summary>
    public const int MaxEntries = 512;

    /// <summary>Larger certificates are parsed every time (they are rare, and would make the cache large).</summary>
    public const int MaxEncodedLength = 16 * 1024;

    private static readonly DerKeyedCache<X509Certificate2> Entries = new(MaxEntries);

    /// <summary>An <see cref="X509Certificate2"/> of <paramref name="der"/> that the caller owns.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The DER is not a certificate.</exception>
    public static X509Certificate2 Load(byte[] der) => der.Length > MaxEncodedLength
        ? X509CertificateLoader.LoadCertificate(der)
        : new X509Certificate2(Entries.GetOrAdd(der, der, static d => X509CertificateLoader.LoadCertificate(d))!);

    /// <summary>Whether <paramref name="der"/> is remembered (for tests).</summary>
    internal static bool Contains(byte[] der) => Entries.Contains(der);
}
