using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Validation;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Client;

// ir, cr, kur, p10cr: request -> (poll) -> certificate checks -> certConf/pkiConf.
public sealed partial class CmpClient
{
    /// <summary>A certificate request (OpenSSL's OSSL_CMP_exec_certreq / OSSL_CMP_try_certreq).</summary>
    internal sealed class CertificateOperation : Operation<EnrollmentResult>
    {
        private readonly CertificateRequestKind _kind;
        private readonly BodyType _requestType;
        private readonly BodyType _responseType;
        private readonly long? _expectedCertReqId;
        private readonly RequestDetails _request;

        public CertificateOperation(CmpClient client, CertificateRequestKind kind, CertificateRequestTemplate template) : base(client)
        {
            (_requestType, _responseType) = kind switch
            {
                CertificateRequestKind.Initial => (BodyType.Ir, BodyType.Ip),
                CertificateRequestKind.Additional => (BodyType.Cr, BodyType.Cp),
                CertificateRequestKind.KeyUpdate => (BodyType.Kur, BodyType.Kup),
                CertificateRequestKind.Pkcs10 => (BodyType.P10cr, BodyType.Cp),
                _ => throw new CmpException(CmpFailureReason.InvalidOptions, $"unknown request kind {kind}"),
            };
            _kind = kind;
            _request = new RequestDetails(client, kind, template);
            _expectedCertReqId = kind == CertificateRequestKind.Pkcs10 ? null : RequestBuilder.CertReqId;
            Parties = _request.Parties;
        }

        public override long WaitingErrorCertReqId => _expectedCertReqId ?? -1;

        public override bool FirstExpectsMore => true;

        public override IReadOnlyList<InfoTypeAndValue> FirstGeneralInfo
        {
            get
            {
                var list = new List<InfoTypeAndValue>();
                if (Client._options.ImplicitConfirm)
                {
                    list.Add(HeaderFields.ImplicitConfirm);
                }
                if (Client._certProfile is { } profile)
                {
                    list.Add(profile);
                }
                return list;
            }
        }

        public override PkiBody BuildRequest()
        {
            var o = Client._options;
            return _kind == CertificateRequestKind.Pkcs10
                ? RequestBuilder.P10CertificateRequest(_request.Csr!.Value)
                : RequestBuilder.CertificateRequest(_requestType, _request.Template,
                    _request.CentralKeyGeneration ? _request.RequestedKeyAlgorithm : _request.PublicKeyInfo, _request.PopKey,
                    o.Digest, o.UseRsaPss, Client._time.GetUtcNow(), _request.CentralKeyGeneration);
        }

        public override Task<bool> HandleFinalAsync(PkiMessage response, CancellationToken ct)
        {
            var client = Client;
            BodyChecks.ExpectBody(response, _responseType); // C21, C25
            var rep = CertRepMessage.GetInstance(response.Body.Content);
            var certResponse = BodyChecks.SingleCertResponse(rep, _expectedCertReqId); // C23
            if (BodyChecks.StatusAllowsCertificate(certResponse, _requestType, out var status)) // C24
            {
                PollCertReqId = certResponse.CertReqID.LongValueExact; // waiting: poll (C22)
                return Task.FromResult(false);
            }
            HeaderChecks.CaCertificatesWithinCap(rep.GetCAPubs()?.Length ?? 0, client._options.MaxCaCertificates, "caPubs"); // C27 (cap)
            Tx.CaPubs = Certificates.ToDotNet(rep.GetCAPubs());
            var certReqId = certResponse.CertReqID.LongValueExact;
            if (status.Status == PkiStatus.GrantedWithMods)
            {
                client._logger.LogWarning("CMP server granted the request with modifications: {Status}", status.ToString());
            }

            // 6. the new certificate (C26, C28, C29) and, with central key generation, its private key (C38-C44)
            var certificate = BodyChecks.NewCertificate(certResponse, _request.CentralKeyGeneration, out var encryptedKey);
            bool implicitConfirm = RequestReader.AsksImplicitConfirm(response.Header);
            bool confirm = !client._options.DisableConfirm && !implicitConfirm;
            AsymmetricAlgorithm? privateKey = null;
            CmpException? rejection;
            if (_request.CentralKeyGeneration)
            {
                rejection = client.ExtractCentralKey(encryptedKey, certificate.Parsed, Tx, out privateKey)
                    ?? client.CheckNewCertificate(certificate, null, Tx);
            }
            else
            {
                rejection = client.CheckNewCertificate(certificate, _request.PublicKeyInfo, Tx);
            }
            // What follows waits for the pkiConf: the response (the whole decoded message) is not needed there, and
            // a client with thousands of transactions in flight should not keep each one alive meanwhile.
            return ConfirmAsync(certificate, certReqId, status, implicitConfirm, confirm, rejection, privateKey, ct);
        }

        /// <summary>7. certConf (C30, C37) and the result, after the checks of the certificate response.</summary>
        private async Task<bool> ConfirmAsync(IssuedCertificate certificate, long certReqId, CmpStatusInfo status, bool implicitConfirm,
            bool confirm, CmpException? rejection, AsymmetricAlgorithm? privateKey, CancellationToken ct)
        {
            var client = Client;
            if (rejection is not null)
            {
                if (confirm)
                {
                    // C37: a rejected certificate is reported by a negative certConf.
                    await client.ConfirmAsync(Tx, Parties, certificate, certReqId, rejection, ct).ConfigureAwait(false);
                }
                privateKey?.Dispose();
                throw rejection;
            }

            // 7. confirm (C30)
            if (confirm)
            {
                await client.ConfirmAsync(Tx, Parties, certificate, certReqId, null, ct).ConfigureAwait(false);
            }

            if (client._logger.IsEnabled(LogLevel.Information))
            {
                client._logger.LogInformation("CMP {Request} succeeded: certificate for '{Subject}' issued by '{Issuer}', serial {Serial}",
                    BodyTypes.Name(_requestType), certificate.Subject, certificate.Issuer, certificate.SerialNumber);
            }
            X509Certificate2Collection caPubs = [.. Tx.CaPubs], extraCerts = [.. Tx.State.ReceivedExtraCerts];
            Result = new EnrollmentResult(certificate, () => client.BuildChain(certificate.Parsed, caPubs, extraCerts), caPubs, extraCerts,
                status, certReqId, Tx.State.TransactionId, implicitConfirm, privateKey);
            return true;
        }
    }

    /// <summary>
    /// C38-C44: the centrally generated private key, decrypted with the client's certificate key or MAC
    /// secret and checked; the rejection to report (negative certConf), or null with the key.
    /// </summary>
    private CmpException? ExtractCentralKey(EncryptedKey? encryptedKey, X509Certificate2 certificate, Transaction tx, out AsymmetricAlgorithm? privateKey)
    {
        var credentials = new KeyDecryptionCredentials(_options.SignatureCredentials?.Certificate, _options.SignatureCredentials?.PrivateKey,
            _options.MacCredentials?.Secret, _options.MaxPbmIterations);
        try
        {
            privateKey = CentralKeyChecks.Extract(encryptedKey, certificate, credentials, tx.State, _policy);
            return null;
        }
        catch (CmpException e)
        {
            privateKey = null;
            return e;
        }
    }

    /// <summary>
    /// C28 (unless <paramref name="enrollmentPublicKeyInfo"/> is null: central key generation, where C44 checks the key),
    /// C29 (with C13): the rejection to report, or null when the certificate is accepted. Only C29 needs the
    /// certificate parsed by .NET.
    /// </summary>
    private CmpException? CheckNewCertificate(IssuedCertificate certificate, byte[]? enrollmentPublicKeyInfo, Transaction tx) =>
        (enrollmentPublicKeyInfo is null ? null : NewCertificateChecks.KeyMatches(certificate, enrollmentPublicKeyInfo))
        ?? (_options.OutTrusted is { } outTrusted
            ? NewCertificateChecks.Trusted(certificate.Parsed, [.. outTrusted],
                _options.TrustCaPubsFromMacProtectedResponse && tx.State.LastResponseMacProtected ? tx.CaPubs : [], // C13
                tx.State, _policy)
            : null);

    /// <summary>C30: certConf (accepted, or rejection for <paramref name="rejection"/>), then pkiConf.</summary>
    private async Task ConfirmAsync(Transaction tx, Parties parties, IssuedCertificate certificate, long certReqId,
        CmpException? rejection, CancellationToken ct)
    {
        var failure = rejection?.Reason switch
        {
            null => PkiFailureInfo.None,
            CmpFailureReason.PublicKeyMismatch or CmpFailureReason.CentralKeyMismatch or CmpFailureReason.CentralKeyMissing
                or CmpFailureReason.CentralKeyMalformed => PkiFailureInfo.IncorrectData,
            CmpFailureReason.CentralKeyUnsupported => PkiFailureInfo.BadAlg,
            CmpFailureReason.CentralKeyNoRecipient or CmpFailureReason.CentralKeyDecryptionFailed
                or CmpFailureReason.CentralKeyInvalidSignature => PkiFailureInfo.BadMessageCheck,
            _ => PkiFailureInfo.SignerNotTrusted,
        };
        var body = rejection is null
            ? RequestBuilder.CertConf(certificate, certReqId, PkiStatus.Accepted, PkiFailureInfo.None, null, _options.Digest, out var v3)
            : RequestBuilder.CertConf(certificate, certReqId, PkiStatus.Rejection, failure, rejection.Message, _options.Digest, out v3);
        var response = await tx.ExchangeAsync(body, parties, expectMore: false, ct, pvno: v3 ? 3 : 2).ConfigureAwait(false);
        BodyChecks.ExpectBody(response, BodyType.PkiConf); // C21 for certConf
    }

    private X509Certificate2Collection BuildChain(X509Certificate2 certificate, X509Certificate2Collection caPubs, X509Certificate2Collection extraCerts)
    {
        if (_options.OutTrusted is not { Count: > 0 } && _options.TrustAnchors.Count == 0 && caPubs.Count == 0
            && extraCerts.Count == 0 && _options.UntrustedCertificates.Count == 0)
        {
            return []; // nothing to build a chain from (X509Chain costs milliseconds even then)
        }
        var anchors = ((IEnumerable<X509Certificate2>?)_options.OutTrusted ?? []).Concat(_options.TrustAnchors);
        return [.. CompleteChain(certificate, anchors, [.. caPubs, .. extraCerts, .. _options.UntrustedCertificates])];
    }

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
            CentralKeyGeneration = template.CentralKeyGeneration;
            if (CentralKeyGeneration && kind == CertificateRequestKind.Pkcs10)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "central key generation cannot be requested with a p10cr");
            }
            if (CentralKeyGeneration && template.ProofOfPossession == ProofOfPossessionMethod.RaVerified)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions,
                    "proof of possession raVerified is inconsistent with central key generation, which sends none (RFC 9483, section 4.1.6)");
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
            else if (template.NewPublicKey is { IsEmpty: false } pub)
            {
                PublicKeyInfo = pub.ToArray();
            }
            else if (csrKey is not null)
            {
                PublicKeyInfo = csrKey;
            }
            else if (CentralKeyGeneration && template.OldCertificate is { } old)
            {
                PublicKeyInfo = old.PublicKey.ExportSubjectPublicKeyInfo();
            }
            else if (o.SignatureCredentials is { } sc)
            {
                PublicKeyInfo = ExportSpki(sc.PrivateKey);
                PopKey = sc.PrivateKey;
            }
            else if (!CentralKeyGeneration)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "no key to certify: give a new key, a public key or a PKCS#10 request");
            }
            if (CentralKeyGeneration)
            {
                // RFC 9483, section 4.1.6: only the algorithm of this key is sent; the server makes the key pair.
                RequestedKeyAlgorithm = PublicKeyInfo;
                PublicKeyInfo = null;
                PopKey = null;
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
                CentralKeyGeneration = template.CentralKeyGeneration,
            };

            // RFC 9810 5.1.1 / OpenSSL: sender = subject of the protecting certificate, else of the old certificate, else the requested subject.
            var sender = clientCert?.SubjectName ?? template.OldCertificate?.SubjectName ?? (kind == CertificateRequestKind.KeyUpdate ? null : subject);
            var senderName = sender is null ? Names.NullDn : Names.ToGeneralName(sender);
            if (sender is null && client._protection is MacProtectionSpec { SenderKid: null })
            {
                throw new CmpException(CmpFailureReason.InvalidOptions,
                    "with MAC protection and no subject, a reference (senderKID) is needed to identify the sender");
            }
            var recipient = o.Recipient ?? o.ServerCertificate?.SubjectName ?? template.Issuer
                ?? template.OldCertificate?.IssuerName ?? clientCert?.IssuerName;
            Parties = new Parties(senderName, Names.ToGeneralName(recipient));
        }

        public ReadOnlyMemory<byte>? Csr { get; }
        /// <summary>The enrollment key (C28); null with central key generation.</summary>
        public byte[]? PublicKeyInfo { get; }
        /// <summary>With central key generation: the key whose algorithm the template asks for, if any.</summary>
        public byte[]? RequestedKeyAlgorithm { get; }
        public bool CentralKeyGeneration { get; }
        public AsymmetricAlgorithm? PopKey { get; }
        public CertificateRequestTemplate Template { get; }
        public Parties Parties { get; }

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
}
