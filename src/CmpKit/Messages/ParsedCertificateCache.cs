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
/// <see cref="MaxEntries"/> certificates of at most <see cref="MaxEncodedLength"/> bytes; when full it starts
/// over. A certificate is immutable; nothing about trust is remembered here.
/// </remarks>
internal static class ParsedCertificateCache
{
    /// <summary>The most certificates remembered.</summary>
    public const int MaxEntries = 512;

    /// <summary>Larger certificates are parsed every time (they are rare, and would make the cache large).</summary>
    public const int MaxEncodedLength = 16 * 1024;

    private static readonly Dictionary<byte[], X509Certificate2> Entries = new(DerComparer.Instance);
    private static readonly Lock Gate = new();

    /// <summary>An <see cref="X509Certificate2"/> of <paramref name="der"/> that the caller owns.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The DER is not a certificate.</exception>
    public static X509Certificate2 Load(byte[] der)
    {
        if (der.Length > MaxEncodedLength)
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        lock (Gate)
        {
            if (Entries.TryGetValue(der, out var known))
            {
                return new X509Certificate2(known);
            }
        }
        var parsed = X509CertificateLoader.LoadCertificate(der);
        X509Certificate2? dropped = null;
        lock (Gate)
        {
            if (Entries.TryGetValue(der, out var known))
            {
                dropped = parsed; // another thread parsed it meanwhile
                parsed = known;
            }
            else
            {
                if (Entries.Count >= MaxEntries)
                {
                    foreach (var old in Entries.Values)
                    {
                        // Copies handed out hold their own reference to the parsed certificate.
                        old.Dispose();
                    }
                    Entries.Clear();
                }
                Entries.Add((byte[])der.Clone(), parsed); // the key must not change with the caller's array
            }
            var copy = new X509Certificate2(parsed);
            dropped?.Dispose();
            return copy;
        }
    }

    /// <summary>Whether <paramref name="der"/> is remembered (for tests).</summary>
    internal static bool Contains(byte[] der)
    {
        lock (Gate)
        {
            return Entries.ContainsKey(der);
        }
    }
}
