using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Server;

/// <summary>
/// A CMP server transaction engine (RFC 9810, section 5; the counterpart of OpenSSL's cmp_server.c
/// with its mock CA): decodes a request, checks its protection and header, keeps per-transaction
/// state (polling, certConf), and answers with a protected response. Thread-safe; one instance can
/// serve many concurrent transactions.
/// </summary>
/// <remarks>
/// Files: this one dispatches and builds responses; CmpServer.Protection.cs checks request protection
/// and chooses response protection; CmpServer.ExtraCerts.cs keeps the certificates requests brought;
/// CmpServer.Enrollment.cs handles ir/cr/kur/p10cr, pollReq and certConf; CmpServer.Profiles.cs checks
/// the certProfile of certificate requests; CmpServer.Revocation.cs handles rr; CmpServer.GeneralMessages.cs genm.
/// </remarks>
public sealed partial class CmpServer
{
    private const int NonceLength = 16;

    private readonly MockCaOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly MacProtectionSpec? _macProtection;
    private readonly SignatureProtectionSpec? _signatureProtection;
    private readonly X509Certificate2? _signer;
    private readonly AsymmetricAlgorithm? _signerKey; // also signs centrally generated keys (the KGA)
    private readonly PkiFailureInfo _configuredFailure;
    private readonly IssuedCertificate? _fixedCertificate; // MockCaOptions.RspCert
    private readonly CrlData? _rspCrl;

    // Transactions by transactionID (hex), in the order they started. Bounded by MaxTransactions (the first
    // started is forgotten first) and by TransactionLifetime after the last request (swept now and then,
    // and never found once expired).
    private readonly Lock _storeLock = new();
    private readonly Dictionary<string, LinkedListNode<ServerTransaction>> _transactions = [];
    private readonly LinkedList<ServerTransaction> _transactionOrder = new();
    private DateTimeOffset _nextSweep;
    private int _messageCount;

    /// <summary>Creates the server.</summary>
    /// <param name="options">The configuration.</param>
    /// <param name="certificateAuthority">The CA that issues certificates; default: a <see cref="MockCertificateAuthority"/>
    /// from <see cref="MockCaOptions.CaCertificate"/> and <see cref="MockCaOptions.CaKey"/>, or none when
    /// <see cref="MockCaOptions.RspCert"/> is set, or else an ephemeral one.</param>
    /// <param name="logger">Receives one line per request and per problem.</param>
    /// <param name="timeProvider">The clock (messageTime, certificate validity, chain validation).</param>
    /// <exception cref="ArgumentException">The options are inconsistent (e.g. a server certificate without its key).</exception>
    public CmpServer(MockCaOptions options, ICertificateAuthority? certificateAuthority = null, ILogger? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        Validate(options);
        if (options.RspCrl is { } rspCrl)
        {
            try
            {
                _rspCrl = ServerBodies.ReadCrl(rspCrl);
            }
            catch (CmpException e)
            {
                throw new ArgumentException("RspCrl is not a DER CRL: " + e.Message, nameof(options), e);
            }
        }

        if (certificateAuthority is not null)
        {
            CertificateAuthority = certificateAuthority;
        }
        else if (options.CaCertificate is { } caCert)
        {
            CertificateAuthority = new MockCertificateAuthority(caCert, options.CaKey!);
        }
        else if (options.RspCert is null)
        {
            CertificateAuthority = MockCertificateAuthority.CreateEphemeral(timeProvider: _time);
        }

        if (options.SrvSecret is { IsEmpty: false } secret)
        {
            // RFC 9481, section 6.1.1: SHA-256 as one-way function and HMAC-SHA256; OpenSSL's 500 iterations.
            _macProtection = new MacProtectionSpec(secret.ToArray(), options.SrvRef?.ToArray(),
                HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 500, 16);
        }
        if (options.SrvCert is { } srvCert)
        {
            _signer = srvCert;
            _signerKey = options.SrvKey;
            _signatureProtection = new SignatureProtectionSpec(srvCert, options.SrvKey!, [], HashAlgorithmName.SHA256, false);
        }
        else if (CertificateAuthority is MockCertificateAuthority mock)
        {
            _signer = mock.Certificate;
            _signerKey = mock.Key;
            _signatureProtection = new SignatureProtectionSpec(mock.Certificate, mock.Key, [], HashAlgorithmName.SHA256, false);
        }
        _configuredFailure = (PkiFailureInfo)(options.FailureBits | (options.Failure >= 0 ? 1 << options.Failure : 0));
        _fixedCertificate = options.RspCert is { } rspCert ? IssuedCertificate.FromCertificate(rspCert) : null;
        foreach (var known in new[] { options.RefCert is { } refCert ? IssuedCertificate.FromCertificate(refCert) : null, _fixedCertificate })
        {
            if (known is not null)
            {
                Remember(known, configured: true);
            }
        }
    }

    /// <summary>The configuration.</summary>
    public MockCaOptions Options => _options;

    /// <summary>The CA that issues certificates; null when every enrollment returns <see cref="MockCaOptions.RspCert"/>.</summary>
    public ICertificateAuthority? CertificateAuthority { get; }

    /// <summary>The certificate that signs signature-protected responses (<see cref="MockCaOptions.SrvCert"/> or the mock CA's), if any.</summary>
    public X509Certificate2? SigningCertificate => _signer;

    /// <summary>How many requests the server has handled (for hosts honouring <see cref="MockCaOptions.MaxMessages"/>).</summary>
    public int MessageCount => Volatile.Read(ref _messageCount);

    /// <summary>Snapshots of the remembered transactions, oldest first.</summary>
    public IReadOnlyList<CmpServerTransaction> Transactions
    {
        get
        {
            List<ServerTransaction> list;
            var now = _time.GetUtcNow();
            lock (_storeLock)
            {
                list = _transactionOrder.Where(t => !IsExpired(t, now)).ToList();
            }
            return list.Select(t => { lock (t) { return t.Snapshot(); } }).ToList();
        }
    }

    /// <summary>For tests: how many entries the transaction table holds (by key, and in start order), expired ones not yet swept included.</summary>
    internal (int ByKey, int InOrder) TableSize
    {
        get
        {
            lock (_storeLock)
            {
                return (_transactions.Count, _transactionOrder.Count);
            }
        }
    }

    /// <summary>A snapshot of the transaction with this transactionID, or null if unknown (or forgotten).</summary>
    /// <param name="transactionId">The transactionID.</param>
    public CmpServerTransaction? FindTransaction(ReadOnlySpan<byte> transactionId)
    {
        var tx = Find(transactionId, touch: false);
        if (tx is null)
        {
            return null;
        }
        lock (tx)
        {
            return tx.Snapshot();
        }
    }

    /// <summary>
    /// Handles one DER-encoded request and returns the DER-encoded response. Never throws for bad
    /// input: malformed, badly protected or unexpected requests get an error message (RFC 9810, section 5.3.21).
    /// </summary>
    /// <param name="request">The DER PKIMessage.</param>
    /// <param name="cancellationToken">Cancels before the work starts (the work itself is short and synchronous).</param>
    /// <returns>The DER PKIMessage to send back.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public Task<byte[]> HandleAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Handle(request.Span, out RequestContext _));
    }

    /// <summary>
    /// Handles one request as <see cref="HandleAsync"/> does and says what came in and what goes back, taken from
    /// what the engine decoded and built (the HTTP endpoint's per-exchange report, without decoding both messages again).
    /// </summary>
    internal byte[] Handle(ReadOnlySpan<byte> der, out ExchangeSummary summary)
    {
        var answer = Handle(der, out RequestContext rc);
        summary = new ExchangeSummary(rc.RequestType, rc.TransactionIdFromRequest, rc.ResponseBody);
        return answer;
    }

    /// <summary>
    /// What <see cref="Handle(ReadOnlySpan{byte}, out ExchangeSummary)"/> reports: the pieces the engine had at hand,
    /// made into text only when read (the endpoint reads them only when someone listens).
    /// </summary>
    internal readonly struct ExchangeSummary(int? requestType, byte[]? transactionId, PkiBody? response)
    {
        /// <summary>The request's body type name, or <c>?</c> if it could not be decoded.</summary>
        public string RequestType => requestType is int t ? BodyTypes.Name(t) : "?";

        /// <summary>The request's transactionID in lower-case hex, or empty.</summary>
        public string TransactionId => transactionId is { } tid ? ResponseBuilder.Hex(tid) : "";

        /// <summary>The response's body type name.</summary>
        public string ResponseType => response is { } body ? BodyTypes.Name(body.Type) : "?";

        /// <summary>The response's first PKIStatus (e.g. <c>accepted</c>, with its failInfo and text) when it has one, else empty.</summary>
        public string Status
        {
            get
            {
                PkiStatusInfo? info = response?.Type switch
                {
                    PkiBody.TYPE_INIT_REP or PkiBody.TYPE_CERT_REP or PkiBody.TYPE_KEY_UPDATE_REP
                        => CertRepMessage.GetInstance(response.Content).GetResponse() is { Length: > 0 } r ? r[0].Status : null,
                    PkiBody.TYPE_REVOCATION_REP => RevRepContent.GetInstance(response.Content).GetStatus() is { Length: > 0 } s ? s[0] : null,
                    PkiBody.TYPE_ERROR => ErrorMsgContent.GetInstance(response.Content).PkiStatusInfo,
                    _ => null,
                };
                return info is null ? "" : StatusInfos.ToCmp(info).ToString();
            }
        }
    }

    private byte[] Handle(ReadOnlySpan<byte> der, out RequestContext rc)
    {
        Interlocked.Increment(ref _messageCount);
        PkiMessage message;
        try
        {
            message = PkiMessageCodec.Decode(der);
        }
        catch (CmpException e)
        {
            _logger.LogWarning("CMP server: undecodable request: {Message}", e.Message);
            rc = RequestContext.ForUndecodable(PublicRandom.GetBytes(NonceLength));
            return Respond(rc, RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.BadDataFormat, e.Message), negative: true);
        }
        rc = RequestContext.From(message);
        try
        {
            return Process(message, rc);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug or an unexpected input that slipped through: still answer, never throw.
            _logger.LogError(e, "CMP server: internal error handling {Type}", BodyTypes.Name(message.Body.Type));
            var error = RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.SystemFailure, "internal server error");
            try
            {
                return Respond(rc, error, negative: true);
            }
            catch (Exception e2) when (e2 is not OutOfMemoryException)
            {
                _logger.LogError(e2, "CMP server: cannot build an error response");
                var fresh = RequestContext.ForUndecodable(PublicRandom.GetBytes(NonceLength));
                rc.ResponseBody = error;
                return PkiMessageCodec.Encode(MessageProtector.Protect(Header(fresh, null, false), error, null));
            }
        }
    }

    private byte[] Process(PkiMessage message, RequestContext rc)
    {
        var header = message.Header;
        var type = message.Body.Type;
        _logger.LogInformation("CMP server: received {Type}", BodyTypes.Name(type));

        // RFC 9810, section 5.1.1: pvno 2 (cmp2000) or 3 (cmp2021).
        if (rc.Pvno is not (2 or 3))
        {
            return Error(rc, PkiFailureInfo.UnsupportedVersion, $"pvno {rc.Pvno} is not supported");
        }
        if (rc.TransactionIdFromRequest is null)
        {
            return Error(rc, PkiFailureInfo.BadRequest, "the request has no transactionID");
        }
        if (header.SenderNonce?.GetOctets() is not { Length: > 0 })
        {
            return Error(rc, PkiFailureInfo.BadSenderNonce, "the request has no senderNonce");
        }
        if (Names.DirectoryName(header.Sender) is null)
        {
            return Error(rc, PkiFailureInfo.BadRequest, "the request's sender is not a directoryName");
        }
        if ((message.GetExtraCerts()?.Length ?? 0) is var extraCertCount && extraCertCount > _options.MaxExtraCertificates)
        {
            // Checked before protection: the certificates are not decoded, nor offered to path building.
            _logger.LogWarning("CMP server: rejecting {Type} with {Count} extraCerts", BodyTypes.Name(type), extraCertCount);
            return Error(rc, PkiFailureInfo.BadRequest,
                $"the request carries {extraCertCount} certificates in extraCerts, more than the limit of {_options.MaxExtraCertificates}");
        }
        if (CheckProtection(message, rc) is { } protectionError)
        {
            _logger.LogWarning("CMP server: rejecting {Type}: {Text}", BodyTypes.Name(type), protectionError.Text);
            return Error(rc, protectionError.Failure, protectionError.Text);
        }
        if (_options.SendError)
        {
            return Error(rc, _configuredFailure == PkiFailureInfo.None ? PkiFailureInfo.BadRequest : _configuredFailure,
                _options.StatusString ?? "the server is configured to answer with an error message");
        }

        switch ((BodyType)type)
        {
            case BodyType.Ir:
            case BodyType.Cr:
            case BodyType.Kur:
            case BodyType.P10cr:
                return HandleCertificateRequest(message, rc);
            case BodyType.PollReq:
                return HandlePollReq(message, rc);
            case BodyType.CertConf:
                return HandleCertConf(message, rc);
            case BodyType.Error:
                return HandleClientError(message, rc);
            case BodyType.Genm:
                return HandleGeneralMessage(message, rc);
            case BodyType.Rr:
                return HandleRevocationRequest(message, rc);
            default:
                return Error(rc, PkiFailureInfo.BadRequest, $"{BodyTypes.Name(type)} is not a request this server handles");
        }
    }

    /// <summary>The error message a client gets for its last request (RFC 9810, section 5.3.21).</summary>
    private byte[] Error(RequestContext rc, PkiFailureInfo failure, string text, ServerTransaction? tx = null) =>
        Respond(rc, RequestBuilder.Error(PkiStatus.Rejection, failure, text), negative: true, tx: tx);

    private PkiStatus ConfiguredStatus() => _options.PkiStatus >= 0 ? (PkiStatus)_options.PkiStatus : PkiStatus.Accepted;

    private IReadOnlyList<string> Texts() => _options.StatusString is { } s ? [s] : [];

    /// <summary>
    /// Builds and protects a response: same transactionID, recipNonce = the request's senderNonce, a fresh
    /// senderNonce (remembered in <paramref name="tx"/> for the next request's recipNonce check), messageTime
    /// in whole seconds, protected as the request was (RFC 9810, section 5.1.3) unless configured otherwise.
    /// </summary>
    private byte[] Respond(RequestContext rc, PkiBody body, bool negative, ServerTransaction? tx = null,
        bool implicitConfirm = false, IEnumerable<X509Certificate2>? extraCerts = null)
    {
        var protection = ChooseResponseProtection(rc, negative);
        var fields = Header(rc, protection, implicitConfirm);
        if (tx is not null)
        {
            tx.LastSenderNonce = fields.SenderNonce;
        }
        var message = MessageProtector.Protect(fields, body, protection, extraCerts);
        rc.ResponseBody = body;
        _logger.LogInformation("CMP server: sending {Type}{Protection}", BodyTypes.Name(body.Type),
            protection switch { null => " (unprotected)", MacProtectionSpec => " (MAC-protected)", _ => " (signed)" });
        return PkiMessageCodec.Encode(message);
    }

    private HeaderFields Header(RequestContext rc, ProtectionSpec? protection, bool implicitConfirm)
    {
        GeneralName sender = protection is SignatureProtectionSpec sig ? Names.ToGeneralName(sig.Certificate.SubjectName)
            : _options.SrvCert is { } srvCert ? Names.ToGeneralName(srvCert.SubjectName)
            : Names.NullDn;
        return new HeaderFields
        {
            Pvno = rc.Pvno is 3 ? 3 : 2,
            Sender = sender,
            Recipient = rc.Sender ?? Names.NullDn,
            MessageTime = _time.GetUtcNow(),
            TransactionId = rc.TransactionId,
            SenderNonce = PublicRandom.GetBytes(NonceLength),
            RecipNonce = rc.SenderNonce,
            GeneralInfo = implicitConfirm ? [HeaderFields.ImplicitConfirm] : [],
        };
    }

    /// <summary>The transaction with this transactionID, unless unknown or expired; with <paramref name="touch"/> (a request for it), it counts as active now.</summary>
    private ServerTransaction? Find(ReadOnlySpan<byte> transactionId, bool touch = true)
    {
        var key = Convert.ToHexString(transactionId);
        var now = _time.GetUtcNow();
        lock (_storeLock)
        {
            if (!_transactions.TryGetValue(key, out var node))
            {
                return null;
            }
            if (IsExpired(node.Value, now))
            {
                Forget(node);
                return null;
            }
            if (touch)
            {
                node.Value.LastActivity = now;
            }
            return node.Value;
        }
    }

    /// <summary>Registers a new transaction; null when the transactionID is in use (RFC 9810: transactionIdInUse).</summary>
    private ServerTransaction? Start(byte[] transactionId, BodyType type)
    {
        var key = Convert.ToHexString(transactionId);
        var now = _time.GetUtcNow();
        lock (_storeLock)
        {
            SweepExpired(now);
            if (_transactions.TryGetValue(key, out var existing))
            {
                // A transactionID is "in use" while its transaction runs. Once it has ended (or expired), a
                // new request with it starts afresh, as with OpenSSL's mock server (which -reqin relies on).
                if (!IsExpired(existing.Value, now)
                    && existing.Value.State is CmpServerTransactionState.Polling or CmpServerTransactionState.AwaitingConfirmation)
                {
                    return null;
                }
                Forget(existing);
            }
            var tx = new ServerTransaction(transactionId, type) { Key = key, LastActivity = now };
            _transactions.Add(key, _transactionOrder.AddLast(tx));
            while (_transactions.Count > _options.MaxTransactions && _transactionOrder.First is { } oldest)
            {
                Forget(oldest);
            }
            return tx;
        }
    }

    /// <summary>How long a transaction lives after its last request: TransactionLifetime, at least twice checkAfter.</summary>
    private TimeSpan IdleLimit => TimeSpan.FromTicks(Math.Max(_options.TransactionLifetime.Ticks, TimeSpan.FromSeconds(2L * _options.CheckAfter).Ticks));

    private bool IsExpired(ServerTransaction tx, DateTimeOffset now) => now - tx.LastActivity > IdleLimit;

    /// <summary>Forgets every expired transaction, at most four times per lifetime (each sweep walks the whole table).</summary>
    private void SweepExpired(DateTimeOffset now)
    {
        if (now < _nextSweep)
        {
            return;
        }
        _nextSweep = now + IdleLimit / 4;
        for (var node = _transactionOrder.First; node is not null;)
        {
            var next = node.Next;
            if (IsExpired(node.Value, now))
            {
                Forget(node);
            }
            node = next;
        }
    }

    private void Forget(LinkedListNode<ServerTransaction> node)
    {
        _transactions.Remove(node.Value.Key);
        _transactionOrder.Remove(node);
    }

    private static void Validate(MockCaOptions o)
    {
        if ((o.SrvCert is null) != (o.SrvKey is null))
        {
            throw new ArgumentException("SrvCert and SrvKey go together", nameof(o));
        }
        if (o.SrvCert is not null && o.SrvKey is not (RSA or ECDsa))
        {
            throw new ArgumentException("SrvKey must be RSA or ECDsa", nameof(o));
        }
        if (o.CaCertificate is not null && o.CaKey is null)
        {
            throw new ArgumentException("CaCertificate needs CaKey", nameof(o));
        }
        if (o.PollCount < 0 || o.CheckAfter < 0 || o.MaxMessages < 0)
        {
            throw new ArgumentException("PollCount, CheckAfter and MaxMessages must not be negative", nameof(o));
        }
        if (o.PkiStatus is < -1 or > 6)
        {
            throw new ArgumentException("PkiStatus must be -1 (default) or 0..6", nameof(o));
        }
        if (o.Failure is < -1 or > 26 || o.FailureBits < 0 || o.FailureBits >= 1 << 27)
        {
            throw new ArgumentException("Failure must be -1 or 0..26, FailureBits 0..2^27-1", nameof(o));
        }
        if (o.MaxTransactions < 1 || o.MaxPbmIterations < 1 || o.DefaultValidity <= TimeSpan.Zero || o.TransactionLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("MaxTransactions, MaxPbmIterations, DefaultValidity and TransactionLifetime must be positive", nameof(o));
        }
        if (o.MaxExtraCertificates < 0 || o.MaxChainDepth < 0)
        {
            throw new ArgumentException("MaxExtraCertificates and MaxChainDepth must not be negative", nameof(o));
        }
        if (o.MaxCachedExtraCerts < 0)
        {
            throw new ArgumentException("MaxCachedExtraCerts must not be negative", nameof(o));
        }
        if (o.RspNewWithNew is null && (o.RspNewWithOld is not null || o.RspOldWithNew is not null))
        {
            throw new ArgumentException("RspNewWithOld and RspOldWithNew need RspNewWithNew", nameof(o));
        }
    }

    /// <summary>What a response needs from the request it answers.</summary>
    private sealed class RequestContext
    {
        public int Pvno { get; private init; } = 2;
        public GeneralName? Sender { get; private init; }
        public byte[]? TransactionIdFromRequest { get; private init; }
        public required byte[] TransactionId { get; init; }
        public byte[]? SenderNonce { get; private init; }
        public byte[]? RecipNonce { get; private init; }
        public ProtectionVerifier.ProtectionKind Protection { get; set; }
        /// <summary>The protectionAlg of a request whose MAC verified (its answer may reuse the salt).</summary>
        public Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier? VerifiedMacAlgorithm { get; set; }
        /// <summary>The certificate that validly signed a signature-protected request (central keys are encrypted for it).</summary>
        public X509Certificate2? Signer { get; set; }
        /// <summary>The request's extraCerts as decoded for checking its signature (null if not decoded yet).</summary>
        public List<X509Certificate2>? ExtraCerts { get; set; }
        /// <summary>The request's body type (null if the request could not be decoded).</summary>
        public int? RequestType { get; private init; }
        /// <summary>The body of the response once built.</summary>
        public PkiBody? ResponseBody { get; set; }

        public static RequestContext From(PkiMessage message)
        {
            var h = message.Header;
            var tid = h.TransactionID?.GetOctets();
            var pvno = h.Pvno.Value;
            return new RequestContext
            {
                Pvno = pvno.BitLength < 31 ? pvno.IntValue : -1,
                RequestType = message.Body.Type,
                Sender = h.Sender,
                TransactionIdFromRequest = tid,
                TransactionId = tid ?? PublicRandom.GetBytes(NonceLength),
                SenderNonce = h.SenderNonce?.GetOctets(),
                RecipNonce = h.RecipNonce?.GetOctets(),
            };
        }

        public static RequestContext ForUndecodable(byte[] freshTransactionId) => new() { TransactionId = freshTransactionId };
    }
}
