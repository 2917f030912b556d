using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Server;
using CmpKit.Transport;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Server;

/// <summary>What the server does with bad, badly protected or unwelcome requests.</summary>
public class CmpServerRequestCheckTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("test");
    private static readonly byte[] Reference = Encoding.UTF8.GetBytes("ref");

    private static CancellationTokenSource Bounded() => new(TimeSpan.FromSeconds(10));

    private static CmpClient Client(CmpServer server, CmpClientOptions options) =>
        new(new InProcessCmpTransport(server.HandleAsync), options);

    private static CertificateRequestTemplate Template(AsymmetricAlgorithm key, string subject = "CN=client") =>
        new() { NewKey = key, Subject = new X500DistinguishedName(subject) };

    private static CmpStatusInfo ErrorStatus(byte[] response, out PkiMessage message)
    {
        message = PkiMessageCodec.Decode(response);
        Assert.Equal((int)BodyType.Error, message.Body.Type);
        return StatusInfos.ToCmp(ErrorMsgContent.GetInstance(message.Body.Content).PkiStatusInfo);
    }

    [Fact]
    public async Task Wrong_client_secret_gets_an_error_the_client_cannot_authenticate()
    {
        using var cts = Bounded();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = Client(server, new CmpClientOptions { MacCredentials = new CmpMacCredentials(Encoding.UTF8.GetBytes("wrong"), Reference) });

        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(Template(key), cts.Token));

        // The error message is MAC-protected with the server's secret, which the client does not have.
        Assert.Equal(CmpFailureReason.InvalidMac, e.Reason);
        Assert.Empty(server.Transactions);
    }

    [Fact]
    public async Task Wrong_client_secret_with_unprotected_errors_shows_badMessageCheck()
    {
        using var cts = Bounded();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, SendUnprotectedErrors = true });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = Client(server, new CmpClientOptions
        {
            MacCredentials = new CmpMacCredentials(Encoding.UTF8.GetBytes("wrong"), Reference),
            UnprotectedErrors = true,
        });

        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(Template(key), cts.Token));

        Assert.Equal(CmpFailureReason.ServerError, e.Reason);
        Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.BadMessageCheck));
    }

    [Fact]
    public async Task SendError_answers_every_request_with_an_error()
    {
        using var cts = Bounded();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, SendError = true });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = Client(server, new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference) });

        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(Template(key), cts.Token));

        Assert.Equal(CmpFailureReason.ServerError, e.Reason);
        Assert.Equal(PkiStatus.Rejection, e.ServerStatus!.Status);
        Assert.True(e.ServerStatus.FailureInfo.HasFlag(PkiFailureInfo.BadRequest));
    }

    [Fact]
    public async Task Signer_that_does_not_chain_to_SrvTrusted_is_not_trusted()
    {
        using var cts = Bounded();
        var pki = new TestPki();
        var otherPki = new TestPki("CN=Other Root");
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientCert = otherPki.Issue("CN=stranger", clientKey);
        var server = new CmpServer(new MockCaOptions { SrvTrusted = [pki.Root], SendUnprotectedErrors = true });
        var client = Client(server, new CmpClientOptions
        {
            SignatureCredentials = new CmpSignatureCredentials(clientCert, clientKey),
            TrustAnchors = [server.SigningCertificate!],
            UnprotectedErrors = true,
        });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(Template(key), cts.Token));

        Assert.Equal(CmpFailureReason.ServerError, e.Reason);
        Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.SignerNotTrusted));
    }

    [Fact]
    public async Task Unprotected_request_is_refused_unless_accepted()
    {
        using var cts = Bounded();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new CmpClientOptions { UnprotectedRequests = true, MacCredentials = new CmpMacCredentials(Secret, Reference) };

        var strict = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference });
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(strict, options).InitialEnrollAsync(Template(key), cts.Token));
        Assert.Equal(CmpFailureReason.ServerError, e.Reason);
        Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.BadMessageCheck));

        var lenient = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, AcceptUnprotected = true });
        var result = await Client(lenient, options).InitialEnrollAsync(Template(key), cts.Token);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), result.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RaVerified_POP_needs_AcceptRaVerified(bool accept)
    {
        using var cts = Bounded();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, AcceptRaVerified = accept });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = Client(server, new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference) });
        var template = new CertificateRequestTemplate
        {
            NewPublicKey = key.ExportSubjectPublicKeyInfo(),
            Subject = new X500DistinguishedName("CN=ra"),
            ProofOfPossession = ProofOfPossessionMethod.RaVerified,
        };

        if (accept)
        {
            var result = await client.InitialEnrollAsync(template, cts.Token);
            Assert.Equal(key.ExportSubjectPublicKeyInfo(), result.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
        }
        else
        {
            var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(template, cts.Token));
            Assert.Equal(CmpFailureReason.RequestRejected, e.Reason);
            Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.BadPop));
        }
    }

    [Fact]
    public async Task Missing_POP_is_badPOP()
    {
        using var cts = Bounded();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, AcceptRaVerified = true });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = Client(server, new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference) });

        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(new CertificateRequestTemplate
        {
            NewPublicKey = key.ExportSubjectPublicKeyInfo(),
            Subject = new X500DistinguishedName("CN=nopop"),
            ProofOfPossession = ProofOfPossessionMethod.None,
        }, cts.Token));

        Assert.Equal(CmpFailureReason.RequestRejected, e.Reason);
        Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.BadPop));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x30, 0x03, 0x02, 0x01, 0x02 })]
    [InlineData(new byte[] { 0x04, 0x02, 0xAB })]
    public async Task Malformed_input_gets_a_protected_badDataFormat_error(byte[] input)
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference });

        var response = await server.HandleAsync(input, CancellationToken.None);

        var status = ErrorStatus(response, out var message);
        Assert.True(status.FailureInfo.HasFlag(PkiFailureInfo.BadDataFormat));
        Assert.NotNull(message.Protection);
        Assert.True(CmpKit.Protection.ProtectionVerifier.VerifyMac(message, Secret, 100_000));
    }

    [Fact]
    public async Task Replayed_certConf_with_a_stale_recipNonce_is_badRecipientNonce()
    {
        using var cts = Bounded();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference });
        var seen = new List<byte[]>();
        var transport = new InProcessCmpTransport(async (req, ct) =>
        {
            seen.Add(req.ToArray());
            return await server.HandleAsync(req, ct);
        });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await new CmpClient(transport, new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference) })
            .InitialEnrollAsync(Template(key), cts.Token);
        Assert.Equal(2, seen.Count);

        // The same certConf again: its recipNonce answers the ip, not the pkiConf sent since.
        var response = await server.HandleAsync(seen[1], cts.Token);

        Assert.True(ErrorStatus(response, out _).FailureInfo.HasFlag(PkiFailureInfo.BadRecipientNonce));
    }

    [Fact]
    public async Task Ir_replayed_while_its_transaction_runs_is_transactionIdInUse_and_after_it_ended_starts_anew()
    {
        using var cts = Bounded();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference });
        byte[]? first = null;
        var transport = new InProcessCmpTransport(async (req, ct) =>
        {
            first ??= req.ToArray();
            return await server.HandleAsync(req, ct);
        });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference), DisableConfirm = true };
        await new CmpClient(transport, options).InitialEnrollAsync(Template(key), cts.Token);

        // No certConf was sent: the transaction still awaits confirmation, its transactionID is in use.
        var response = await server.HandleAsync(first!, cts.Token);
        Assert.True(ErrorStatus(response, out _).FailureInfo.HasFlag(PkiFailureInfo.TransactionIdInUse));

        // A confirmed transaction has ended: the same ir starts a new one (as OpenSSL's mock; -reqin).
        byte[]? second = null;
        var transport2 = new InProcessCmpTransport(async (req, ct) =>
        {
            second ??= req.ToArray();
            return await server.HandleAsync(req, ct);
        });
        await new CmpClient(transport2, options with { DisableConfirm = false }).InitialEnrollAsync(Template(key), cts.Token);
        var again = PkiMessageCodec.Decode(await server.HandleAsync(second!, cts.Token));
        Assert.Equal((int)BodyType.Ip, again.Body.Type);
    }

    [Fact]
    public void Inconsistent_options_are_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pki = new TestPki();
        Assert.Throws<ArgumentException>(() => new CmpServer(new MockCaOptions { SrvCert = pki.Root }));
        Assert.Throws<ArgumentException>(() => new CmpServer(new MockCaOptions { Failure = 27 }));
        Assert.Throws<ArgumentException>(() => new CmpServer(new MockCaOptions { PkiStatus = 7 }));
        Assert.Throws<ArgumentException>(() => new CmpServer(new MockCaOptions { CaCertificate = pki.Root }));
    }
}
