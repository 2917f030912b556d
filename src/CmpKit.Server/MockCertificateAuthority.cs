using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

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

    private readonly AsymmetricAlgorithm _key;

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
    public X509Certificate2 Issue(CertificateIssuanceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        PublicKey publicKey;
        try
        {
            publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(request.SubjectPublicKeyInfo.Span, out _);
        }
        catch (CryptographicException e)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "the public key to certify cannot be read: " + e.Message, innerException: e);
        }
        var hash = HashAlgorithmName.SHA256;
        var csr = new CertificateRequest(request.Subject, publicKey, hash);
        csr.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        foreach (var e in request.Extensions)
        {
            if (e.Oid?.Value is { } oid && CopiedExtensions.Contains(oid)
                && !csr.CertificateExtensions.Any(x => x.Oid?.Value == oid))
            {
                csr.CertificateExtensions.Add(new X509Extension(e.Oid, e.RawData, e.Critical));
            }
        }
        csr.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, false));
        csr.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));

        // Never beyond the CA's own validity (RFC 5280, section 6.1.3 would reject the path anyway).
        var notBefore = request.NotBefore < Certificate.NotBefore ? new DateTimeOffset(Certificate.NotBefore) : request.NotBefore;
        var notAfter = request.NotAfter > Certificate.NotAfter ? new DateTimeOffset(Certificate.NotAfter) : request.NotAfter;
        if (notAfter <= notBefore)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "the requested validity is empty or outside the CA's validity");
        }
        var generator = _key switch
        {
            ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
            RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            _ => throw new InvalidOperationException("unsupported CA key"),
        };
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40); // positive, 16 bytes
        return csr.Create(Certificate.SubjectName, generator, notBefore, notAfter, serial);
    }
}
