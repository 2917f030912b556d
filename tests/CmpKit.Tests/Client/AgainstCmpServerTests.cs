using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Server;
using CmpKit.Transport;
using Microsoft.Extensions.Time.Testing;

namespace CmpKit.Tests.Client;

/// <summary>The try form, abort, rr and genm against CmpKit's own server engine, in process.</summary>
public class AgainstCmpServerTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("in-process secret");

    private static (CmpServer Server, CmpClient Client) Setup(int pollCount = 0, int pkiStatus = -1, TimeProvider? time = null)
    {
        var server = new CmpServer(new MockCaOptions
        {
            SrvSecret = Secret,
            SrvRef = "server"u8.ToArray(),
            PollCount = pollCount,
            CheckAfter = 2,
            PkiStatus = pkiStatus,
        });
        var client = new CmpClient(new InProcessCmpTransport(server.HandleAsync), new CmpClientOptions
        {
            MacCredentials = new CmpMacCredentials(Secret, "client"u8.ToArray()),
        }, timeProvider: time);
        return (server, client);
    }

    private static CertificateRequestTemplate Template() =>
        new() { NewKey = ECDsa.Create(ECCurve.NamedCurves.nistP256), Subject = new X500DistinguishedName("CN=in process") };

    [Fact]
    public async Task Try_form_polls_until_the_server_delivers()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (_, client) = Setup(pollCount: 3, time: time);
        var step = await client.TryRequestCertificateAsync(CertificateRequestKind.Initial, Template(), Ct);
        int pending = 0;
        while (step.IsPending)
        {
            Assert.Equal(TimeSpan.FromSeconds(2), step.Pending.CheckAfter);
            Assert.True(++pending < 10);
            time.Advance(step.Pending.CheckAfter);
            step = await client.ContinueRequestAsync(step.Pending, Ct);
        }
        Assert.True(pending >= 1);
        Assert.Equal("CN=in process", step.Result.Certificate.Subject);
    }

    [Fact]
    public async Task The_result_holds_the_confirmed_encoding_and_the_certificate_parsed_from_it()
    {
        var (_, client) = Setup();
        var template = Template();
        var result = await client.RequestCertificateAsync(CertificateRequestKind.Initial, template, Ct);
        Assert.False(result.ImplicitlyConfirmed); // certConf carried the hash of CertificateRawData, and the server accepted it
        Assert.Equal(result.Certificate.RawData, result.CertificateRawData.ToArray());
        Assert.Same(result.Certificate, result.Certificate);
        Assert.Equal("CN=in process", result.Certificate.Subject);
        Assert.Equal(template.NewKey!.ExportSubjectPublicKeyInfo(), result.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public async Task Abort_is_confirmed_by_the_server()
    {
        var (server, client) = Setup(pollCount: 5);
        var step = await client.TryRequestCertificateAsync(CertificateRequestKind.Initial, Template(), Ct);
        Assert.True(step.IsPending);
        await client.AbortRequestAsync(step.Pending, Ct);
        Assert.True(step.Pending.HasEnded);
        Assert.NotNull(server.FindTransaction(step.Pending.TransactionId.Span));
    }

    [Fact]
    public async Task Revocation_of_an_issued_certificate_then_again_then_of_an_unknown_one()
    {
        var (server, client) = Setup();
        var issued = (await client.InitialEnrollAsync(Template(), Ct)).Certificate;
        var result = await client.RevokeAsync(issued, X509RevocationReason.KeyCompromise, Ct);
        Assert.Equal(PkiStatus.Accepted, result.Status.Status);

        // A second rr: revocationNotification, which the client takes as success with a warning (C35).
        var again = await client.RevokeAsync(issued, null, Ct);
        Assert.Equal(PkiStatus.RevocationNotification, again.Status.Status);
        Assert.NotEmpty(again.Warnings);

        // A certificate the server never issued: badCertId.
        var unknown = await Assert.ThrowsAsync<CmpException>(() => client.RevokeAsync(server.CertificateAuthority!.Certificate, null, Ct));
        Assert.Equal(CmpFailureReason.RequestRejected, unknown.Reason);
        Assert.Equal(PkiFailureInfo.BadCertId, unknown.ServerStatus!.FailureInfo);
    }

    [Fact]
    public async Task Revocation_rejected_by_configuration()
    {
        var (server, client) = Setup();
        var issued = (await client.InitialEnrollAsync(Template(), Ct)).Certificate;
        var (_, rejectingClient) = Setup(pkiStatus: 2);
        var e = await Assert.ThrowsAsync<CmpException>(() => rejectingClient.RevokeAsync(issued, null, Ct));
        Assert.Equal(CmpFailureReason.RequestRejected, e.Reason);
        Assert.NotNull(server);
    }

    [Fact]
    public async Task General_messages_echo_and_ca_certificates()
    {
        var (server, client) = Setup();
        Assert.Empty(await client.GeneralMessageAsync([], Ct));
        // Like OpenSSL's mock, the server echoes what it has no answer for.
        var echoed = await client.GeneralMessageAsync([CmpInfoTypeAndValue.Utf8String("1.3.6.1.4.1.99999.1", "hello")], Ct);
        Assert.Equal("1.3.6.1.4.1.99999.1", Assert.Single(echoed).Type.Value);
        // caCerts: the CA's own certificate, checked by the typed helper (C36).
        var caCerts = await client.GetCaCertificatesAsync(Ct);
        Assert.Equal(server.CertificateAuthority!.Certificate, Assert.Single(caCerts.Cast<X509Certificate2>()));
    }
}
