using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.Pkcs;

namespace CmpKit.Tests.Support;

/// <summary>
/// A CMP responder for tests of the client: it answers each request correctly (ip/cp/kup with a
/// real certificate, pkiConf, pollRep), built with the library's own message layer, and lets a
/// test change any part of a response (header fields, body, protection, extraCerts, bytes) so that
/// exactly one check breaks.
/// </summary>
internal sealed class ScriptedCmpServer
{
    public static readonly byte[] DefaultSecret = "test"u8.ToArray();

    public ScriptedCmpServer(bool signResponses = false)
    {
        Ca = TestPki.CreateRoot("CN=Scripted CA");
        Signer = TestPki.IssueWithKey(Ca, "CN=Scripted CMP Server");
        SignResponses = signResponses;
    }

    public TestPki.Issued Ca { get; }
    public TestPki.Issued Signer { get; }
    public bool SignResponses { get; set; }
    public byte[] Secret { get; set; } = DefaultSecret;

    /// <summary>How many times to answer "waiting" before the real response.</summary>
    public int PollCount { get; set; }
    public int CheckAfterSeconds { get; set; }

    /// <summary>Changes a response before it is protected and encoded.</summary>
    public Action<Draft>? Mutate { get; set; }

    /// <summary>Every request received, decoded.</summary>
    public List<PkiMessage> Received { get; } = [];

    /// <summary>The certificates issued, in order.</summary>
    public List<X509Certificate2> Issued { get; } = [];

    private PkiBody? _pending;

    public sealed class Draft
    {
        public required PkiMessage Request { get; init; }
        public BodyType RequestType => (BodyType)Request.Body.Type;
        public required HeaderFields Header { get; set; }
        public required PkiBody Body { get; set; }
        public ProtectionSpec? Protection { get; set; }
        public List<X509Certificate2> ExtraCerts { get; set; } = [];
        /// <summary>Applied to the encoded response.</summary>
        public Func<byte[], byte[]>? Bytes { get; set; }
        /// <summary>Replaces the protected message (e.g. to tamper after protection).</summary>
        public Func<PkiMessage, PkiMessage>? AfterProtection { get; set; }
    }

    public Task<byte[]> HandleAsync(ReadOnlyMemory<byte> requestBytes, CancellationToken ct)
    {
        var request = PkiMessageCodec.Decode(requestBytes.Span);
        lock (Received)
        {
            Received.Add(request);
        }
        var body = Answer(request);
        var header = new HeaderFields
        {
            Sender = Names.ToGeneralName(Signer.Certificate.SubjectName),
            Recipient = request.Header.Sender,
            MessageTime = DateTimeOffset.UtcNow,
            TransactionId = request.Header.TransactionID.GetOctets(),
            SenderNonce = RandomNumberGenerator.GetBytes(16),
            RecipNonce = request.Header.SenderNonce.GetOctets(),
            GeneralInfo = request.Header.GetGeneralInfo()?.Any(i => i.InfoType.Equals(CmpObjectIdentifiers.it_implicitConfirm)) == true && GrantImplicitConfirm
                ? [HeaderFields.ImplicitConfirm] : [],
        };
        var draft = new Draft
        {
            Request = request,
            Header = header,
            Body = body,
            Protection = SignResponses
                ? new SignatureProtectionSpec(Signer.Certificate, Signer.Key, [], HashAlgorithmName.SHA256, false)
                : new MacProtectionSpec(Secret, "srvref"u8.ToArray(), HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 500, 16),
        };
        Mutate?.Invoke(draft);
        var message = MessageProtector.Protect(draft.Header, draft.Body, draft.Protection, draft.ExtraCerts);
        if (draft.AfterProtection is not null)
        {
            message = draft.AfterProtection(message);
        }
        var bytes = PkiMessageCodec.Encode(message);
        return Task.FromResult(draft.Bytes?.Invoke(bytes) ?? bytes);
    }

    public bool GrantImplicitConfirm { get; set; }

    private PkiBody Answer(PkiMessage request)
    {
        switch ((BodyType)request.Body.Type)
        {
            case BodyType.Ir:
            case BodyType.Cr:
            case BodyType.Kur:
            case BodyType.P10cr:
                var final = CertResponseFor(request);
                if (PollCount > 0)
                {
                    PollCount--;
                    _pending = final;
                    return CertRep(request.Body.Type + 1, CertReqIdOf(request), PkiStatus.Waiting, null);
                }
                return final;
            case BodyType.PollReq:
                if (PollCount > 0)
                {
                    PollCount--;
                    var id = PollReqContent.GetInstance(request.Body.Content).GetCertReqIDValues()[0];
                    return new PkiBody(PkiBody.TYPE_POLL_REP, new PollRepContent(new DerInteger(id), DerInteger.ValueOf(CheckAfterSeconds)));
                }
                return _pending ?? RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.BadRequest, "nothing pending");
            case BodyType.CertConf:
            case BodyType.Error:
                return RequestBuilder.PkiConf();
            default:
                return RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.BadRequest, "unsupported");
        }
    }

    private static long CertReqIdOf(PkiMessage request) =>
        request.Body.Type == (int)BodyType.P10cr ? -1
            : CertReqMessages.GetInstance(request.Body.Content).ToCertReqMsgArray()[0].CertReq.CertReqID.LongValueExact;

    private PkiBody CertResponseFor(PkiMessage request)
    {
        byte[] spki;
        string subject;
        if (request.Body.Type == (int)BodyType.P10cr)
        {
            var info = CertificationRequest.GetInstance(request.Body.Content).GetCertificationRequestInfo();
            spki = info.SubjectPublicKeyInfo.GetEncoded(Asn1Encodable.Der);
            subject = Names.ToDotNet(info.Subject).Name;
        }
        else
        {
            var template = CertReqMessages.GetInstance(request.Body.Content).ToCertReqMsgArray()[0].CertReq.CertTemplate;
            spki = template.PublicKey.GetEncoded(Asn1Encodable.Der);
            subject = template.Subject is null ? "CN=anonymous" : Names.ToDotNet(template.Subject).Name;
        }
        var cert = TestPki.Issue(Ca, string.IsNullOrEmpty(subject) ? "CN=anonymous" : subject, spki);
        Issued.Add(cert);
        return CertRep(request.Body.Type + 1, CertReqIdOf(request), PkiStatus.Accepted, cert);
    }

    /// <summary>An ip/cp/kup with one CertResponse.</summary>
    public static PkiBody CertRep(int type, long certReqId, PkiStatus status, X509Certificate2? cert, PkiFailureInfo failure = PkiFailureInfo.None)
    {
        var ckp = cert is null ? null : new CertifiedKeyPair(new CertOrEncCert(Certificates.ToCmp(cert)));
        var response = new CertResponse(DerInteger.ValueOf(certReqId), StatusInfos.ToBc(status, failure), ckp, null);
        return new PkiBody(type, new CertRepMessage(null, [response]));
    }

    /// <summary>The CertResponse of an ip/cp/kup body.</summary>
    public static CertResponse FirstResponse(PkiBody body) => CertRepMessage.GetInstance(body.Content).GetResponse()[0];

    public static X509Certificate2 CertificateOf(PkiBody body) =>
        Certificates.ToDotNet(FirstResponse(body).CertifiedKeyPair.CertOrEncCert.Certificate)!;
}
