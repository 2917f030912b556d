using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Interop.Tests.Infrastructure;

namespace CmpKit.Interop.Tests;

/// <summary>
/// The library's CmpClient over HTTP against the real OpenSSL 3.0 mock server
/// (<c>openssl cmp -port 0</c>) on 127.0.0.1: every enrollment kind, both protections, and the
/// failures the server can be made to produce.
/// </summary>
public sealed class LibraryAgainstOpenSslTests
{
    private const int TestTimeoutMs = 60_000;
    private const string Secret = "pbm secret";
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false });

    private static async Task<OpenSslMockServer> StartPbmServer(TestPki pki, string rspCert, params string[] extra) =>
        await OpenSslMockServer.StartAsync(
            ["-srv_ref", "server-ref", "-srv_secret", "pass:" + Secret, "-rsp_cert", rspCert, .. extra], pki.Directory, TestContext.Current.CancellationToken);

    private static async Task<OpenSslMockServer> StartSignedServer(TestPki pki, string rspCert, params string[] extra) =>
        await OpenSslMockServer.StartAsync(
            ["-srv_cert", pki.Server.CertPath, "-srv_key", pki.Server.KeyPath, "-srv_trusted", pki.Root.CertPath,
             "-rsp_cert", rspCert, .. extra], pki.Directory, TestContext.Current.CancellationToken);

    private static CmpClient Client(OpenSslMockServer server, CmpClientOptions options, string path = "pkix/") =>
        new(Http, new Uri("http://" + server.Url(path)), options with { TotalTimeout = TimeSpan.FromSeconds(30), MessageTimeout = TimeSpan.FromSeconds(10) });

    private static CmpClientOptions Pbm(TestPki pki) => new()
    {
        MacCredentials = new CmpMacCredentials(Encoding.UTF8.GetBytes(Secret), "client-ref"u8.ToArray()),
        Recipient = pki.Server.Certificate.SubjectName,
    };

    private static CmpClientOptions Signed(TestPki pki) => new()
    {
        SignatureCredentials = new CmpSignatureCredentials(pki.Client.Certificate, pki.Client.Key, [pki.Intermediate.Certificate]),
        TrustAnchors = [pki.Root.Certificate],
        ExpectedSender = pki.Server.Certificate.SubjectName,
    };

    private static CertificateRequestTemplate Template(TestCredential enrolled) =>
        new() { NewKey = enrolled.Key, Subject = enrolled.Certificate.SubjectName };

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Ir_with_pbm()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=ir pbm", "enrolled");
        await using var server = await StartPbmServer(pki, enrolled.CertPath);
        var result = await Client(server, Pbm(pki)).InitialEnrollAsync(Template(enrolled), TestContext.Current.CancellationToken);
        Assert.Equal(enrolled.Certificate, result.Certificate);
        Assert.False(result.ImplicitlyConfirmed);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(TestKeyType.EcP256)]
    [InlineData(TestKeyType.Rsa2048)]
    public async Task Cr_with_signature(TestKeyType keyType)
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki(keyType);
        var enrolled = pki.Issue(pki.Intermediate, "CN=cr signed", "enrolled");
        await using var server = await StartSignedServer(pki, enrolled.CertPath);
        var result = await Client(server, Signed(pki)).EnrollAsync(Template(enrolled), TestContext.Current.CancellationToken);
        Assert.Equal(enrolled.Certificate, result.Certificate);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Ir_with_rsa_pss_signature()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki(TestKeyType.Rsa2048);
        var enrolled = pki.Issue(pki.Intermediate, "CN=ir pss", "enrolled");
        await using var server = await StartSignedServer(pki, enrolled.CertPath);
        var result = await Client(server, Signed(pki) with { UseRsaPss = true }).InitialEnrollAsync(Template(enrolled), TestContext.Current.CancellationToken);
        Assert.Equal(enrolled.Certificate, result.Certificate);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Kur_with_signature()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        // OpenSSL 3.0's mock checks that oldCertID names its -rsp_cert, and returns that same
        // certificate: so the certificate to update is the one it hands out, with its key.
        var enrolled = pki.Issue(pki.Intermediate, "CN=kur signed", "updated");
        await using var server = await StartSignedServer(pki, enrolled.CertPath);
        var result = await Client(server, Signed(pki)).UpdateKeyAsync(
            new CertificateRequestTemplate { NewKey = enrolled.Key, OldCertificate = enrolled.Certificate }, TestContext.Current.CancellationToken);
        Assert.Equal(enrolled.Certificate, result.Certificate);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task P10cr_with_pbm()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=p10cr", "enrolled");
        var csr = new CertificateRequest(enrolled.Certificate.SubjectName, (ECDsa)enrolled.Key, HashAlgorithmName.SHA256).CreateSigningRequest();
        await using var server = await StartPbmServer(pki, enrolled.CertPath);
        var result = await Client(server, Pbm(pki)).EnrollPkcs10Async(csr, TestContext.Current.CancellationToken);
        Assert.Equal(enrolled.Certificate, result.Certificate);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Implicit_confirm_granted_by_the_server()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=implicit", "enrolled");
        await using var server = await StartPbmServer(pki, enrolled.CertPath, "-grant_implicitconf");
        var result = await Client(server, Pbm(pki) with { ImplicitConfirm = true }).InitialEnrollAsync(Template(enrolled), TestContext.Current.CancellationToken);
        Assert.True(result.ImplicitlyConfirmed);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Polling_until_the_certificate_is_ready()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=polled", "enrolled");
        await using var server = await StartPbmServer(pki, enrolled.CertPath, "-poll_count", "2", "-check_after", "1");
        var result = await Client(server, Pbm(pki)).InitialEnrollAsync(Template(enrolled), TestContext.Current.CancellationToken);
        Assert.Equal(enrolled.Certificate, result.Certificate);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Rejection_carries_the_server_status()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=rejected", "enrolled");
        await using var server = await StartPbmServer(pki, enrolled.CertPath, "-pkistatus", "2", "-failure", "9", "-statusstring", "no way");
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, Pbm(pki)).InitialEnrollAsync(Template(enrolled), TestContext.Current.CancellationToken));
        Assert.Equal(CmpFailureReason.RequestRejected, e.Reason);
        Assert.Equal(PkiFailureInfo.BadPop, e.ServerStatus!.FailureInfo);
        Assert.Contains("no way", e.ServerStatus.Texts);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Certificate_for_another_key_is_rejected()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var other = pki.Issue(pki.Intermediate, "CN=someone else", "other");
        await using var server = await StartPbmServer(pki, other.CertPath, "-verbosity", "7");
        var e = await Assert.ThrowsAsync<CmpException>(() =>
            Client(server, Pbm(pki)).InitialEnrollAsync(new CertificateRequestTemplate { NewKey = TestPki.CreateKey(TestKeyType.EcP256), Subject = new("CN=me") }, TestContext.Current.CancellationToken));
        Assert.Equal(CmpFailureReason.PublicKeyMismatch, e.Reason);
        // The server saw our negative certConf (OpenSSL logs the rejection it received).
        Assert.True(server.Output.Contains("certConf", StringComparison.OrdinalIgnoreCase), server.Diagnostics());
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Wrong_secret_fails()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=wrong secret", "enrolled");
        await using var server = await StartPbmServer(pki, enrolled.CertPath);
        var options = Pbm(pki) with { MacCredentials = new CmpMacCredentials("not the secret"u8.ToArray(), "client-ref"u8.ToArray()) };
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, options).InitialEnrollAsync(Template(enrolled), TestContext.Current.CancellationToken));
        Assert.Equal(CmpFailureReason.InvalidMac, e.Reason);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Untrusted_server_fails()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        using var otherPki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=untrusted", "enrolled");
        await using var server = await StartSignedServer(pki, enrolled.CertPath);
        var options = Signed(pki) with { TrustAnchors = [otherPki.Root.Certificate] };
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, options).InitialEnrollAsync(Template(enrolled), TestContext.Current.CancellationToken));
        Assert.Equal(CmpFailureReason.SenderCertificateUntrusted, e.Reason);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Wrong_expected_sender_fails()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=expected", "enrolled");
        await using var server = await StartSignedServer(pki, enrolled.CertPath);
        var options = Signed(pki) with { ExpectedSender = new X500DistinguishedName("CN=Not The Server") };
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, options).InitialEnrollAsync(Template(enrolled), TestContext.Current.CancellationToken));
        Assert.Equal(CmpFailureReason.UnexpectedSender, e.Reason);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Wrong_path_is_an_http_error()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=path", "enrolled");
        await using var server = await StartPbmServer(pki, enrolled.CertPath);
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, Pbm(pki), "wrong/path").InitialEnrollAsync(Template(enrolled), TestContext.Current.CancellationToken));
        Assert.Equal(CmpFailureReason.HttpError, e.Reason);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task No_server_listening_is_a_connection_failure()
    {
        using var pki = new TestPki();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var client = new CmpClient(Http, new Uri($"http://127.0.0.1:{port}/pkix/"), Pbm(pki));
        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(
            new CertificateRequestTemplate { NewKey = TestPki.CreateKey(TestKeyType.EcP256), Subject = new("CN=x") }, TestContext.Current.CancellationToken));
        Assert.Equal(CmpFailureReason.ConnectionFailed, e.Reason);
    }
}
