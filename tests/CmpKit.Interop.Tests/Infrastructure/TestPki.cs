using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>Key algorithms the test PKI can create.</summary>
public enum TestKeyType
{
    /// <summary>ECDSA on NIST P-256, signatures with SHA-256.</summary>
    EcP256,

    /// <summary>RSA 2048-bit, PKCS#1 v1.5 signatures with SHA-256.</summary>
    Rsa2048,
}

/// <summary>A certificate, its private key, and the PEM files they were written to.</summary>
public sealed class TestCredential
{
    internal TestCredential(X509Certificate2 certificate, AsymmetricAlgorithm key, string certPath, string keyPath, string chainPath)
    {
        Certificate = certificate;
        Key = key;
        CertPath = certPath;
        KeyPath = keyPath;
        ChainPath = chainPath;
    }

    /// <summary>The certificate (without private key attached).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The private key (<see cref="RSA"/> or <see cref="ECDsa"/>).</summary>
    public AsymmetricAlgorithm Key { get; }

    /// <summary>PEM file holding only this certificate.</summary>
    public string CertPath { get; }

    /// <summary>Unencrypted PKCS#8 PEM file ("BEGIN PRIVATE KEY") holding the private key.</summary>
    public string KeyPath { get; }

    /// <summary>
    /// PEM file with this certificate followed by its issuing CA certificates up to, but not
    /// including, the root (so it equals <see cref="CertPath"/>'s content for the root and for
    /// certificates the root issued directly). Suits <c>openssl cmp -cert</c>, which sends the
    /// extra certificates in extraCerts.
    /// </summary>
    public string ChainPath { get; }

    /// <summary>The certificate's subject DN in OpenSSL's <c>/CN=.../O=...</c> form (for -subject, -recipient, ...).</summary>
    public string OpenSslSubject => TestPki.ToOpenSslName(Certificate.SubjectName);

    internal TestCredential? Issuer { get; init; }
}

/// <summary>
/// A fresh throw-away PKI made with .NET's <see cref="CertificateRequest"/> in a temporary folder:
/// root CA, intermediate CA (issued by the root), CMP server certificate (issued by the root) and
/// client certificate (issued by the intermediate), both end-entity certificates with keyUsage
/// digitalSignature. Every certificate and key is written as PEM. The folder and keys go away on
/// <see cref="Dispose"/>.
/// </summary>
public sealed class TestPki : IDisposable
{
    private static readonly PbeParameters s_keyEncryption = new(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000);
    private readonly List<IDisposable> _owned = [];
    private bool _disposed;

    /// <summary>Creates the PKI.</summary>
    /// <param name="keyType">Key algorithm for all four standard credentials.</param>
    /// <param name="validity">Validity of the end-entity certificates (CAs get ten times as much); default one day.</param>
    public TestPki(TestKeyType keyType = TestKeyType.EcP256, TimeSpan? validity = null)
    {
        KeyType = keyType;
        Validity = validity ?? TimeSpan.FromDays(1);
        Directory = System.IO.Directory.CreateTempSubdirectory("cmpkit-pki-").FullName;
        try
        {
            Root = CreateRoot("CN=CmpKit Test Root CA, O=CmpKit Tests", "root", keyType, Validity * 10);
            Intermediate = Issue(Root, "CN=CmpKit Test Intermediate CA, O=CmpKit Tests", "intermediate",
                keyType, keyUsage: X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, isCa: true, validity: Validity * 10);
            Server = Issue(Root, "CN=CmpKit Test CMP Server, O=CmpKit Tests", "server", keyType);
            Client = Issue(Intermediate, "CN=CmpKit Test Client, O=CmpKit Tests", "client", keyType);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The temporary folder holding all files; deleted on dispose.</summary>
    public string Directory { get; }

    /// <summary>Key algorithm of the standard credentials.</summary>
    public TestKeyType KeyType { get; }

    /// <summary>Default validity of end-entity certificates.</summary>
    public TimeSpan Validity { get; }

    /// <summary>Self-signed root CA.</summary>
    public TestCredential Root { get; }

    /// <summary>Intermediate CA issued by <see cref="Root"/>.</summary>
    public TestCredential Intermediate { get; }

    /// <summary>CMP server (RA/CA) signing certificate issued by <see cref="Root"/>, keyUsage digitalSignature.</summary>
    public TestCredential Server { get; }

    /// <summary>Client (CMP signer) certificate issued by <see cref="Intermediate"/>, keyUsage digitalSignature.</summary>
    public TestCredential Client { get; }

    /// <summary>Creates a new key pair: <see cref="ECDsa"/> P-256 or <see cref="RSA"/> 2048.</summary>
    public static AsymmetricAlgorithm CreateKey(TestKeyType keyType) => keyType switch
    {
        TestKeyType.EcP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        TestKeyType.Rsa2048 => RSA.Create(2048),
        _ => throw new ArgumentOutOfRangeException(nameof(keyType), keyType, null),
    };

    /// <summary>Full path for a file in <see cref="Directory"/> (the file is not created).</summary>
    public string PathFor(string fileName) => Path.Combine(Directory, fileName);

    /// <summary>Creates a key (owned by this PKI) and writes it as PKCS#8 PEM.</summary>
    /// <param name="fileStem">File name without extension; the file is <c>&lt;stem&gt;.key.pem</c>.</param>
    /// <param name="keyType">Key algorithm; default <see cref="KeyType"/>.</param>
    /// <param name="passphrase">When given, the PEM is encrypted ("BEGIN ENCRYPTED PRIVATE KEY", PBES2/AES-256-CBC).</param>
    public (AsymmetricAlgorithm Key, string KeyPath) CreateKeyFile(string fileStem, TestKeyType? keyType = null, string? passphrase = null)
    {
        AsymmetricAlgorithm key = Own(CreateKey(keyType ?? KeyType));
        return (key, WriteKey(key, fileStem, passphrase));
    }

    /// <summary>Writes a private key as PKCS#8 PEM, unencrypted or encrypted with <paramref name="passphrase"/>.</summary>
    /// <returns>The path of <c>&lt;stem&gt;.key.pem</c> (or <c>&lt;stem&gt;.enc.key.pem</c> when encrypted).</returns>
    public string WriteKey(AsymmetricAlgorithm key, string fileStem, string? passphrase = null)
    {
        string pem = passphrase is null
            ? key.ExportPkcs8PrivateKeyPem()
            : key.ExportEncryptedPkcs8PrivateKeyPem(passphrase, s_keyEncryption);
        string path = PathFor(fileStem + (passphrase is null ? ".key.pem" : ".enc.key.pem"));
        File.WriteAllText(path, pem + "\n");
        return path;
    }

    /// <summary>Writes certificates, in order, to one PEM file <c>&lt;stem&gt;.pem</c> and returns its path.</summary>
    public string WriteCertificates(string fileStem, params IEnumerable<X509Certificate2> certificates)
    {
        string path = PathFor(fileStem + ".pem");
        File.WriteAllText(path, string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n")));
        return path;
    }

    /// <summary>Issues a certificate from <paramref name="issuer"/> and writes its PEM files.</summary>
    /// <param name="issuer">The issuing CA credential.</param>
    /// <param name="subjectDn">Subject DN in .NET form, e.g. <c>"CN=leaf, O=Example"</c>.</param>
    /// <param name="fileStem">File name stem: <c>&lt;stem&gt;.cert.pem</c>, <c>&lt;stem&gt;.key.pem</c>, <c>&lt;stem&gt;.chain.pem</c>.</param>
    /// <param name="keyType">Key algorithm of a new key; default <see cref="KeyType"/>. Ignored when <paramref name="key"/> is given.</param>
    /// <param name="key">An existing key to certify (e.g. a client's <c>-newkey</c>); the caller keeps ownership.</param>
    /// <param name="keyUsage">keyUsage (critical); default digitalSignature.</param>
    /// <param name="isCa">basicConstraints cA; CAs get pathLenConstraint 0 when issued by a non-root.</param>
    /// <param name="validity">Validity from now (minus five minutes for clock skew); default <see cref="Validity"/>,
    /// clamped to the issuer's notAfter. A negative value makes an expired certificate.</param>
    public TestCredential Issue(
        TestCredential issuer,
        string subjectDn,
        string fileStem,
        TestKeyType? keyType = null,
        AsymmetricAlgorithm? key = null,
        X509KeyUsageFlags keyUsage = X509KeyUsageFlags.DigitalSignature,
        bool isCa = false,
        TimeSpan? validity = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        key ??= Own(CreateKey(keyType ?? KeyType));
        CertificateRequest request = CreateRequest(new X500DistinguishedName(subjectDn), key);
        AddExtensions(request, keyUsage, isCa, pathLength: isCa ? 0 : null);
        request.CertificateExtensions.Add(
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        DateTimeOffset notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        DateTimeOffset notAfter = DateTimeOffset.UtcNow + (validity ?? Validity);
        DateTimeOffset issuerNotAfter = new(issuer.Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter > issuerNotAfter)
        {
            notAfter = issuerNotAfter;
        }

        if (notAfter <= notBefore)
        {
            notBefore = notAfter.AddMinutes(-5); // expired certificate on request
        }

        X509Certificate2 certificate = Own(request.Create(
            issuer.Certificate.SubjectName, CreateGenerator(issuer.Key), notBefore, notAfter, NewSerialNumber()));

        var chain = new List<X509Certificate2> { certificate };
        for (TestCredential? ca = issuer; ca?.Issuer is not null; ca = ca.Issuer)
        {
            chain.Add(ca.Certificate);
        }

        return new TestCredential(
            certificate,
            key,
            WriteCertificates(fileStem + ".cert", certificate),
            WriteKey(key, fileStem),
            WriteCertificates(fileStem + ".chain", chain))
        {
            Issuer = issuer,
        };
    }

    /// <summary>Formats a DN the way <c>openssl cmp</c> options take it: <c>/CN=a/O=b</c> (most significant RDN first).</summary>
    public static string ToOpenSslName(X500DistinguishedName name) =>
        "/" + string.Join('/', name.EnumerateRelativeDistinguishedNames(reversed: false)
            .Select(rdn => $"{ShortName(rdn.GetSingleElementType())}={Escape(rdn.GetSingleElementValue() ?? "")}"));

    /// <summary>Disposes keys and certificates and deletes <see cref="Directory"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (IDisposable d in _owned)
        {
            d.Dispose();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private TestCredential CreateRoot(string subjectDn, string fileStem, TestKeyType keyType, TimeSpan validity)
    {
        AsymmetricAlgorithm key = Own(CreateKey(keyType));
        CertificateRequest request = CreateRequest(new X500DistinguishedName(subjectDn), key);
        AddExtensions(request, X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, isCa: true, pathLength: null);
        X509Certificate2 certificate = Own(request.Create(
            request.SubjectName, CreateGenerator(key), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow + validity, NewSerialNumber()));
        string certPath = WriteCertificates(fileStem + ".cert", certificate);
        return new TestCredential(certificate, key, certPath, WriteKey(key, fileStem), certPath);
    }

    private static CertificateRequest CreateRequest(X500DistinguishedName subject, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException($"Unsupported key type {key.GetType().Name}.", nameof(key)),
    };

    private static X509SignatureGenerator CreateGenerator(AsymmetricAlgorithm issuerKey) => issuerKey switch
    {
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException($"Unsupported key type {issuerKey.GetType().Name}.", nameof(issuerKey)),
    };

    private static void AddExtensions(CertificateRequest request, X509KeyUsageFlags keyUsage, bool isCa, int? pathLength)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, pathLength.HasValue, pathLength ?? 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
    }

    private static byte[] NewSerialNumber()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40); // positive, no leading zero octet
        return serial;
    }

    private static string ShortName(Oid? type) => type?.Value switch
    {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "1.2.840.113549.1.9.1" => "emailAddress",
        { } oid => oid,
        null => throw new ArgumentException("RDN without a single attribute type."),
    };

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("/", "\\/").Replace("+", "\\+");

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
