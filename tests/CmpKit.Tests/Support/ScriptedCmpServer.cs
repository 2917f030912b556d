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

    /// <summary>PBM iteration count of MAC-protected responses.</summary>
    public int MacIterations { get; set; } = 500;

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

    /// <summary>
    /// When set, each transaction (by transactionID) is answered "waiting" this many times (the first
    /// response, then pollReps) before its final response: for many transactions in parallel.
    /// </summary>
    public int? PollsPerTransaction { get; set; }

    private readonly Dictionary<string, (int PollsLeft, PkiBody Final)> _perTransaction = [];

    /// <summary>The genp for a genm; default: an empty genp.</summary>
    public Func<PkiMessage, PkiBody>? GenmAnswer { get; set; }

    /// <summary>The rp for an rr; default: one status accepted.</summary>
    public Func<PkiMessage, PkiBody>? RrAnswer { get; set; }

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
            GeneralInfo = GrantImplicitConfirm && AskedImplicitConfirm(request) ? [HeaderFields.ImplicitConfirm] : [],
        };
        var draft = new Draft
        {
            Request = request,
            Header = header,
            Body = body,
            Protection = SignResponses
                ? new SignatureProtectionSpec(Signer.Certificate, Signer.Key, [], HashAlgorithmName.SHA256, false)
                : new MacProtectionSpec(Secret, "srvref"u8.ToArray(), HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, MacIterations, 16),
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

    private readonly HashSet<string> _askedImplicitConfirm = [];

    /// <summary>Whether the request, or the first request of its transaction (when polling), asked for implicit confirmation.</summary>
    private bool AskedImplicitConfirm(PkiMessage request)
    {
        var tid = Convert.ToHexString(request.Header.TransactionID.GetOctets());
        lock (_askedImplicitConfirm)
        {
            if (request.Header.GetGeneralInfo()?.Any(i => i.InfoType.Equals(CmpObjectIdentifiers.it_implicitConfirm)) == true)
            {
                _askedImplicitConfirm.Add(tid);
            }
            return _askedImplicitConfirm.Contains(tid);
        }
    }

    private PkiBody Answer(PkiMessage request)
    {
        if (PollsPerTransaction is int polls)
        {
            return AnswerPerTransaction(request, polls);
        }
        switch ((BodyType)request.Body.Type)
        {
            case BodyType.Rr:
            case BodyType.Genm:
                var answer = request.Body.Type == (int)BodyType.Rr
                    ? RrAnswer?.Invoke(request) ?? Rp(PkiStatus.Accepted)
                    : GenmAnswer?.Invoke(request) ?? new PkiBody(PkiBody.TYPE_GEN_REP, new GenRepContent([]));
                if (PollCount > 0)
                {
                    // RFC 9810, section 5.3.22: delayed delivery for any request is an error message with status waiting.
                    PollCount--;
                    _pending = answer;
                    return RequestBuilder.Error(PkiStatus.Waiting, PkiFailureInfo.None, "come back later");
                }
                return answer;
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

    private PkiBody AnswerPerTransaction(PkiMessage request, int polls)
    {
        var tid = Convert.ToHexString(request.Header.TransactionID.GetOctets());
        lock (_perTransaction)
        {
            switch ((BodyType)request.Body.Type)
            {
                case BodyType.Ir:
                case BodyType.Cr:
                case BodyType.Kur:
                case BodyType.P10cr:
                    var final = CertResponseFor(request);
                    if (polls == 0)
                    {
                        return final;
                    }
                    _perTransaction[tid] = (polls - 1, final);
                    return CertRep(request.Body.Type + 1, CertReqIdOf(request), PkiStatus.Waiting, null);
                case BodyType.PollReq:
                    if (!_perTransaction.TryGetValue(tid, out var entry))
                    {
                        return RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.BadRequest, "nothing pending");
                    }
                    if (entry.PollsLeft > 0)
                    {
                        _perTransaction[tid] = (entry.PollsLeft - 1, entry.Final);
                        var id = PollReqContent.GetInstance(request.Body.Content).GetCertReqIDValues()[0];
                        return new PkiBody(PkiBody.TYPE_POLL_REP, new PollRepContent(new DerInteger(id), DerInteger.ValueOf(CheckAfterSeconds)));
                    }
                    _perTransaction.Remove(tid);
                    return entry.Final;
                case BodyType.CertConf:
                case BodyType.Error:
                    _perTransaction.Remove(tid);
                    return RequestBuilder.PkiConf();
                default:
                    return RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.BadRequest, "unsupported");
            }
        }
    }

    /// <summary>Transactions still waiting for their final response (per-transaction mode).</summary>
    public int PendingTransactions
    {
        get
        {
            lock (_perTransaction)
            {
                return _perTransaction.Count;
            }
        }
    }

    /// <summary>An rp with one status and optional revCerts (issuer, serial) and CRLs.</summary>
    public static PkiBody Rp(PkiStatus status, PkiFailureInfo failure = PkiFailureInfo.None, int statusCount = 1,
        IReadOnlyList<(X509Certificate2 Issuer, byte[] Serial)>? revCerts = null, IReadOnlyList<byte[]>? crls = null)
    {
        var v = new Asn1EncodableVector(new DerSequence(Enumerable.Range(0, statusCount).Select(_ => (Asn1Encodable)StatusInfos.ToBc(status, failure)).ToArray()));
        if (revCerts is not null)
        {
            v.Add(new DerTaggedObject(true, 0, new DerSequence(revCerts.Select(r => (Asn1Encodable)new CertId(
                new Org.BouncyCastle.Asn1.X509.GeneralName(Names.ToX509Name(r.Issuer.SubjectName)),
                new DerInteger(new Org.BouncyCastle.Math.BigInteger(1, r.Serial)))).ToArray())));
        }
        if (crls is not null)
        {
            v.Add(new DerTaggedObject(true, 1, new DerSequence(crls.Select(c => (Asn1Encodable)Asn1Object.FromByteArray(c)).ToArray())));
        }
        return new PkiBody(PkiBody.TYPE_REVOCATION_REP, RevRepContent.GetInstance(new DerSequence(v)));
    }

    /// <summary>A genp with the given ITAVs (type OID, DER value or null).</summary>
    public static PkiBody Genp(params (string Type, byte[]? Value)[] items) =>
        new(PkiBody.TYPE_GEN_REP, new GenRepContent(items.Select(i => i.Value is null
            ? new InfoTypeAndValue(new DerObjectIdentifier(i.Type))
            : new InfoTypeAndValue(new DerObjectIdentifier(i.Type), Asn1Object.FromByteArray(i.Value))).ToArray()));

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
