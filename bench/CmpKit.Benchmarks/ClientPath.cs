using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Validation;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Benchmarks;

/// <summary>
/// The client's steps for one ir and its ip, done with the library's internals exactly as CmpClient does
/// them (CmpClient.Enrollment.cs RequestDetails and CertificateOperation, CmpClient.Pipeline.cs
/// Transaction.ExchangeAsync/Build), minus the transport. This is the one file of the benchmarks that
/// mirrors CmpClient's code; <see cref="CheckMirrorsCmpClient"/> compares its ir with a real CmpClient's.
/// </summary>
internal sealed class ClientPath
{
    private readonly Scenario _scenario;
    private readonly ProtectionSpec _protection;
    private readonly VerificationPolicy _policy;
    private readonly GeneralName _sender;
    private readonly GeneralName _recipient;
    private readonly CertificateRequestTemplate _template;

    public ClientPath(Scenario scenario)
    {
        _scenario = scenario;
        var o = scenario.ClientOptions;
        var clientCert = o.SignatureCredentials?.Certificate;
        // CmpClient.CreateProtection: MAC when a secret is given, else the client certificate's key.
        _protection = o.MacCredentials is { } mac
            ? new MacProtectionSpec(mac.Secret.ToArray(), mac.Reference?.ToArray(), mac.OneWayFunction, mac.MacAlgorithm, mac.IterationCount, mac.SaltLength)
            : new SignatureProtectionSpec(clientCert!, o.SignatureCredentials!.PrivateKey, [], o.Digest, o.UseRsaPss);
        // CmpClient's constructor.
        _policy = new VerificationPolicy
        {
            PinnedServerCertificate = o.ServerCertificate,
            ExpectedSender = o.ExpectedSender,
            TrustAnchors = [.. o.TrustAnchors],
            Untrusted = [.. o.UntrustedCertificates],
            Secret = o.MacCredentials?.Secret,
            PbmKeys = (_protection as MacProtectionSpec)?.Keys,
            MaxPbmIterations = o.MaxPbmIterations,
            MaxCheckAfter = o.MaxCheckAfter,
        };
        // RequestDetails: the template completed with the client certificate's issuer; sender and recipient.
        var template = scenario.NewTemplate();
        _template = new CertificateRequestTemplate
        {
            NewKey = template.NewKey,
            Subject = template.Subject,
            Issuer = template.Issuer ?? clientCert?.IssuerName,
        };
        _sender = Names.ToGeneralName(clientCert?.SubjectName ?? template.Subject);
        _recipient = Names.ToGeneralName(o.Recipient ?? o.ServerCertificate?.SubjectName ?? template.Issuer ?? clientCert?.IssuerName);
    }

    /// <summary>The ir as sent, with the transactionID and senderNonce a response must answer.</summary>
    public readonly record struct Request(byte[] Der, byte[] TransactionId, byte[] SenderNonce, byte[] PublicKeyInfo);

    /// <summary>Builds, protects and encodes an ir (POP signature with the new key, then protection).</summary>
    public Request BuildIr()
    {
        var o = _scenario.ClientOptions;
        var newKey = _template.NewKey!;
        var spki = newKey.ExportSubjectPublicKeyInfo();
        var now = DateTimeOffset.UtcNow;
        var body = RequestBuilder.CertificateRequest(BodyType.Ir, _template, spki, newKey, o.Digest, o.UseRsaPss, now);
        var fields = new HeaderFields
        {
            Pvno = 2,
            Sender = _sender,
            Recipient = _recipient,
            MessageTime = now,
            TransactionId = RandomNumberGenerator.GetBytes(16),
            SenderNonce = RandomNumberGenerator.GetBytes(16),
            GeneralInfo = [],
        };
        var message = MessageProtector.Protect(fields, body, _protection, o.ExtraCertificates);
        return new Request(PkiMessageCodec.Encode(message), fields.TransactionId, fields.SenderNonce, spki);
    }

    /// <summary>
    /// Decodes and validates an ip as CmpClient does before it sends certConf: C1, C10 (decoding), C5-C20
    /// (ResponseValidator, with signature and chain or MAC), C21-C26 (body), C28 (key). Returns the certificate's
    /// encoding (CmpClient parses it into an X509Certificate2 only when asked for it).
    /// </summary>
    public byte[] DecodeAndValidateIp(byte[] ip, in Request request)
    {
        var state = new TransactionState(request.TransactionId) { LastSenderNonce = request.SenderNonce };
        var response = PkiMessageCodec.Decode(ip);
        ResponseValidator.Validate(response, state, _policy);
        BodyChecks.ExpectBody(response, BodyType.Ip);
        var rep = CertRepMessage.GetInstance(response.Body.Content);
        var certResponse = BodyChecks.SingleCertResponse(rep, RequestBuilder.CertReqId);
        if (BodyChecks.StatusAllowsCertificate(certResponse, BodyType.Ir, out _))
        {
            throw new InvalidOperationException("the recorded ip says waiting");
        }
        _ = Certificates.ToDotNet(rep.GetCAPubs());
        var certificate = BodyChecks.NewCertificate(certResponse, centralKeyGeneration: false, out _);
        _ = RequestReader.AsksImplicitConfirm(response.Header);
        if (NewCertificateChecks.KeyMatches(certificate, request.PublicKeyInfo) is { } rejection)
        {
            throw rejection;
        }
        return certificate.Der;
    }

    /// <summary>
    /// Guards against this mirror drifting from CmpClient: captures the ir a real CmpClient sends and
    /// compares it with <see cref="BuildIr"/>'s (same header fields, protection algorithm and extraCerts;
    /// lengths within a few bytes, as signatures and DER integers vary).
    /// </summary>
    public async Task CheckMirrorsCmpClient()
    {
        byte[]? captured = null;
        var transport = new Transport.InProcessCmpTransport((request, _) =>
        {
            captured = request.ToArray();
            throw new CapturedException();
        });
        var client = new CmpClient(transport, _scenario.ClientOptions);
        try
        {
            await client.InitialEnrollAsync(_scenario.NewTemplate()).ConfigureAwait(false);
        }
        catch (CapturedException)
        {
        }
        var real = PkiMessageCodec.Decode(captured ?? throw new InvalidOperationException("CmpClient sent nothing"));
        var mine = PkiMessageCodec.Decode(BuildIr().Der);
        string Shape(PkiMessage m) =>
            $"{m.Header.Sender}|{m.Header.Recipient}|{m.Header.ProtectionAlg?.Algorithm}|{m.Header.SenderKID is not null}|" +
            $"{m.Header.RecipNonce is not null}|{m.Header.GetGeneralInfo()?.Length ?? 0}|{m.GetExtraCerts()?.Length ?? 0}|{m.Body.Type}";
        int realLength = captured.Length, myLength = PkiMessageCodec.Encode(mine).Length;
        if (Shape(real) != Shape(mine) || Math.Abs(realLength - myLength) > 8)
        {
            throw new InvalidOperationException(
                $"ClientPath no longer builds the ir as CmpClient does: CmpClient {Shape(real)} ({realLength} bytes), ClientPath {Shape(mine)} ({myLength} bytes). Update bench/CmpKit.Benchmarks/ClientPath.cs.");
        }
    }
}

/// <summary>Stops CmpClient once its first request has been captured (not a CmpException, so it passes through unchanged).</summary>
internal sealed class CapturedException() : Exception("request captured");
