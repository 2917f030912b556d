using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;

namespace CmpKit.Messages;

/// <summary>
/// Builds the bodies of the messages a CMP server sends (RFC 9810, section 5.3): the mirror image
/// of <see cref="RequestBuilder"/>. Error and pkiConf bodies are the same for both sides and come
/// from <see cref="RequestBuilder.Error"/> and <see cref="RequestBuilder.PkiConf"/>.
/// </summary>
internal static class ResponseBuilder
{
    /// <summary>
    /// ip, cp or kup with one CertResponse (RFC 9810, section 5.3.4): the status, and the certificate
    /// when one is given (never with a rejection or waiting status), and caPubs (ip only, by convention).
    /// </summary>
    /// <param name="type">Ip, Cp or Kup.</param>
    /// <param name="certReqId">The certReqId of the answered request (-1 for p10cr, RFC 9810 section 5.3.4).</param>
    /// <param name="status">The status of the request.</param>
    /// <param name="failure">The failure bits.</param>
    /// <param name="texts">statusString texts.</param>
    /// <param name="certificate">The new certificate, if granted.</param>
    /// <param name="caPubs">CA certificates the client may trust.</param>
    /// <param name="privateKey">With central key generation: the encrypted private key (CertifiedKeyPair.privateKey).</param>
    public static PkiBody CertRep(BodyType type, long certReqId, PkiStatus status, PkiFailureInfo failure,
        IReadOnlyList<string> texts, IssuedCertificate? certificate, IEnumerable<X509Certificate2> caPubs,
        EncryptedKey? privateKey = null)
    {
        var tag = type switch
        {
            BodyType.Ip => PkiBody.TYPE_INIT_REP,
            BodyType.Cp => PkiBody.TYPE_CERT_REP,
            BodyType.Kup => PkiBody.TYPE_KEY_UPDATE_REP,
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        var v = new Asn1EncodableVector(DerInteger.ValueOf(certReqId), StatusInfos.ToBc(status, failure, texts));
        if (certificate is not null)
        {
            // CertifiedKeyPair ::= SEQUENCE { certOrEncCert CertOrEncCert, ... }; CertOrEncCert: [0] CMPCertificate.
            var certOrEncCert = new DerTaggedObject(true, 0, new CmpCertificate(certificate.Structure));
            // privateKey [0] EncryptedKey: a CHOICE, so explicitly tagged (RFC 9810, appendix F).
            v.Add(privateKey is null ? new DerSequence(certOrEncCert) : new DerSequence(certOrEncCert, new DerTaggedObject(true, 0, privateKey)));
        }
        var response = new DerSequence(v);
        var outer = new Asn1EncodableVector();
        var pubs = caPubs.Select(c => (Asn1Encodable)Certificates.ToCmp(c)).ToArray();
        if (pubs.Length > 0)
        {
            outer.Add(new DerTaggedObject(true, 1, new DerSequence(pubs)));
        }
        outer.Add(new DerSequence(response));
        return new PkiBody(tag, CertRepMessage.GetInstance(new DerSequence(outer)));
    }

    /// <summary>pollRep with one entry (RFC 9810, section 5.3.22).</summary>
    /// <param name="certReqId">The polled certReqId.</param>
    /// <param name="checkAfterSeconds">Seconds the client should wait before polling again.</param>
    /// <param name="reason">An optional text for the client.</param>
    public static PkiBody PollRep(long certReqId, long checkAfterSeconds, string? reason)
    {
        var v = new Asn1EncodableVector(DerInteger.ValueOf(certReqId), DerInteger.ValueOf(checkAfterSeconds));
        if (reason is not null)
        {
            v.Add(new PkiFreeText(reason));
        }
        return new PkiBody(PkiBody.TYPE_POLL_REP, PollRepContent.GetInstance(new DerSequence(new DerSequence(v))));
    }

    /// <summary>genp without any InfoTypeAndValue (RFC 9810, section 5.3.20: an empty list is allowed).</summary>
    public static PkiBody EmptyGenp() => new(PkiBody.TYPE_GEN_REP, GenRepContent.GetInstance(DerSequence.Empty));

    /// <summary>rp with one status (RFC 9810, section 5.3.10).</summary>
    /// <param name="status">The revocation status.</param>
    /// <param name="failure">The failure bits.</param>
    /// <param name="texts">statusString texts.</param>
    public static PkiBody Rp(PkiStatus status, PkiFailureInfo failure, IReadOnlyList<string> texts) =>
        new(PkiBody.TYPE_REVOCATION_REP,
            RevRepContent.GetInstance(new DerSequence(new DerSequence(StatusInfos.ToBc(status, failure, texts)))));

    /// <summary>A description of a transactionID for logs.</summary>
    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLower(CultureInfo.InvariantCulture);
}
