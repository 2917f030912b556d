using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Server;

public sealed partial class CmpServer
{
    // Certificates from the extraCerts of requests whose protection verified, oldest first (OpenSSL's server keeps
    // them in its untrusted certificates unless -no_cache_extracerts). Bounded; duplicates kept once.
    private readonly Lock _extraCertsLock = new();
    private readonly List<X509Certificate2> _cachedExtraCerts = [];
    private readonly HashSet<string> _cachedExtraCertHashes = new(StringComparer.Ordinal);

    /// <summary>The certificates kept from requests' extraCerts (see <see cref="MockCaOptions.NoCacheExtraCerts"/>), oldest first.</summary>
    public IReadOnlyList<X509Certificate2> CachedExtraCertificates
    {
        get
        {
            lock (_extraCertsLock)
            {
                return [.. _cachedExtraCerts];
            }
        }
    }

    /// <summary>Keeps the extraCerts of a request whose protection verified, unless configured not to.</summary>
    private void CacheExtraCerts(PkiMessage message, List<X509Certificate2>? decoded)
    {
        if (_options.NoCacheExtraCerts || _options.MaxCachedExtraCerts == 0)
        {
            return;
        }
        List<X509Certificate2> certificates;
        try
        {
            // Signed requests had them decoded for the signature check already.
            certificates = decoded ?? Certificates.ToDotNet(message.GetExtraCerts());
        }
        catch (CmpException)
        {
            return; // nothing usable to keep
        }
        lock (_extraCertsLock)
        {
            foreach (var certificate in certificates)
            {
                if (!_cachedExtraCertHashes.Add(Convert.ToHexString(SHA256.HashData(certificate.RawData))))
                {
                    continue;
                }
                _cachedExtraCerts.Add(certificate);
                while (_cachedExtraCerts.Count > _options.MaxCachedExtraCerts)
                {
                    _cachedExtraCertHashes.Remove(Convert.ToHexString(SHA256.HashData(_cachedExtraCerts[0].RawData)));
                    _cachedExtraCerts.RemoveAt(0);
                }
            }
        }
    }
}
