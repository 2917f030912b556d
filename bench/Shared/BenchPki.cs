using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Bench;

/// <summary>The key type of every key of a benchmark PKI.</summary>
public enum KeyKind
{
    /// <summary>ECDSA with NIST P-256 and SHA-256.</summary>
    EcP256,

    /// <summary>RSA-2048, PKCS#1 v1.5 signatures with SHA-256.</summary>
    Rsa2048,
}

/// <summary>A certificate with its private key.</summary>
/// <param name="Certificate">The certificate (without the key attached).</param>
/// <param name="Key">Its private key.</param>
public sealed record Credential(X509Certificate2 Certificate, AsymmetricAlgorithm Key);

/// <summary>
/// The small PKI the benchmarks use, all keys of one <see cref="KeyKind"/>: a self-signed root CA (which
/// also issues the enrolled certificates), a server (CMP signer) certificate and a client certificate
/// issued by the root, and the key to be certified. Made fresh in memory; never read from disk.
/// </summary>
public sealed class BenchPki
{
    private BenchPki(KeyKind kind, Credential root, Credential server, Credential client, AsymmetricAlgorithm newKey, X509Certificate2 enrolled)
    {
        Kind = kind;
        Root = root;
        Server = server;
        Client = client;
        NewKey = newKey;
        Enrolled = enrolled;
    }

    /// <summary>The key type.</summary>
    public KeyKind Kind { get; }

    /// <summary>The root CA: trust anchor of client and server, and the CA that issues certificates.</summary>
    public Credential Root { get; }

    /// <summary>The certificate that signs the server's responses (OpenSSL's -srv_cert).</summary>
    public Credential Server { get; }

    /// <summary>The client's certificate for signature protection (OpenSSL's -cert/-key).</summary>
    public Credential Client { get; }

    /// <summary>The key every enrollment asks to certify (OpenSSL's -newkey).</summary>
    public AsymmetricAlgorithm NewKey { get; }

    /// <summary>A certificate for <see cref="NewKey"/> issued by the root: what a mock server configured with a fixed -rsp_cert returns.</summary>
    public X509Certificate2 Enrolled { get; }

    /// <summary>Creates the PKI (RSA key generation takes a second or two).</summary>
    /// <param name="kind">The key type of all keys.</param>
    public static BenchPki Create(KeyKind kind)
    {
        var rootKey = NewKeyOf(kind);
        var req = Request("CN=CmpKit Bench Root CA", rootKey);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var self = req.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        var root = new Credential(X509CertificateLoader.LoadCertificate(self.RawData), rootKey);
        var server = Issue(root, "CN=CmpKit Bench Server", NewKeyOf(kind));
        var client = Issue(root, "CN=CmpKit Bench Client", NewKeyOf(kind));
        var newKey = NewKeyOf(kind);
        var enrolled = Issue(root, "CN=CmpKit Bench Enrolled", newKey).Certificate;
        return new BenchPki(kind, root, server, client, newKey, enrolled);
    }

    /// <summary>A fresh key of <paramref name="kind"/>.</summary>
    /// <param name="kind">The key type.</param>
    public static AsymmetricAlgorithm NewKeyOf(KeyKind kind) =>
        kind == KeyKind.Rsa2048 ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static CertificateRequest Request(string subject, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new NotSupportedException(key.GetType().Name),
    };

    private static Credential Issue(Credential issuer, string subject, AsymmetricAlgorithm key)
    {
        var req = Request(subject, key);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        var generator = issuer.Key switch
        {
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            _ => throw new NotSupportedException(),
        };
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        var now = DateTimeOffset.UtcNow;
        using var cert = req.Create(issuer.Certificate.SubjectName, generator, now.AddMinutes(-10), issuer.Certificate.NotAfter, serial);
        return new Credential(X509CertificateLoader.LoadCertificate(cert.RawData), key);
    }

    /// <summary>The to-be-signed part and the signature value of a certificate (what a chain check verifies with the issuer's key).</summary>
    /// <param name="certificate">The certificate.</param>
    public static (byte[] Tbs, byte[] Signature) SignedParts(X509Certificate2 certificate)
    {
        var reader = new AsnReader(certificate.RawData, AsnEncodingRules.DER);
        var seq = reader.ReadSequence();
        var tbs = seq.ReadEncodedValue().ToArray();
        seq.ReadEncodedValue(); // signatureAlgorithm
        var signature = seq.ReadBitString(out _);
        return (tbs, signature);
    }

    /// <summary>Writes the PKI as PEM files into <paramref name="directory"/> (for child-process servers): root.crt/key,
    /// server.crt/key, client.crt/key, newkey.key, enrolled.crt. Keys are unencrypted PKCS#8.</summary>
    /// <param name="directory">An existing directory.</param>
    public void WritePem(string directory)
    {
        File.WriteAllText(Path.Combine(directory, "root.crt"), Root.Certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "root.key"), Root.Key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(directory, "server.crt"), Server.Certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server.key"), Server.Key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(directory, "client.crt"), Client.Certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "client.key"), Client.Key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(directory, "newkey.key"), NewKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(directory, "enrolled.crt"), Enrolled.ExportCertificatePem());
    }

    /// <summary>Reads a PKI written by <see cref="WritePem"/>.</summary>
    /// <param name="directory">The directory.</param>
    /// <param name="kind">The key type it was made with.</param>
    public static BenchPki ReadPem(string directory, KeyKind kind)
    {
        string Text(string name) => File.ReadAllText(Path.Combine(directory, name));
        X509Certificate2 Cert(string name) => X509Certificate2.CreateFromPem(Text(name));
        AsymmetricAlgorithm Key(string name)
        {
            AsymmetricAlgorithm key = kind == KeyKind.Rsa2048 ? RSA.Create() : ECDsa.Create();
            key.ImportFromPem(Text(name));
            return key;
        }
        var root = new Credential(Cert("root.crt"), Key("root.key"));
        return new BenchPki(kind, root, new Credential(Cert("server.crt"), Key("server.key")),
            new Credential(Cert("client.crt"), Key("client.key")), Key("newkey.key"), Cert("enrolled.crt"));
    }
}
