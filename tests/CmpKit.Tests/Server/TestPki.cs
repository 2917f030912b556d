using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Tests.Server;

/// <summary>A small PKI made with .NET's CertificateRequest: a root, and end-entity certificates under it.</summary>
internal sealed class TestPki
{
    public TestPki(string rootName = "CN=CmpKit Test Root")
    {
        RootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(rootName, RootKey, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var withKey = req.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        Root = X509CertificateLoader.LoadCertificate(withKey.RawData);
    }

    public ECDsa RootKey { get; }

    public X509Certificate2 Root { get; }

    public static AsymmetricAlgorithm NewKey(string kind) => kind switch
    {
        "RSA" => RSA.Create(2048),
        _ => ECDsa.Create(ECCurve.NamedCurves.nistP256),
    };

    /// <summary>An end-entity certificate for <paramref name="key"/> with digitalSignature key usage.</summary>
    public X509Certificate2 Issue(string subject, AsymmetricAlgorithm key)
    {
        var req = key switch
        {
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
            _ => throw new ArgumentException("unsupported key", nameof(key)),
        };
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var cert = req.Create(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(RootKey), now.AddDays(-1), now.AddYears(1), serial);
        return X509CertificateLoader.LoadCertificate(cert.RawData);
    }
}
