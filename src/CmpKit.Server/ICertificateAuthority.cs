using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Server;

/// <summary>What a CA is asked to certify: the result of the server's checks on an ir, cr, kur or p10cr.</summary>
public sealed class CertificateIssuanceRequest
{
    /// <summary>Creates an issuance request.</summary>
    /// <param name="subject">The subject of the new certificate.</param>
    /// <param name="subjectPublicKeyInfo">The DER SubjectPublicKeyInfo to certify (proof of possession already checked).</param>
    /// <param name="extensions">The requested extensions the CA may copy.</param>
    /// <param name="notBefore">Start of validity.</param>
    /// <param name="notAfter">End of validity.</param>
    public CertificateIssuanceRequest(X500DistinguishedName subject, ReadOnlyMemory<byte> subjectPublicKeyInfo,
        IReadOnlyList<X509Extension> extensions, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(extensions);
        Subject = subject;
        SubjectPublicKeyInfo = subjectPublicKeyInfo;
        Extensions = extensions;
        NotBefore = notBefore;
        NotAfter = notAfter;
    }

    /// <summary>The subject of the new certificate.</summary>
    public X500DistinguishedName Subject { get; }

    /// <summary>The DER SubjectPublicKeyInfo to certify.</summary>
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; }

    /// <summary>The requested extensions (from the CRMF template or the PKCS#10 extensionRequest).</summary>
    public IReadOnlyList<X509Extension> Extensions { get; }

    /// <summary>Requested start of validity.</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>Requested end of validity.</summary>
    public DateTimeOffset NotAfter { get; }
}

/// <summary>The backend that issues certificates for <see cref="CmpServer"/>.</summary>
public interface ICertificateAuthority
{
    /// <summary>The CA certificate that signs issued certificates (sent in caPubs/extraCerts as configured).</summary>
    X509Certificate2 Certificate { get; }

    /// <summary>Issues a certificate.</summary>
    /// <param name="request">What to certify.</param>
    /// <returns>The new certificate (without private key).</returns>
    /// <exception cref="CmpException">The CA refuses the request (the server answers with a rejection).</exception>
    X509Certificate2 Issue(CertificateIssuanceRequest request);

    /// <summary>
    /// Issues a certificate and returns its DER encoding. <see cref="CmpServer"/> calls this, not
    /// <see cref="Issue"/>: it sends, confirms and remembers the certificate from its encoding, so a CA that
    /// produces DER can spare the parse into an <see cref="X509Certificate2"/> (as <see cref="MockCertificateAuthority"/> does).
    /// The default implementation calls <see cref="Issue"/> and returns the certificate's <see cref="X509Certificate2.RawData"/>.
    /// </summary>
    /// <param name="request">What to certify.</param>
    /// <returns>The new certificate, DER-encoded.</returns>
    /// <exception cref="CmpException">The CA refuses the request (the server answers with a rejection).</exception>
    byte[] IssueEncoded(CertificateIssuanceRequest request)
    {
        using var certificate = Issue(request);
        return certificate.RawData;
    }
}
