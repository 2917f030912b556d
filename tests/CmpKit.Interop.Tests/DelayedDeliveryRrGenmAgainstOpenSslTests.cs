using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Interop.Tests.Infrastructure;

namespace CmpKit.Interop.Tests;

/// <summary>
/// The library against the real OpenSSL 3.0 mock server on 127.0.0.1: polling in the blocking and
/// the non-blocking form (try, continue, abort), revocation (rr/rp) with and without a reason and
/// rejected, and general messages (the 3.0 mock echoes the ITAVs of a genm).
/// </summary>
public sealed class DelayedDeliveryRrGenmAgainstOpenSslTests
{
    private const int TestTimeoutMs = 60_000;
    private const string Secret = "pbm secret";
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false });

    private static async Task<OpenSslMockServer> StartServer(TestPki pki, string rspCert, params string[] extra) =>
        await OpenSslMockServer.StartAsync(
            ["-srv_ref", "server-ref", "-srv_secret", "pass:" + Secret, "-rsp_cert", rspCert, .. extra], pki.Directory, TestContext.Current.CancellationToken);

    private static CmpClient Client(OpenSslMockServer server, TestPki pki) =>
        new(Http, new Uri("http://" + server.Url()), new CmpClientOptions
        {
            MacCredentials = new CmpMacCredentials(Encoding.UTF8.GetBytes(Secret), "client-ref"u8.ToArray()),
            Recipient = pki.Server.Certificate.SubjectName,
            TotalTimeout = TimeSpan.FromSeconds(30),
            MessageTimeout = TimeSpan.FromSeconds(10),
        });

    private static CertificateRequestTemplate Template(TestCredential enrolled) =>
        new() { NewKey = enrolled.Key, Subject = enrolled.Certificate.SubjectName };

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Try_form_step_by_step_until_the_certificate_is_ready()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=polled try", "enrolled");
        await using var server = await StartServer(pki, enrolled.CertPath, "-poll_count", "2", "-check_after", "1");
        var client = Client(server, pki);

        var step = await client.TryRequestCertificateAsync(CertificateRequestKind.Initial, Template(enrolled), TestContext.Current.CancellationToken);
        int pendingSteps = 0;
        while (step.IsPending)
        {
            pendingSteps++;
            Assert.True(pendingSteps <= 5, server.Diagnostics());
            Assert.Equal(TimeSpan.FromSeconds(1), step.Pending.CheckAfter);
            await Task.Delay(step.Pending.CheckAfter, TestContext.Current.CancellationToken);
            step = await client.ContinueRequestAsync(step.Pending, TestContext.Current.CancellationToken);
        }
        Assert.True(pendingSteps >= 1);
        Assert.Equal(enrolled.Certificate, step.Result.Certificate);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Blocking_polling_with_check_after()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=polled blocking", "enrolled");
        await using var server = await StartServer(pki, enrolled.CertPath, "-poll_count", "3", "-check_after", "1");
        var started = DateTimeOffset.UtcNow;
        var result = await Client(server, pki).EnrollAsync(Template(enrolled), TestContext.Current.CancellationToken);
        Assert.Equal(enrolled.Certificate, result.Certificate);
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromSeconds(1.5), "the client waited checkAfter between polls");
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Try_form_abort_is_confirmed_by_the_server()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=aborted", "enrolled");
        await using var server = await StartServer(pki, enrolled.CertPath, "-poll_count", "5", "-check_after", "60");
        var client = Client(server, pki);
        var step = await client.TryRequestCertificateAsync(CertificateRequestKind.Initial, Template(enrolled), TestContext.Current.CancellationToken);
        Assert.True(step.IsPending);
        Assert.InRange(step.Pending.CheckAfter, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(30)); // 60 s capped by what is left of the 30 s total timeout

        // OpenSSL's server answers the client's error message with pkiConf.
        await client.AbortRequestAsync(step.Pending, TestContext.Current.CancellationToken);
        Assert.True(step.Pending.HasEnded);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(null)]
    [InlineData(X509RevocationReason.KeyCompromise)]
    public async Task Revocation(X509RevocationReason? reason)
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        // OpenSSL 3.0's mock accepts an rr only for the certificate it hands out (-rsp_cert); its rp
        // names it in revCerts, which the client checks (C35).
        var enrolled = pki.Issue(pki.Intermediate, "CN=to revoke", "revoked");
        await using var server = await StartServer(pki, enrolled.CertPath);
        var result = await Client(server, pki).RevokeAsync(enrolled.Certificate, reason, TestContext.Current.CancellationToken);
        Assert.Equal(PkiStatus.Accepted, result.Status.Status);
        Assert.Empty(result.Warnings);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Revocation_of_another_certificate_is_refused_by_the_server()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=handed out", "enrolled");
        var other = pki.Issue(pki.Intermediate, "CN=other", "other");
        await using var server = await StartServer(pki, enrolled.CertPath);
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, pki).RevokeAsync(other.Certificate, null, TestContext.Current.CancellationToken));
        Assert.Equal(CmpFailureReason.ServerError, e.Reason);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Revocation_rejected()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=not revoked", "enrolled");
        await using var server = await StartServer(pki, enrolled.CertPath, "-pkistatus", "2", "-failure", "4", "-statusstring", "no revocation today");
        var e = await Assert.ThrowsAsync<CmpException>(() =>
            Client(server, pki).RevokeAsync(enrolled.Certificate, X509RevocationReason.Superseded, TestContext.Current.CancellationToken));
        Assert.Equal(CmpFailureReason.RequestRejected, e.Reason);
        Assert.Equal(PkiStatus.Rejection, e.ServerStatus!.Status);
        Assert.Equal(PkiFailureInfo.BadCertId, e.ServerStatus.FailureInfo);
        Assert.Contains("no revocation today", e.ServerStatus.Texts);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task General_message_without_info_type()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=genm", "enrolled");
        await using var server = await StartServer(pki, enrolled.CertPath);
        var genp = await Client(server, pki).GeneralMessageAsync([], TestContext.Current.CancellationToken);
        Assert.Empty(genp);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task General_message_with_info_types_is_echoed_by_the_3_0_mock()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=genm echo", "enrolled");
        await using var server = await StartServer(pki, enrolled.CertPath);
        var client = Client(server, pki);
        var genp = await client.GeneralMessageAsync([new CmpInfoTypeAndValue(new Oid("1.3.6.1.5.5.7.4.3"))], TestContext.Current.CancellationToken);
        Assert.Equal("1.3.6.1.5.5.7.4.3", Assert.Single(genp).TypeValue);
        Assert.Null(genp[0].Value);
        genp = await client.GeneralMessageAsync([CmpInfoTypeAndValue.Utf8String("1.2.3.4", "echo me")], TestContext.Current.CancellationToken);
        Assert.Equal(CmpInfoTypeAndValue.Utf8String("1.2.3.4", "echo me").Value!.Value.ToArray(), Assert.Single(genp).Value!.Value.ToArray());

        // The typed helper insists on a value for signKeyPairTypes (C36); an echo has none.
        var e = await Assert.ThrowsAsync<CmpException>(() => client.GetSignKeyPairTypesAsync(TestContext.Current.CancellationToken));
        Assert.Equal(CmpFailureReason.InvalidSignKeyPairTypes, e.Reason);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Geninfo_and_cert_profile_are_accepted_by_the_server()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=geninfo", "enrolled");
        await using var server = await StartServer(pki, enrolled.CertPath);
        var client = new CmpClient(Http, new Uri("http://" + server.Url()), Client(server, pki).Options with
        {
            GeneralInfo = [CmpInfoTypeAndValue.Integer("1.2.3.4", 56789)],
            CertificateProfile = "profile1",
        });
        var result = await client.InitialEnrollAsync(Template(enrolled), TestContext.Current.CancellationToken);
        Assert.Equal(enrolled.Certificate, result.Certificate);
    }
}
