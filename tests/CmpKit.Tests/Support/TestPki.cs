using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Tests.Support;

/// <summary>Test certificates made with .NET's CertificateRequest: CAs, server and client certificates.</summary>
public static class TestPki
{
    public sealed record Issued(X509Certificate2 Certificate, AsymmetricAlgorithm Key)
    {
        public X509Certificate2 WithKey() => Key switch
        {
            ECDsa ec => Certificate.CopyWithPrivateKey(ec),
            RSA rsa => Certificate.CopyWithPrivateKey(rsa),
            _ => throw new NotSupportedException(),
        };
    }

    public static Issued CreateRoot(string name = "CN=Test Root CA", DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var cert = req.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(5));
        return new Issued(X509CertificateLoader.LoadCertificate(cert.RawData), key);
    }

    public static AsymmetricAlgorithm NewKey(bool rsa = false) =>
        rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>Issues a certificate for <paramref name="subjectKey"/> (a key or a SubjectPublicKeyInfo) signed by <paramref name="issuer"/>.</summary>
    public static X509Certificate2 Issue(Issued issuer, string subject, byte[] subjectPublicKeyInfo,
        X509KeyUsageFlags? keyUsage = X509KeyUsageFlags.DigitalSignature, bool ca = false,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        var req = new CertificateRequest(new X500DistinguishedName(subject), publicKey, HashAlgorithmName.SHA256);
        if (ca)
        {
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        }
        if (keyUsage is { } ku)
        {
            req.CertificateExtensions.Add(new X509KeyUsageExtension(ku, true));
        }
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        var generator = issuer.Key switch
        {
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            _ => throw new NotSupportedException(),
        };
        var nb = notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-10);
        var na = notAfter ?? DateTimeOffset.UtcNow.AddYears(1);
        if (na > issuer.Certificate.NotAfter)
        {
            na = issuer.Certificate.NotAfter;
        }
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        return X509CertificateLoader.LoadCertificate(req.Create(issuer.Certificate.SubjectName, generator, nb, na, serial).RawData);
    }

    public static Issued IssueWithKey(Issued issuer, string subject, bool rsa = false,
        X509KeyUsageFlags? keyUsage = X509KeyUsageFlags.DigitalSignature, bool ca = false,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var key = NewKey(rsa);
        return new Issued(Issue(issuer, subject, key.ExportSubjectPublicKeyInfo(), keyUsage, ca, notBefore, notAfter), key);
    }
}
