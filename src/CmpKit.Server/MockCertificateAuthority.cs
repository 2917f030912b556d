using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using CmpKit.Messages;

namespace CmpKit.Server;

/// <summary>
/// A minimal CA for tests and demos: signs whatever the CMP server accepted with a CA certificate
/// and key, copying the requested extensions it understands (subjectAltName, keyUsage,
/// extendedKeyUsage, certificatePolicies) and adding basicConstraints cA=FALSE, a subject key
/// identifier and an authority key identifier.
/// </summary>
public sealed class MockCertificateAuthority : ICertificateAuthority
{
    // Requested extensions that are copied into issued certificates.
    private static readonly HashSet<string> CopiedExtensions =
    [
        "2.5.29.17", // subjectAltName
        "2.5.29.15", // keyUsage
        "2.5.29.37", // extendedKeyUsage
        "2.5.29.32", // certificatePolicies
    ];

    // basicConstraints with cA FALSE: an empty SEQUENCE (RFC 5280, section 4.2.1.9).
    private static readonly byte[] BasicConstraintsNotCa = [0x30, 0x00];

    private readonly AsymmetricAlgorithm _key;
    private readonly X509SignatureGenerator _generator;
    private readonly AlgorithmIdentifier _signatureAlgorithm;
    private readonly byte[] _signatureAlgorithmDer;
    private readonly X509Name _issuer;
    private readonly byte[] _authorityKeyIdentifier;
    private readonly DateTimeOffset _notBefore;
    private readonly DateTimeOffset _notAfter;

    /// <summary>Creates a CA from a CA certificate and its private key.</summary>
    /// <param name="certificate">The CA certificate.</param>
    /// <param name="key">Its private key (RSA or ECDsa).</param>
    /// <exception cref="ArgumentException">The key is neither RSA nor ECDsa, or does not belong to the certificate.</exception>
    public MockCertificateAuthority(X509Certificate2 certificate, AsymmetricAlgorithm key)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(key);
        if (key is not (RSA or ECDsa))
        {
            throw new ArgumentException("the CA key must be RSA or ECDsa", nameof(key));
        }
        if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new ArgumentException("the CA key does not belong to the CA certificate", nameof(key));
        }
        Certificate = certificate;
        _key = key;
        // What every issued certificate takes from the CA, worked out once.
        _generator = key is ECDsa ec ? X509SignatureGenerator.CreateForECDsa(ec) : X509SignatureGenerator.CreateForRSA((RSA)key, RSASignaturePadding.Pkcs1);
        _signatureAlgorithm = AlgorithmIdentifier.GetInstance(Asn1Object.FromByteArray(_generator.GetSignatureAlgorithmIdentifier(HashAlgorithmName.SHA256)));
        _signatureAlgorithmDer = _signatureAlgorithm.GetEncoded(Asn1Encodable.Der);
        _issuer = X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(certificate.RawData)).Subject;
        _authorityKeyIdentifier = X509AuthorityKeyIdentifierExtension.CreateFromCertificate(certificate, true, false).RawData;
        _notBefore = new DateTimeOffset(certificate.NotBefore);
        _notAfter = new DateTimeOffset(certificate.NotAfter);
    }

    /// <inheritdoc />
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA's private key.</summary>
    public AsymmetricAlgorithm Key => _key;

    /// <summary>
    /// Creates a CA with a fresh EC P-256 key and a self-signed root certificate, valid from one hour
    /// ago for ten years. Its keyUsage also allows digitalSignature so that it can sign CMP messages.
    /// </summary>
    /// <param name="subject">The CA's name (default "CN=CmpKit Mock CA").</param>
    /// <param name="timeProvider">The clock (default: system).</param>
    public static MockCertificateAuthority CreateEphemeral(string subject = "CN=CmpKit Mock CA", TimeProvider? timeProvider = null)
    {
        var time = timeProvider ?? TimeProvider.System;
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        using var withKey = request.CreateSelfSigned(now.AddHours(-1), now.AddYears(10));
        var certificate = X509CertificateLoader.LoadCertificate(withKey.RawData);
        return new MockCertificateAuthority(certificate, key);
    }

    /// <inheritdoc />
    public X509Certificate2 Issue(CertificateIssuanceRequest request) => X509CertificateLoader.LoadCertificate(IssueEncoded(request));

    /// <inheritdoc />
    /// <remarks>
    /// The certificate is assembled and signed here rather than with <see cref="CertificateRequest.Create(X500DistinguishedName, X509SignatureGenerator, DateTimeOffset, DateTimeOffset, ReadOnlySpan{byte})"/>,
    /// which parses what it has just signed into an <see cref="X509Certificate2"/>: with OpenSSL 3.0 that parse
    /// costs five times the CA's ECDSA signature (docs/performance.md), and <see cref="CmpServer"/> needs only the DER.
    /// </remarks>
    public byte[] IssueEncoded(CertificateIssuanceRequest request) => IssueCertificate(request).Der;

    /// <summary>
    /// <see cref="IssueEncoded"/> with the certificate's structure as it was built, so that <see cref="CmpServer"/>
    /// need not decode the DER again.
    /// </summary>
    internal IssuedCertificate IssueCertificate(CertificateIssuanceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        PublicKey publicKey;
        SubjectPublicKeyInfo keyInfo;
        try
        {
            publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(request.SubjectPublicKeyInfo.Span, out _);
            keyInfo = SubjectPublicKeyInfo.GetInstance(Asn1Object.FromByteArray(request.SubjectPublicKeyInfo.ToArray()));
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or InvalidCastException)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "the public key to certify cannot be read: " + e.Message, innerException: e);
        }

        // Never beyond the CA's own validity (RFC 5280, section 6.1.3 would reject the path anyway).
        var notBefore = request.NotBefore < _notBefore ? _notBefore : request.NotBefore;
        var notAfter = request.NotAfter > _notAfter ? _notAfter : request.NotAfter;
        if (notAfter <= notBefore)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "the requested validity is empty or outside the CA's validity");
        }

        var extensions = new X509ExtensionsGenerator();
        extensions.AddExtension(X509Extensions.BasicConstraints, true, BasicConstraintsNotCa);
        foreach (var e in request.Extensions)
        {
            if (e.Oid?.Value is { } oid && CopiedExtensions.Contains(oid) && new DerObjectIdentifier(oid) is var id && !extensions.HasExtension(id))
            {
                extensions.AddExtension(id, e.Critical, e.RawData);
            }
        }
        extensions.AddExtension(X509Extensions.SubjectKeyIdentifier, false, new X509SubjectKeyIdentifierExtension(publicKey, false).RawData);
        extensions.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, _authorityKeyIdentifier);

        var serial = new byte[16];
        PublicRandom.Fill(serial);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40); // positive, 16 bytes
        var tbs = new V3TbsCertificateGenerator();
        tbs.SetSerialNumber(new DerInteger(new Org.BouncyCastle.Math.BigInteger(1, serial)));
        tbs.SetSignature(_signatureAlgorithm);
        tbs.SetIssuer(_issuer);
        tbs.SetStartDate(new Time(notBefore.UtcDateTime));
        tbs.SetEndDate(new Time(notAfter.UtcDateTime));
        tbs.SetSubject(X509Name.GetInstance(Asn1Object.FromByteArray(request.Subject.RawData)));
        tbs.SetSubjectPublicKeyInfo(keyInfo);
        tbs.SetExtensions(extensions.Generate());
        var toBeSigned = tbs.GenerateTbsCertificate();
        var tbsDer = toBeSigned.GetEncoded(Asn1Encodable.Der);
        var signature = new DerBitString(_generator.SignData(tbsDer, HashAlgorithmName.SHA256));
        // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }, from the TBSCertificate's
        // DER as signed rather than encoded a second time.
        var certificate = new X509CertificateStructure(toBeSigned, _signatureAlgorithm, signature);
        var der = DerAssembly.Sequence(tbsDer, _signatureAlgorithmDer, signature.GetEncoded(Asn1Encodable.Der));
        return new IssuedCertificate(certificate, der);
    }
}
