using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;

namespace CmpKit.Client;

/// <summary>The outcome of a successful enrollment (ir, cr, kur, p10cr).</summary>
public sealed class EnrollmentResult
{
    private readonly IssuedCertificate _certificate;
    private readonly Lazy<X509Certificate2Collection> _chain;

    // The certificate is parsed into an X509Certificate2, and its chain built, when first asked for: parsing
    // costs more than a signature verification (OpenSSL 3.0), building the chain (an X509Chain) as much, and
    // many callers only save the certificate (CertificateRawData).
    internal EnrollmentResult(IssuedCertificate certificate, Func<X509Certificate2Collection> chain, X509Certificate2Collection caPubs,
        X509Certificate2Collection extraCertificates, CmpStatusInfo status, long certReqId, ReadOnlyMemory<byte> transactionId,
        bool implicitlyConfirmed, AsymmetricAlgorithm? privateKey = null)
    {
        PrivateKey = privateKey;
        _certificate = certificate;
        _chain = new Lazy<X509Certificate2Collection>(chain, LazyThreadSafetyMode.ExecutionAndPublication);
        CaPubs = caPubs;
        ExtraCertificates = extraCertificates;
        Status = status;
        CertReqId = certReqId;
        TransactionId = transactionId;
        ImplicitlyConfirmed = implicitlyConfirmed;
    }

    /// <summary>The newly enrolled certificate (without private key), parsed when first read.</summary>
    /// <remarks>
    /// The certificate's structure was decoded and checked with the response before it was confirmed; .NET's
    /// own parse (OpenSSL on Linux) comes when this is first read, and fails only for a certificate that its
    /// decoder refuses although it is well-formed DER.
    /// </remarks>
    /// <exception cref="CmpException">.NET cannot decode the certificate (<see cref="CmpFailureReason.MalformedResponse"/>).</exception>
    public X509Certificate2 Certificate => _certificate.Parsed;

    /// <summary>
    /// The newly enrolled certificate's DER encoding, as checked and confirmed (e.g. to save it, without
    /// parsing it into an <see cref="X509Certificate2"/>).
    /// </summary>
    public ReadOnlyMemory<byte> CertificateRawData => _certificate.Der;

    /// <summary>The new certificate's chain as far as it could be built from the received and configured certificates (issuer first, without the new certificate); built when first read, from the configured certificates, <see cref="CaPubs"/> and <see cref="ExtraCertificates"/> (do not dispose those before).</summary>
    public X509Certificate2Collection Chain => _chain.Value;

    /// <summary>C27: CA certificates the server sent in caPubs.</summary>
    public X509Certificate2Collection CaPubs { get; }

    /// <summary>C7: all certificates received in extraCerts during the transaction.</summary>
    public X509Certificate2Collection ExtraCertificates { get; }

    /// <summary>The server's status for the request (accepted, or grantedWithMods with its texts).</summary>
    public CmpStatusInfo Status { get; }

    /// <summary>The certReqId of the answered request.</summary>
    public long CertReqId { get; }

    /// <summary>The transaction id.</summary>
    public ReadOnlyMemory<byte> TransactionId { get; }

    /// <summary>Whether the server granted implicit confirmation (no certConf was sent).</summary>
    public bool ImplicitlyConfirmed { get; }

    /// <summary>
    /// With central key generation (<see cref="CertificateRequestTemplate.CentralKeyGeneration"/>): the private key
    /// the server generated (<see cref="RSA"/> or <see cref="ECDsa"/>), already decrypted, its signature by a
    /// trusted key generation authority verified and checked to belong to <see cref="Certificate"/>. Null otherwise.
    /// The caller owns it (dispose it when done).
    /// </summary>
    public AsymmetricAlgorithm? PrivateKey { get; }

    /// <summary>
    /// The new certificate together with <see cref="PrivateKey"/> (e.g. for TLS or for exporting as PKCS#12).
    /// </summary>
    /// <returns>A new <see cref="X509Certificate2"/> with the private key.</returns>
    /// <exception cref="InvalidOperationException">There is no private key (central key generation was not requested).</exception>
    public X509Certificate2 CopyCertificateWithPrivateKey() => PrivateKey switch
    {
        RSA rsa => Certificate.CopyWithPrivateKey(rsa),
        ECDsa ec => Certificate.CopyWithPrivateKey(ec),
        _ => throw new InvalidOperationException("the enrollment result holds no private key (central key generation was not requested)"),
    };
}
