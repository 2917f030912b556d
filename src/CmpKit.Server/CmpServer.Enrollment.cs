using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;

namespace CmpKit.Server;

public sealed partial class CmpServer
{
    /// <summary>The certReqId of a cp answering a p10cr (RFC 9810, section 5.3.4; OpenSSL's OSSL_CMP_CERTREQID_NONE).</summary>
    private const long P10CertReqId = -1;

    /// <summary>The decision on a certificate request before it is sent (possibly after polling).</summary>
    private readonly record struct Decision(long CertReqId, PkiStatus Status, PkiFailureInfo Failure, IReadOnlyList<string> Texts,
        IssuedCertificate? Certificate, EncryptedKey? PrivateKey = null);

    /// <summary>ir, cr, kur, p10cr (RFC 9810, sections 5.3.1-5.3.5): check, issue, answer (or tell the client to wait).</summary>
    private byte[] HandleCertificateRequest(PkiMessage message, RequestContext rc)
    {
        var type = (BodyType)message.Body.Type;
        var tx = Start(rc.TransactionId, type);
        if (tx is null)
        {
            return Error(rc, PkiFailureInfo.TransactionIdInUse, "the transactionID is already in use");
        }
        lock (tx)
        {
            tx.MessageCount++;
            tx.ClientAskedImplicitConfirm = RequestReader.AsksImplicitConfirm(message.Header);
            if (CheckCertProfile(message) is { } profileProblem)
            {
                tx.State = CmpServerTransactionState.RejectedByServer;
                return Error(rc, profileProblem.Failure, profileProblem.Text, tx);
            }
            Decision decision;
            try
            {
                decision = type == BodyType.P10cr ? DecideP10(message) : DecideCrmf(message, rc);
            }
            catch (CmpException e)
            {
                tx.State = CmpServerTransactionState.RejectedByServer;
                return Error(rc, PkiFailureInfo.BadDataFormat, e.Message, tx);
            }
            tx.CertReqId = decision.CertReqId;
            tx.FinalStatus = decision.Status;
            tx.FinalFailure = decision.Failure;
            tx.FinalTexts = decision.Texts;
            tx.Certificate = decision.Certificate;
            tx.PrivateKey = decision.PrivateKey;

            if (_options.PollCount > 0)
            {
                // The client is told to wait; the answer is delivered after PollCount - 1 pollReps (RFC 9810, section 5.3.22).
                tx.State = CmpServerTransactionState.Polling;
                tx.PollsLeft = _options.PollCount - 1;
                var waiting = ResponseBuilder.CertRep(tx.ResponseType, tx.CertReqId, PkiStatus.Waiting, PkiFailureInfo.None, [], null, []);
                return Respond(rc, waiting, negative: false, tx);
            }
            return DeliverFinal(tx, rc);
        }
    }

    /// <summary>Sends the kept decision: the certificate (with implicitConfirm when granted) or the rejection.</summary>
    private byte[] DeliverFinal(ServerTransaction tx, RequestContext rc)
    {
        var granted = tx.Certificate is not null;
        var implicitConfirm = granted && _options.GrantImplicitConfirm && tx.ClientAskedImplicitConfirm;
        // A configured waiting status never ends: every pollReq gets it again (the client is expected to give up).
        tx.State = tx.FinalStatus == PkiStatus.Waiting ? CmpServerTransactionState.Polling
            : !granted ? CmpServerTransactionState.RejectedByServer
            : implicitConfirm ? CmpServerTransactionState.ImplicitlyConfirmed
            : CmpServerTransactionState.AwaitingConfirmation;
        var body = ResponseBuilder.CertRep(tx.ResponseType, tx.CertReqId, tx.FinalStatus, tx.FinalFailure, tx.FinalTexts,
            tx.Certificate, granted ? _options.RspCaPubs : [], granted ? tx.PrivateKey : null);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("CMP server: {Type} {Outcome}", BodyTypes.Name(tx.RequestType),
                granted ? $"granted: '{tx.Certificate!.Subject}'" : CmpStatusInfo.StatusName(tx.FinalStatus));
        }
        if (tx.Certificate is { } sent)
        {
            // From here on the transaction needs the certificate only for the certConf's certHash and for its
            // snapshot: it keeps the DER, not the decoded structure, as long as the server remembers the transaction.
            tx.CertHashAlgorithm = SignatureAlgorithms.CertificateHash(sent.Structure.SignatureAlgorithm);
            tx.Certificate = sent.Compact();
        }
        return Respond(rc, body, negative: tx.FinalStatus == PkiStatus.Rejection, tx, implicitConfirm, _options.RspExtraCerts);
    }

    /// <summary>
    /// ir/cr/kur: one CertReqMsg, its POP (RFC 4211, section 4), its template. A request without POP is
    /// accepted only when it asks for central key generation (RFC 9483, section 4.1.6).
    /// </summary>
    private Decision DecideCrmf(PkiMessage message, RequestContext rc)
    {
        var request = RequestReader.ReadCertRequest(message.Body);
        if (request.RequestCount != 1)
        {
            return Reject(request.CertReqId, PkiFailureInfo.BadRequest, "only one certificate request per message is supported");
        }
        if (request.CentralKey == CentralKeyRequest.Inconsistent)
        {
            return Reject(request.CertReqId, PkiFailureInfo.BadPop,
                "the request has a proof of possession but a publicKey without key bits (central key generation takes no POP)");
        }
        switch (request.CentralKey == CentralKeyRequest.Yes ? PopResult.Verified : request.Pop)
        {
            case PopResult.Verified:
                break;
            case PopResult.RaVerified when _options.AcceptRaVerified:
                break;
            case PopResult.RaVerified:
                return Reject(request.CertReqId, PkiFailureInfo.BadPop, "raVerified is not accepted as proof of possession");
            case PopResult.Missing:
                return Reject(request.CertReqId, PkiFailureInfo.BadPop, "the request has no proof of possession");
            case PopResult.Unsupported:
                return Reject(request.CertReqId, PkiFailureInfo.BadPop, "this proof-of-possession method or algorithm is not supported");
            default:
                return Reject(request.CertReqId, PkiFailureInfo.BadPop, "the proof-of-possession signature does not verify");
        }
        // RFC 4211, section 6.5 / RFC 9483, section 4.1.3: a kur names the certificate it updates; with a
        // reference certificate configured (OpenSSL's -ref_cert), it must be that one.
        if (message.Body.Type == (int)BodyType.Kur && _options.RefCert is { } refCert
            && request.OldCertId is { } oldId && !oldId.Matches(refCert))
        {
            return Reject(request.CertReqId, PkiFailureInfo.BadCertId, "oldCertID does not identify the reference certificate");
        }
        if (request.CentralKey == CentralKeyRequest.Yes)
        {
            return DecideCentralKey(message, rc, request);
        }
        return Decide(message, request.CertReqId, request.Subject, request.PublicKeyInfo, request.Extensions, request.NotBefore, request.NotAfter);
    }

    /// <summary>
    /// Central key generation (RFC 9810, section 5.3.4; RFC 9483, section 4.1.6): the key pair is
    /// <see cref="MockCaOptions.RspKey"/> or a fresh one of the requested algorithm, certified as usual,
    /// signed by the server's signing key (the key generation authority) and encrypted for the
    /// requester: for the certificate that signed the request, or with the MAC secret.
    /// </summary>
    private Decision DecideCentralKey(PkiMessage message, RequestContext rc, CertRequestData request)
    {
        var id = request.CertReqId;
        KeyRecipient? recipient = rc.Protection switch
        {
            ProtectionVerifier.ProtectionKind.Mac when _options.SrvSecret is { IsEmpty: false } secret => new PasswordKeyRecipient(secret.ToArray()),
            ProtectionVerifier.ProtectionKind.Signature when rc.Signer is { } signer => new CertificateKeyRecipient(signer),
            _ => null,
        };
        if (recipient is null)
        {
            return Reject(id, PkiFailureInfo.NotAuthorized,
                "central key generation needs a MAC- or signature-protected request: there is nothing to encrypt the new private key for");
        }
        if (_signer is null || _signerKey is null)
        {
            return Reject(id, PkiFailureInfo.SystemUnavail, "this server has no signing key to sign centrally generated keys with");
        }
        if (_options.RspCert is not null && _options.RspKey is null)
        {
            return Reject(id, PkiFailureInfo.SystemUnavail,
                "this server returns a fixed certificate (rsp_cert) but has no rsp_key to go with it for central key generation");
        }
        AsymmetricAlgorithm key;
        bool generated = _options.RspKey is null;
        try
        {
            key = _options.RspKey ?? GenerateKey(request.RequestedKeyAlgorithm);
        }
        catch (CmpException e)
        {
            return Reject(id, PkiFailureInfo.BadAlg, e.Message);
        }
        try
        {
            var decision = Decide(message, id, request.Subject, key.ExportSubjectPublicKeyInfo(), request.Extensions, request.NotBefore, request.NotAfter);
            if (decision.Certificate is null)
            {
                return decision;
            }
            var sealedKey = EnvelopedPrivateKey.Seal(key, _signer, _signerKey, [], recipient, HashAlgorithmName.SHA256);
            _logger.LogInformation("CMP server: central key generation: {Kind} key encrypted for {Recipient}", key is RSA ? "RSA" : "EC",
                recipient is PasswordKeyRecipient ? "the shared secret" : $"'{((CertificateKeyRecipient)recipient).Certificate.Subject}'");
            return decision with { PrivateKey = sealedKey };
        }
        catch (Exception e) when (e is CmpException or CryptographicException)
        {
            return Reject(id, PkiFailureInfo.SystemFailure, "the new private key cannot be sealed: " + e.Message);
        }
        finally
        {
            if (generated)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>
    /// A key pair of the algorithm the template names (RFC 9483, section 4.1.6: publicKey with only the
    /// algorithm): RSA 2048, or EC on the named curve; EC P-256 when no algorithm is given.
    /// </summary>
    private static AsymmetricAlgorithm GenerateKey(byte[]? algorithmIdentifier)
    {
        if (algorithmIdentifier is null)
        {
            return ECDsa.Create(ECCurve.NamedCurves.nistP256);
        }
        var algorithm = Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier.GetInstance(algorithmIdentifier);
        switch (algorithm.Algorithm.Id)
        {
            case "1.2.840.113549.1.1.1":
                return RSA.Create(2048);
            case "1.2.840.10045.2.1":
                if (algorithm.Parameters is Org.BouncyCastle.Asn1.DerObjectIdentifier curve)
                {
                    try
                    {
                        return ECDsa.Create(ECCurve.CreateFromValue(curve.Id));
                    }
                    catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
                    {
                        throw new CmpException(CmpFailureReason.InvalidOptions, $"cannot generate EC keys on curve {curve.Id}", innerException: e);
                    }
                }
                return ECDsa.Create(ECCurve.NamedCurves.nistP256);
            default:
                throw new CmpException(CmpFailureReason.InvalidOptions, $"cannot generate keys of type {algorithm.Algorithm.Id} (RSA and EC only)");
        }
    }

    /// <summary>p10cr: the PKCS#10 signature is the POP (RFC 2986; RFC 9810, section 5.3.4).</summary>
    private Decision DecideP10(PkiMessage message)
    {
        var der = RequestReader.ReadP10(message.Body);
        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.SkipSignatureValidation | CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (CryptographicException e)
        {
            throw new CmpException(CmpFailureReason.MalformedResponse, "the PKCS#10 request cannot be read: " + e.Message, innerException: e);
        }
        try
        {
            _ = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException)
        {
            return Reject(P10CertReqId, PkiFailureInfo.BadPop, "the PKCS#10 request's signature does not verify");
        }
        var subject = csr.SubjectName.RawData.Length > 2 ? csr.SubjectName : null;
        return Decide(message, P10CertReqId, subject, csr.PublicKey.ExportSubjectPublicKeyInfo(), [.. csr.CertificateExtensions], null, null);
    }

    /// <summary>The configured outcome (status, failure bits, text) and, unless it is a rejection, the certificate.</summary>
    private Decision Decide(PkiMessage message, long certReqId, X500DistinguishedName? subject, byte[]? publicKeyInfo,
        IReadOnlyList<X509Extension> extensions, DateTimeOffset? notBefore, DateTimeOffset? notAfter)
    {
        var status = ConfiguredStatus();
        // RFC 9810, section 5.3.4: a certificate goes only with accepted or grantedWithMods (or keyUpdateWarning for kur).
        var grants = status is PkiStatus.Accepted or PkiStatus.GrantedWithMods
            || (status == PkiStatus.KeyUpdateWarning && message.Body.Type == (int)BodyType.Kur);
        if (!grants)
        {
            return new Decision(certReqId, status, _configuredFailure, Texts(), null);
        }
        if (_fixedCertificate is { } fixedCert)
        {
            return new Decision(certReqId, status, _configuredFailure, Texts(), fixedCert);
        }
        if (publicKeyInfo is null)
        {
            return Reject(certReqId, PkiFailureInfo.BadCertTemplate, "the request has no public key");
        }
        // Without a subject in the template, the sender's name (OpenSSL does likewise for kur's old certificate).
        if (subject is null && Names.DirectoryName(message.Header.Sender) is { } sender && !Names.IsNullDn(sender))
        {
            subject = Names.ToDotNet(sender);
        }
        if (subject is null)
        {
            return Reject(certReqId, PkiFailureInfo.BadCertTemplate, "the request has no subject");
        }
        var now = _time.GetUtcNow();
        var from = notBefore ?? now;
        var to = notAfter ?? from + _options.DefaultValidity;
        try
        {
            var issuance = new CertificateIssuanceRequest(subject, publicKeyInfo, extensions, from, to);
            var certificate = CertificateAuthority is MockCertificateAuthority mock
                ? mock.IssueCertificate(issuance) // the structure as built, not decoded again
                : IssuedCertificate.FromDer(CertificateAuthority!.IssueEncoded(issuance));
            Remember(certificate);
            return new Decision(certReqId, status, _configuredFailure, Texts(), certificate);
        }
        catch (Exception e) when (e is CmpException or CryptographicException or ArgumentException)
        {
            _logger.LogWarning("CMP server: the CA refused the request: {Message}", e.Message);
            return Reject(certReqId, PkiFailureInfo.BadCertTemplate, "the CA cannot issue this certificate: " + e.Message);
        }
    }

    private static Decision Reject(long certReqId, PkiFailureInfo failure, string text) =>
        new(certReqId, PkiStatus.Rejection, failure, [text], null);

    /// <summary>
    /// Finds the transaction of a follow-up request and checks its recipNonce against the senderNonce of our
    /// last response (RFC 9810, section 5.1.1). Returns the error response to send, or null with the transaction.
    /// </summary>
    private byte[]? FollowUp(RequestContext rc, out ServerTransaction? tx)
    {
        tx = Find(rc.TransactionId);
        if (tx is null)
        {
            return Error(rc, PkiFailureInfo.BadRequest, "no transaction with this transactionID is open");
        }
        lock (tx)
        {
            tx.MessageCount++;
            if (tx.LastSenderNonce is null || rc.RecipNonce is null || !rc.RecipNonce.AsSpan().SequenceEqual(tx.LastSenderNonce))
            {
                // Not passing tx: a stale or replayed message must not move the transaction's nonce on.
                return Error(rc, PkiFailureInfo.BadRecipientNonce,
                    rc.RecipNonce is null ? "the request has no recipNonce" : "the request's recipNonce is not the senderNonce of our last response");
            }
        }
        return null;
    }

    /// <summary>pollReq (RFC 9810, section 5.3.22): pollRep while the count lasts, then the kept answer.</summary>
    private byte[] HandlePollReq(PkiMessage message, RequestContext rc)
    {
        if (FollowUp(rc, out var tx) is { } error)
        {
            return error;
        }
        lock (tx!)
        {
            if (tx.State != CmpServerTransactionState.Polling)
            {
                return Error(rc, PkiFailureInfo.BadRequest, "this transaction is not waiting for a pollReq", tx);
            }
            IReadOnlyList<long> ids;
            try
            {
                ids = RequestReader.ReadPollReq(message.Body);
            }
            catch (CmpException e)
            {
                return Error(rc, PkiFailureInfo.BadDataFormat, e.Message, tx);
            }
            if (ids.Count != 1 || ids[0] != tx.CertReqId)
            {
                return Error(rc, PkiFailureInfo.BadRequest, "the pollReq does not ask for the pending certReqId", tx);
            }
            if (tx.PollsLeft > 0)
            {
                tx.PollsLeft--;
                return Respond(rc, ResponseBuilder.PollRep(tx.CertReqId, _options.CheckAfter, null), negative: false, tx);
            }
            return DeliverFinal(tx, rc);
        }
    }

    /// <summary>
    /// certConf (RFC 9810, section 5.3.18): the certHash must match the certificate sent; a positive or
    /// negative confirmation is recorded and answered with pkiConf.
    /// </summary>
    private byte[] HandleCertConf(PkiMessage message, RequestContext rc)
    {
        if (FollowUp(rc, out var tx) is { } error)
        {
            return error;
        }
        lock (tx!)
        {
            if (tx.State != CmpServerTransactionState.AwaitingConfirmation || tx.Certificate is null)
            {
                return Error(rc, PkiFailureInfo.BadRequest, "this transaction is not waiting for a certConf", tx);
            }
            IReadOnlyList<CertStatusData> statuses;
            try
            {
                statuses = RequestReader.ReadCertConf(message.Body);
            }
            catch (CmpException e)
            {
                return Error(rc, PkiFailureInfo.BadDataFormat, e.Message, tx);
            }
            if (statuses.Count == 0)
            {
                // An empty list: the client rejects the certificate without saying more.
                tx.State = CmpServerTransactionState.RejectedByClient;
                tx.ClientStatus = new CmpStatusInfo(PkiStatus.Rejection);
                return Respond(rc, RequestBuilder.PkiConf(), negative: false, tx);
            }
            var status = statuses[0];
            if (statuses.Count != 1 || status.CertReqId != tx.CertReqId)
            {
                return Error(rc, PkiFailureInfo.BadCertId, "the certConf does not refer to the certReqId of the certificate sent", tx);
            }
            var hashAlg = status.HashAlgorithmOid is null ? tx.CertHashAlgorithm : status.HashAlgorithm;
            if (hashAlg is not { } hash)
            {
                return Error(rc, PkiFailureInfo.BadAlg, "the certHash algorithm is not supported", tx);
            }
            if (!CryptographicOperations.FixedTimeEquals(SignatureAlgorithms.HashData(hash, tx.Certificate.Der), status.CertHash))
            {
                return Error(rc, PkiFailureInfo.BadCertId, "the certHash does not match the certificate sent", tx);
            }
            var rejected = status.Status?.Status == PkiStatus.Rejection;
            tx.State = rejected ? CmpServerTransactionState.RejectedByClient : CmpServerTransactionState.Confirmed;
            tx.ClientStatus = status.Status;
            _logger.LogInformation("CMP server: the client {Outcome} the certificate{Status}", rejected ? "rejected" : "confirmed",
                status.Status is { } s ? ": " + s : "");
            return Respond(rc, RequestBuilder.PkiConf(), negative: false, tx);
        }
    }

    /// <summary>An error message from the client (RFC 9810, section 5.3.21) ends its transaction; answered with pkiConf.</summary>
    private byte[] HandleClientError(PkiMessage message, RequestContext rc)
    {
        CmpStatusInfo info;
        try
        {
            info = RequestReader.ReadError(message.Body);
        }
        catch (CmpException e)
        {
            return Error(rc, PkiFailureInfo.BadDataFormat, e.Message);
        }
        _logger.LogInformation("CMP server: the client sent an error: {Status}", info.ToString());
        var tx = Find(rc.TransactionId);
        if (tx is null)
        {
            return Respond(rc, RequestBuilder.PkiConf(), negative: false);
        }
        if (FollowUp(rc, out _) is { } error)
        {
            return error;
        }
        lock (tx)
        {
            tx.State = CmpServerTransactionState.ClientError;
            tx.ClientStatus = info;
            return Respond(rc, RequestBuilder.PkiConf(), negative: false, tx);
        }
    }
}
