using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Transport;
using CmpKit.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Client;

/// <summary>The kind of certificate request (OpenSSL's -cmd ir|cr|kur|p10cr).</summary>
public enum CertificateRequestKind
{
    /// <summary>Initialization request (ir, RFC 9810 section 5.3.1).</summary>
    Initial,
    /// <summary>Certification request for an additional certificate (cr, section 5.3.3).</summary>
    Additional,
    /// <summary>Key update request (kur, section 5.3.5).</summary>
    KeyUpdate,
    /// <summary>PKCS#10 certification request (p10cr, section 5.3.4).</summary>
    Pkcs10,
}

/// <summary>
/// A CMP client (RFC 9810, RFC 9483): one method per transaction, each reading top to bottom like
/// the RFC's message flow: build request, protect, send, validate, (poll), confirm, result.
/// Every response passes the checks C1-C31 of CmpKit's check list before anything in it is used.
/// </summary>
public sealed class CmpClient
{
    private readonly ICmpTransport _transport;
    private readonly CmpClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly VerificationPolicy _policy;
    private readonly ProtectionSpec? _protection;

    /// <summary>Creates a client that sends through <paramref name="transport"/>.</summary>
    /// <param name="transport">How messages reach the server (HTTP, in-process, ...).</param>
    /// <param name="options">The CMP context; validated here.</param>
    /// <param name="logger">Receives one line per message and result; never secrets.</param>
    /// <param name="timeProvider">Clock and timers (timeouts, polling); the system's by default.</param>
    /// <exception cref="CmpException">The options are inconsistent (<see cref="CmpFailureReason.InvalidOptions"/>).</exception>
    public CmpClient(ICmpTransport transport, CmpClientOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        _transport = transport;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _protection = CreateProtection(options);
        _policy = new VerificationPolicy
        {
            PinnedServerCertificate = options.ServerCertificate,
            ExpectedSender = options.ExpectedSender,
            TrustAnchors = [.. options.TrustAnchors],
            Untrusted = [.. options.UntrustedCertificates],
            IgnoreKeyUsage = options.IgnoreKeyUsage,
            UnprotectedErrors = options.UnprotectedErrors,
            Secret = options.MacCredentials?.Secret,
            MaxPbmIterations = options.MaxPbmIterations,
            ClockSkew = options.ClockSkew,
            MaxCheckAfter = options.MaxCheckAfter,
            Time = _time,
        };
    }

    /// <summary>Creates a client that talks HTTP (RFC 9811) to <paramref name="serverUri"/>.</summary>
    /// <param name="httpClient">The HTTP client; not owned by this object.</param>
    /// <param name="serverUri">The CMP endpoint, e.g. http://ca.example/pkix/.</param>
    /// <param name="options">The CMP context.</param>
    /// <param name="logger">Optional logger.</param>
    /// <param name="timeProvider">Optional clock.</param>
    public CmpClient(HttpClient httpClient, Uri serverUri, CmpClientOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(new HttpCmpTransport(httpClient, serverUri), options, logger, timeProvider)
    {
    }

    /// <summary>The options this client was created with.</summary>
    public CmpClientOptions Options => _options;

    /// <summary>Initial enrollment: ir/ip/certConf/pkiConf (RFC 9810, section 5.3.1; OpenSSL's OSSL_CMP_exec_IR_ses).</summary>
    /// <param name="template">What to request.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The new certificate and what came with it.</returns>
    /// <exception cref="CmpException">The transaction failed; <see cref="CmpException.Reason"/> says why.</exception>
    public Task<EnrollmentResult> InitialEnrollAsync(CertificateRequestTemplate template, CancellationToken cancellationToken = default) =>
        RequestCertificateAsync(CertificateRequestKind.Initial, template, cancellationToken);

    /// <summary>Enrollment of an additional certificate: cr/cp (RFC 9810, section 5.3.3; OSSL_CMP_exec_CR_ses).</summary>
    /// <param name="template">What to request.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The new certificate and what came with it.</returns>
    /// <exception cref="CmpException">The transaction failed.</exception>
    public Task<EnrollmentResult> EnrollAsync(CertificateRequestTemplate template, CancellationToken cancellationToken = default) =>
        RequestCertificateAsync(CertificateRequestKind.Additional, template, cancellationToken);

    /// <summary>Key update: kur/kup (RFC 9810, section 5.3.5; OSSL_CMP_exec_KUR_ses). Set <see cref="CertificateRequestTemplate.OldCertificate"/>.</summary>
    /// <param name="template">What to request, including the certificate to update.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The new certificate and what came with it.</returns>
    /// <exception cref="CmpException">The transaction failed.</exception>
    public Task<EnrollmentResult> UpdateKeyAsync(CertificateRequestTemplate template, CancellationToken cancellationToken = default) =>
        RequestCertificateAsync(CertificateRequestKind.KeyUpdate, template, cancellationToken);

    /// <summary>PKCS#10 enrollment: p10cr/cp (RFC 9810, section 5.3.4; OSSL_CMP_exec_P10CR_ses).</summary>
    /// <param name="pkcs10Request">The DER-encoded PKCS#10 certification request.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The new certificate and what came with it.</returns>
    /// <exception cref="CmpException">The transaction failed.</exception>
    public Task<EnrollmentResult> EnrollPkcs10Async(ReadOnlyMemory<byte> pkcs10Request, CancellationToken cancellationToken = default) =>
        RequestCertificateAsync(CertificateRequestKind.Pkcs10, new CertificateRequestTemplate { Pkcs10Request = pkcs10Request }, cancellationToken);

    /// <summary>
    /// Any certificate request through the one pipeline (OpenSSL's OSSL_CMP_exec_certreq): build the
    /// request, protect, send, validate, poll while the server says waiting, check the certificate,
    /// confirm.
    /// </summary>
    /// <param name="kind">ir, cr, kur or p10cr.</param>
    /// <param name="template">What to request (for p10cr: <see cref="CertificateRequestTemplate.Pkcs10Request"/>).</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The new certificate and what came with it.</returns>
    /// <exception cref="CmpException">The transaction failed.</exception>
    public async Task<EnrollmentResult> RequestCertificateAsync(CertificateRequestKind kind, CertificateRequestTemplate template,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        var tx = new Transaction(this);
        try
        {
            return await RequestCertificateCoreAsync(tx, kind, template, cancellationToken).ConfigureAwait(false);
        }
        catch (CmpException e)
        {
            e.TransactionId ??= tx.State.TransactionId;
            _logger.LogDebug("CMP transaction failed: {Reason}", e.Reason);
            throw;
        }
    }

    private async Task<EnrollmentResult> RequestCertificateCoreAsync(Transaction tx, CertificateRequestKind kind,
        CertificateRequestTemplate template, CancellationToken ct)
    {
        var (requestType, responseType) = kind switch
        {
            CertificateRequestKind.Initial => (BodyType.Ir, BodyType.Ip),
            CertificateRequestKind.Additional => (BodyType.Cr, BodyType.Cp),
            CertificateRequestKind.KeyUpdate => (BodyType.Kur, BodyType.Kup),
            CertificateRequestKind.Pkcs10 => (BodyType.P10cr, BodyType.Cp),
            _ => throw new CmpException(CmpFailureReason.InvalidOptions, $"unknown request kind {kind}"),
        };

        // 1. build the request
        var request = new RequestDetails(this, kind, template);
        var body = kind == CertificateRequestKind.Pkcs10
            ? RequestBuilder.P10CertificateRequest(request.Csr!.Value)
            : RequestBuilder.CertificateRequest(requestType, request.Template, request.PublicKeyInfo, request.PopKey,
                _options.Digest, _options.UseRsaPss, _time.GetUtcNow());
        long? expectedCertReqId = kind == CertificateRequestKind.Pkcs10 ? null : RequestBuilder.CertReqId;

        // 2.-4. protect, send, validate (C1-C20)
        var response = await tx.ExchangeAsync(body, request, expectMore: true, firstRequest: true, ct).ConfigureAwait(false);

        // 5. poll while the server says waiting (C22, C25, C31-C33)
        CertResponse certResponse;
        bool polled = false;
        while (true)
        {
            if (BodyChecks.IsWaitingError(response))
            {
                response = await PollAsync(tx, request, polled, expectedCertReqId ?? -1, ct).ConfigureAwait(false);
                polled = true;
                continue;
            }
            BodyChecks.ExpectBody(response, responseType); // C21, C25
            var rep = CertRepMessage.GetInstance(response.Body.Content);
            certResponse = BodyChecks.SingleCertResponse(rep, expectedCertReqId); // C23
            if (!BodyChecks.StatusAllowsCertificate(certResponse, requestType, out var waitingStatus)) // C24
            {
                tx.CaPubs = Certificates.ToDotNet(rep.GetCAPubs());
                break;
            }
            _ = waitingStatus;
            response = await PollAsync(tx, request, polled, certResponse.CertReqID.LongValueExact, ct).ConfigureAwait(false);
            polled = true;
        }
        var certReqId = certResponse.CertReqID.LongValueExact;
        var status = StatusInfos.ToCmp(certResponse.Status);
        if (status.Status == PkiStatus.GrantedWithMods)
        {
            _logger.LogWarning("CMP server granted the request with modifications: {Status}", status.ToString());
        }

        // 6. the new certificate (C26, C28, C29)
        var certificate = BodyChecks.NewCertificate(certResponse);
        bool implicitConfirm = HasImplicitConfirm(response.Header);
        bool confirm = !_options.DisableConfirm && !implicitConfirm;
        var rejection = CheckNewCertificate(certificate, request, tx);
        if (rejection is not null)
        {
            if (confirm)
            {
                // C37: a rejected certificate is reported by a negative certConf.
                await ConfirmAsync(tx, request, certificate, certReqId, rejection, ct).ConfigureAwait(false);
            }
            throw rejection;
        }

        // 7. confirm (C30)
        if (confirm)
        {
            await ConfirmAsync(tx, request, certificate, certReqId, null, ct).ConfigureAwait(false);
        }

        _logger.LogInformation("CMP {Request} succeeded: certificate for '{Subject}' issued by '{Issuer}', serial {Serial}",
            BodyTypes.Name(requestType), certificate.Subject, certificate.Issuer, certificate.SerialNumber);
        return new EnrollmentResult(certificate, BuildChain(certificate, tx), [.. tx.CaPubs], [.. tx.State.ReceivedExtraCerts],
            status, certReqId, tx.State.TransactionId, implicitConfirm);
    }

    private static bool HasImplicitConfirm(PkiHeader header) =>
        header.GetGeneralInfo()?.Any(i => i.InfoType.Equals(CmpObjectIdentifiers.it_implicitConfirm)) == true;

    /// <summary>C28, C29 (with C13): the rejection to report, or null when the certificate is accepted.</summary>
    private CmpException? CheckNewCertificate(X509Certificate2 certificate, RequestDetails request, Transaction tx) =>
        NewCertificateChecks.KeyMatches(certificate, request.PublicKeyInfo)
        ?? NewCertificateChecks.Trusted(certificate, _options.OutTrusted is { } o ? [.. o] : null,
            _options.TrustCaPubsFromMacProtectedResponse && tx.State.LastResponseMacProtected ? tx.CaPubs : [], // C13
            tx.State, _policy);

    /// <summary>C30: certConf (accepted, or rejection for <paramref name="rejection"/>), then pkiConf.</summary>
    private async Task ConfirmAsync(Transaction tx, RequestDetails request, X509Certificate2 certificate, long certReqId,
        CmpException? rejection, CancellationToken ct)
    {
        var body = rejection is null
            ? RequestBuilder.CertConf(certificate, certReqId, PkiStatus.Accepted, PkiFailureInfo.None, null, _options.Digest, out var v3)
            : RequestBuilder.CertConf(certificate, certReqId, PkiStatus.Rejection,
                rejection.Reason == CmpFailureReason.PublicKeyMismatch ? PkiFailureInfo.IncorrectData : PkiFailureInfo.SignerNotTrusted,
                rejection.Message, _options.Digest, out v3);
        var response = await tx.ExchangeAsync(body, request, expectMore: false, firstRequest: false, ct, pvno: v3 ? 3 : 2).ConfigureAwait(false);
        BodyChecks.ExpectBody(response, BodyType.PkiConf); // C21 for certConf
    }

    /// <summary>
    /// Blocking polling (RFC 9810, section 5.3.22): pollReq until the final response; waits checkAfter
    /// (capped by the total timeout, C32); a second waiting status fails after an error message (C33).
    /// </summary>
    private async Task<PkiMessage> PollAsync(Transaction tx, RequestDetails request, bool alreadyPolled, long certReqId, CancellationToken ct)
    {
        if (alreadyPolled)
        {
            // C33 / C37: tell the server, then fail.
            var error = RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.BadRequest, "second waiting status during polling");
            try
            {
                await tx.SendErrorAsync(error, request, ct).ConfigureAwait(false);
            }
            catch (CmpException)
            {
                // The error message is a courtesy; the transaction fails either way.
            }
            throw new CmpException(CmpFailureReason.UnexpectedWaiting, "the server answered 'waiting' again after polling had ended");
        }
        tx.State.PollingStartNonce = tx.State.LastSenderNonce;
        while (true)
        {
            var response = await tx.ExchangeAsync(RequestBuilder.PollReq(certReqId), request, expectMore: true, firstRequest: false, ct).ConfigureAwait(false);
            if (response.Body.Type != (int)BodyType.PollRep)
            {
                return response; // the final response; the caller checks its type (C25)
            }
            var checkAfter = BodyChecks.PollRep(response, certReqId, _policy); // C31
            var wait = checkAfter;
            if (tx.Deadline is DateTimeOffset deadline)
            {
                var left = deadline - _time.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    throw new CmpException(CmpFailureReason.TotalTimeout, "the total timeout ended while polling");
                }
                if (wait > left)
                {
                    wait = left; // C32: one last poll at the deadline
                }
            }
            _logger.LogInformation("CMP server says waiting; polling again in {Seconds} s", (int)Math.Ceiling(wait.TotalSeconds));
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, ct).ConfigureAwait(false);
            }
        }
    }

    private X509Certificate2Collection BuildChain(X509Certificate2 certificate, Transaction tx)
    {
        using var chain = new X509Chain();
        var p = chain.ChainPolicy;
        p.TrustMode = X509ChainTrustMode.CustomRootTrust;
        p.RevocationMode = X509RevocationMode.NoCheck;
        p.DisableCertificateDownloads = true;
        p.VerificationFlags = X509VerificationFlags.AllFlags;
        foreach (var c in (IEnumerable<X509Certificate2>?)_options.OutTrusted ?? []) p.CustomTrustStore.Add(c);
        foreach (var c in _options.TrustAnchors) p.CustomTrustStore.Add(c);
        foreach (var c in tx.CaPubs) p.ExtraStore.Add(c);
        foreach (var c in tx.State.ReceivedExtraCerts) p.ExtraStore.Add(c);
        foreach (var c in _options.UntrustedCertificates) p.ExtraStore.Add(c);
        chain.Build(certificate);
        var result = new X509Certificate2Collection();
        foreach (var e in chain.ChainElements.Skip(1))
        {
            result.Add(e.Certificate);
        }
        return result;
    }

    private static ProtectionSpec? CreateProtection(CmpClientOptions o)
    {
        if (o.UnprotectedRequests)
        {
            return null;
        }
        // As OpenSSL: a shared secret, when given, protects requests; else the certificate's key.
        if (o.MacCredentials is { } mac)
        {
            if (mac.Secret.IsEmpty)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "the shared secret for MAC protection is empty");
            }
            if (mac.IterationCount < 100)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "the PBM iteration count must be at least 100 (RFC 4211, section 4.4)");
            }
            return new MacProtectionSpec(mac.Secret.ToArray(), mac.Reference?.ToArray(), mac.OneWayFunction, mac.MacAlgorithm,
                mac.IterationCount, mac.SaltLength);
        }
        if (o.SignatureCredentials is { } sig)
        {
            if (!PublicKeyMatches(sig.Certificate, sig.PrivateKey))
            {
                throw new CmpException(CmpFailureReason.InvalidCredentials, "the private key does not belong to the client certificate");
            }
            return new SignatureProtectionSpec(sig.Certificate, sig.PrivateKey, [.. sig.Chain], o.Digest, o.UseRsaPss);
        }
        throw new CmpException(CmpFailureReason.InvalidOptions,
            "no credentials to protect requests: give MAC credentials (reference and secret) or signature credentials (certificate and key), or allow unprotected requests");
    }

    internal static bool PublicKeyMatches(X509Certificate2 certificate, AsymmetricAlgorithm key)
    {
        try
        {
            return certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(ExportSpki(key));
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    internal static byte[] ExportSpki(AsymmetricAlgorithm key) => key.ExportSubjectPublicKeyInfo();

    /// <summary>The request after defaults are applied: template, enrollment key, sender and recipient.</summary>
    private sealed class RequestDetails
    {
        public RequestDetails(CmpClient client, CertificateRequestKind kind, CertificateRequestTemplate template)
        {
            var o = client._options;
            var clientCert = o.SignatureCredentials?.Certificate;
            var refCert = template.OldCertificate ?? clientCert;
            if (kind == CertificateRequestKind.KeyUpdate && template.OldCertificate is null && clientCert is null)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "key update needs the certificate to update (old certificate or client certificate)");
            }
            if (template.CentralKeyGeneration)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "central key generation is not supported yet");
            }
            byte[]? csrKey = null;
            X500DistinguishedName? csrSubject = null;
            if (template.Pkcs10Request is { IsEmpty: false } csr)
            {
                Csr = csr;
                (csrKey, csrSubject) = ReadCsr(csr);
            }
            else if (kind == CertificateRequestKind.Pkcs10)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "a p10cr needs a PKCS#10 request (csr)");
            }

            // The enrollment key (C28): new key, else the CSR's key, else the client's key (OpenSSL's default for kur).
            if (kind == CertificateRequestKind.Pkcs10)
            {
                PublicKeyInfo = csrKey!;
            }
            else if (template.NewKey is { } newKey)
            {
                PublicKeyInfo = ExportSpki(newKey);
                PopKey = newKey;
            }
            else if (template.NewPublicKey is { } pub)
            {
                PublicKeyInfo = pub.ToArray();
            }
            else if (csrKey is not null)
            {
                PublicKeyInfo = csrKey;
            }
            else if (o.SignatureCredentials is { } sc)
            {
                PublicKeyInfo = ExportSpki(sc.PrivateKey);
                PopKey = sc.PrivateKey;
            }
            else
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "no key to certify: give a new key, a public key or a PKCS#10 request");
            }

            bool anySans = template.DnsNames.Count + template.IpAddresses.Count + template.Uris.Count + template.EmailAddresses.Count > 0
                || template.Extensions.Any(e => e.Oid?.Value == "2.5.29.17");
            var subject = template.Subject ?? csrSubject;
            if (subject is null && refCert is not null && (kind == CertificateRequestKind.KeyUpdate || !anySans))
            {
                subject = refCert.SubjectName;
            }
            var extensions = template.Extensions.ToList();
            if (!anySans && !template.NoDefaultSubjectAlternativeNames && refCert?.Extensions["2.5.29.17"] is { } refSan)
            {
                extensions.Add(refSan);
            }
            Template = new CertificateRequestTemplate
            {
                NewKey = template.NewKey,
                NewPublicKey = template.NewPublicKey,
                Subject = subject,
                Issuer = template.Issuer ?? refCert?.IssuerName,
                ValidityDays = template.ValidityDays,
                DnsNames = template.DnsNames,
                IpAddresses = template.IpAddresses,
                Uris = template.Uris,
                EmailAddresses = template.EmailAddresses,
                SubjectAlternativeNamesCritical = template.SubjectAlternativeNamesCritical,
                NoDefaultSubjectAlternativeNames = template.NoDefaultSubjectAlternativeNames,
                Extensions = extensions,
                PolicyOids = template.PolicyOids,
                PoliciesCritical = template.PoliciesCritical,
                OldCertificate = template.OldCertificate ?? (kind == CertificateRequestKind.KeyUpdate ? clientCert : null),
                Pkcs10Request = template.Pkcs10Request,
                ProofOfPossession = template.ProofOfPossession,
            };

            // RFC 9810 5.1.1 / OpenSSL: sender = subject of the protecting certificate, else of the old certificate, else the requested subject.
            var sender = clientCert?.SubjectName ?? template.OldCertificate?.SubjectName ?? (kind == CertificateRequestKind.KeyUpdate ? null : subject);
            Sender = sender is null ? Names.NullDn : Names.ToGeneralName(sender);
            if (sender is null && client._protection is MacProtectionSpec { SenderKid: null })
            {
                throw new CmpException(CmpFailureReason.InvalidOptions,
                    "with MAC protection and no subject, a reference (senderKID) is needed to identify the sender");
            }
            var recipient = o.Recipient ?? o.ServerCertificate?.SubjectName ?? template.Issuer
                ?? template.OldCertificate?.IssuerName ?? clientCert?.IssuerName;
            Recipient = Names.ToGeneralName(recipient);
        }

        public ReadOnlyMemory<byte>? Csr { get; }
        public byte[] PublicKeyInfo { get; }
        public AsymmetricAlgorithm? PopKey { get; }
        public CertificateRequestTemplate Template { get; }
        public GeneralName Sender { get; }
        public GeneralName Recipient { get; }

        private static (byte[] Key, X500DistinguishedName? Subject) ReadCsr(ReadOnlyMemory<byte> csr)
        {
            try
            {
                var req = CertificationRequest.GetInstance(Asn1Object.FromByteArray(csr.ToArray()));
                var info = req.GetCertificationRequestInfo();
                var subject = info.Subject is { } s && !Names.IsNullDn(s) ? Names.ToDotNet(s) : null;
                return (info.SubjectPublicKeyInfo.GetEncoded(Asn1Encodable.Der), subject);
            }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidCastException or InvalidOperationException or NullReferenceException)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "the PKCS#10 request is not a valid DER CertificationRequest", innerException: e);
            }
        }
    }

    /// <summary>One transaction: its state, deadline, and the send/receive pipeline every message goes through.</summary>
    private sealed class Transaction
    {
        private readonly CmpClient _client;

        public Transaction(CmpClient client)
        {
            _client = client;
            if (client._options.TotalTimeout is { } total && total > TimeSpan.Zero)
            {
                Deadline = client._time.GetUtcNow() + total;
            }
        }

        public TransactionState State { get; } = new();
        public DateTimeOffset? Deadline { get; }
        public List<X509Certificate2> CaPubs { get; set; } = [];

        /// <summary>Builds, protects and sends one request; returns the response after C1-C20 passed.</summary>
        public async Task<PkiMessage> ExchangeAsync(PkiBody body, RequestDetails request, bool expectMore, bool firstRequest,
            CancellationToken ct, int pvno = 2)
        {
            var message = Build(body, request, firstRequest, pvno);
            var bytes = PkiMessageCodec.Encode(message);
            var o = _client._options;
            _client._logger.LogDebug("CMP sending {Type} ({Length} bytes)", BodyTypes.Name(body.Type), bytes.Length);

            var (timeout, isTotal) = NextTimeout();
            using var timeoutCts = timeout is TimeSpan t ? new CancellationTokenSource(t, _client._time) : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
            byte[] responseBytes;
            try
            {
                responseBytes = await _client._transport.ExchangeAsync(bytes, new CmpExchangeInfo(expectMore), linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                // C3: which of the two timeouts ran out. (HttpClient.Timeout ends here too.)
                throw isTotal
                    ? new CmpException(CmpFailureReason.TotalTimeout, $"the total timeout of {o.TotalTimeout!.Value.TotalSeconds:0.###} s ended while waiting for the {ResponseName(body.Type)}", innerException: e)
                    : new CmpException(CmpFailureReason.MessageTimeout, $"no {ResponseName(body.Type)} arrived within {(timeout ?? TimeSpan.Zero).TotalSeconds:0.###} s", innerException: e);
            }
            var response = PkiMessageCodec.Decode(responseBytes); // C1, C10
            _client._logger.LogDebug("CMP received {Type} ({Length} bytes)", BodyTypes.Name(response.Body.Type), responseBytes.Length);
            ResponseValidator.Validate(response, State, _client._policy); // C5-C20
            return response;
        }

        /// <summary>Sends an error message (C37) and accepts whatever comes back (pkiConf expected).</summary>
        public async Task SendErrorAsync(PkiBody error, RequestDetails request, CancellationToken ct)
        {
            var response = await ExchangeAsync(error, request, expectMore: false, firstRequest: false, ct).ConfigureAwait(false);
            BodyChecks.ExpectBody(response, BodyType.PkiConf);
        }

        private (TimeSpan? Timeout, bool IsTotal) NextTimeout()
        {
            var o = _client._options;
            TimeSpan? msg = o.MessageTimeout is { } m && m > TimeSpan.Zero ? m : null;
            if (Deadline is not DateTimeOffset deadline)
            {
                return (msg, false);
            }
            var left = deadline - _client._time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new CmpException(CmpFailureReason.TotalTimeout, "the total timeout of the transaction has ended");
            }
            // C3: the per-message timeout is capped by what is left of the total.
            return msg is TimeSpan mm && mm < left ? (mm, false) : (left, true);
        }

        private static string ResponseName(int requestType) => requestType switch
        {
            (int)BodyType.Ir => "ip",
            (int)BodyType.Cr or (int)BodyType.P10cr => "cp",
            (int)BodyType.Kur => "kup",
            (int)BodyType.CertConf or (int)BodyType.Error => "pkiConf",
            (int)BodyType.PollReq => "pollRep",
            _ => "response",
        };

        private PkiMessage Build(PkiBody body, RequestDetails request, bool firstRequest, int pvno)
        {
            var fields = new HeaderFields
            {
                Pvno = pvno,
                Sender = request.Sender,
                Recipient = request.Recipient,
                MessageTime = _client._time.GetUtcNow(),
                TransactionId = State.TransactionId,
                SenderNonce = State.NextSenderNonce(),
                RecipNonce = State.RecipNonce,
                GeneralInfo = firstRequest && _client._options.ImplicitConfirm ? [HeaderFields.ImplicitConfirm] : [],
            };
            return MessageProtector.Protect(fields, body, _client._protection, _client._options.ExtraCertificates);
        }
    }
}
