using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Messages;

/// <summary>
/// A newly issued certificate: its DER encoding and its structure, as the client received it in an ip,
/// cp or kup (decoded with the message), or as the server's CA issued it. The client's checks before
/// certConf (C28, the certHash) work on these, as do the server's response and its certConf check; the
/// <see cref="X509Certificate2"/> is made only when something needs it (C29 with "out trusted"
/// certificates, central key generation, the caller reading <see cref="Client.EnrollmentResult.Certificate"/>
/// or the server's <c>CmpServerTransaction.IssuedCertificate</c>).
/// </summary>
/// <remarks>
/// Parsing DER into an <see cref="X509Certificate2"/> costs more than verifying an ECDSA signature
/// (OpenSSL 3.0 decodes the public key through its decoder framework, ~0.2 ms per certificate in the CLI,
/// see docs/performance.md), and a client that saves the certificate to a file needs only its bytes. The
/// certificate's structure (every field of the TBSCertificate, the algorithms, the signature) was decoded
/// with the message, so a certificate that reaches certConf is well-formed DER.
/// </remarks>
internal sealed class IssuedCertificate
{
    private readonly Lazy<X509Certificate2> _parsed;
    private X509CertificateStructure? _structure; // null in a compact copy until asked for

    /// <summary>A received certificate (<paramref name="der"/> is its encoding of <paramref name="structure"/>).</summary>
    public IssuedCertificate(X509CertificateStructure structure, byte[] der)
    {
        _structure = structure;
        Der = der;
        _parsed = new Lazy<X509Certificate2>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private IssuedCertificate(X509Certificate2 parsed)
    {
        Der = parsed.RawData;
        _structure = X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(Der));
        _parsed = new Lazy<X509Certificate2>(parsed);
    }

    private IssuedCertificate(byte[] der, Lazy<X509Certificate2>? parsed)
    {
        Der = der;
        _parsed = parsed ?? new Lazy<X509Certificate2>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>A certificate from its DER encoding (a CA's output, tests).</summary>
    /// <exception cref="ArgumentException">BouncyCastle cannot decode <paramref name="der"/> as a certificate.</exception>
    public static IssuedCertificate FromDer(byte[] der)
    {
        try
        {
            return new(X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(der)), der);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException)
        {
            throw new ArgumentException("not a DER-encoded X.509 certificate: " + e.Message, nameof(der), e);
        }
    }

    /// <summary>A certificate already parsed (a configured one); <see cref="Parsed"/> returns <paramref name="parsed"/>.</summary>
    public static IssuedCertificate FromCertificate(X509Certificate2 parsed) => new(parsed);

    /// <summary>The certificate's structure, decoded with the message (in a <see cref="Compact"/> copy: from <see cref="Der"/> when first asked for).</summary>
    public X509CertificateStructure Structure => _structure ??= X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(Der));

    /// <summary>
    /// The same certificate without its decoded structure, for keeping after its response went out: the structure
    /// is a graph of some hundred objects, the DER one array. Shares <see cref="Der"/>, and <see cref="Parsed"/> if it
    /// was made already (not the means to make it, which would keep this instance alive).
    /// </summary>
    public IssuedCertificate Compact() => new(Der, _parsed.IsValueCreated ? _parsed : null);

    /// <summary>The DER encoding.</summary>
    public byte[] Der { get; }

    /// <summary>The certificate as an <see cref="X509Certificate2"/>, parsed when first asked for.</summary>
    /// <exception cref="CmpException">.NET cannot decode the certificate.</exception>
    public X509Certificate2 Parsed => _parsed.Value;

    /// <summary>Whether the certificate certifies <paramref name="subjectPublicKeyInfo"/> (DER).</summary>
    public bool HasPublicKey(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        Structure.SubjectPublicKeyInfo.GetEncoded(Asn1Encodable.Der).AsSpan().SequenceEqual(subjectPublicKeyInfo);

    /// <summary>The subject as .NET formats it (<see cref="X509Certificate.Subject"/>).</summary>
    public string Subject => FormatName(Structure.Subject);

    /// <summary>The issuer as .NET formats it (<see cref="X509Certificate.Issuer"/>).</summary>
    public string Issuer => FormatName(Structure.Issuer);

    /// <summary>The serial number in hexadecimal as .NET gives it (<see cref="X509Certificate2.SerialNumber"/>).</summary>
    public string SerialNumber => Convert.ToHexString(Structure.SerialNumber.Value.ToByteArray());

    private static string FormatName(X509Name name) =>
        new X500DistinguishedName(name.GetEncoded(Asn1Encodable.Der)).Name;

    private X509Certificate2 Load()
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(Der);
        }
        catch (CryptographicException e)
        {
            throw new CmpException(CmpFailureReason.MalformedResponse,
                "the new certificate cannot be decoded by .NET: " + e.Message.ReplaceLineEndings(" "), innerException: e);
        }
    }
}
