using System.Security.Cryptography.X509Certificates;
using CmpKit.Interop.Tests.Infrastructure;

namespace CmpKit.Interop.Tests;

/// <summary>
/// cmpkit's rr, genm, -geninfo, -repeat and message files (-reqout, -rspout, -rspin) against the real
/// OpenSSL 3.0 mock server, with `openssl cmp` run on the same arguments wherever OpenSSL 3.0 has the
/// option: both must exit alike and write the same files.
/// </summary>
public sealed class CliRrGenmMessageFilesTests
{
    private const int TestTimeoutMs = 90_000;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);
    private const string Secret = "pass:interop secret";

    private static List<string> Common(OpenSslMockServer? server) =>
        server is null
            ? ["-config", "", "-batch", "-msg_timeout", "10", "-total_timeout", "20"]
            : ["-config", "", "-batch", "-server", server.Url(), "-no_proxy", server.Host, "-msg_timeout", "10", "-total_timeout", "20"];

    private static async Task<(ProcessResult OpenSsl, ProcessResult CmpKit)> RunBoth(TestPki pki, OpenSslMockServer server, CancellationToken ct, IReadOnlyList<string> args)
    {
        var ssl = await OpenSsl.RunAsync(["cmp", .. Common(server), .. args], pki.Directory, ClientTimeout, ct);
        var kit = await CmpKitCli.RunAsync([.. Common(server), .. args], pki.Directory, ClientTimeout, ct);
        return (ssl, kit);
    }

    private static void AssertSameExit(int expected, (ProcessResult OpenSsl, ProcessResult CmpKit) o, OpenSslMockServer server)
    {
        Assert.True(o.OpenSsl.ExitCode == expected, $"openssl exit {o.OpenSsl.ExitCode}, expected {expected}:\n{o.OpenSsl}\n{server.Diagnostics()}");
        Assert.True(o.CmpKit.ExitCode == expected, $"cmpkit exit {o.CmpKit.ExitCode}, expected {expected} as openssl:\n{o.CmpKit}\n{server.Diagnostics()}");
        Assert.DoesNotContain("   at ", o.CmpKit.StdErr, StringComparison.Ordinal);
    }

    private static string[] PbmClient(TestPki pki) => ["-ref", "client-ref", "-secret", Secret, "-recipient", pki.Server.OpenSslSubject];

    private static Task<OpenSslMockServer> PbmServer(TestPki pki, TestCredential rspCert, params string[] extra) =>
        OpenSslMockServer.StartAsync(["-srv_ref", "server-ref", "-srv_secret", Secret, "-rsp_cert", rspCert.CertPath, .. extra],
            pki.Directory, TestContext.Current.CancellationToken);

    private static X509Certificate2 Single(string pemPath)
    {
        var c = new X509Certificate2Collection();
        c.ImportFromPemFile(pemPath);
        return Assert.Single(c);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(null)]
    [InlineData("5")]
    [InlineData("0")]
    public async Task Rr_accepted_with_and_without_reason(string? reason)
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=to be revoked", "revoked");
        await using var server = await PbmServer(pki, enrolled);
        string[] revreason = reason is null ? [] : ["-revreason", reason];

        AssertSameExit(0, await RunBoth(pki, server, TestContext.Current.CancellationToken, ["-cmd", "rr", .. PbmClient(pki), "-oldcert", enrolled.CertPath, .. revreason]), server);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Rr_rejected_by_status_and_for_another_certificate()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=to be revoked", "revoked");
        var other = pki.Issue(pki.Intermediate, "CN=someone else", "other");
        await using (var rejecting = await PbmServer(pki, enrolled, "-pkistatus", "2", "-failure", "9", "-statusstring", "no way"))
        {
            var o = await RunBoth(pki, rejecting, TestContext.Current.CancellationToken, ["-cmd", "rr", .. PbmClient(pki), "-oldcert", enrolled.CertPath]);
            AssertSameExit(1, o, rejecting);
            Assert.Contains("no way", o.CmpKit.StdErr, StringComparison.Ordinal);
        }
        await using var server = await PbmServer(pki, enrolled);
        AssertSameExit(1, await RunBoth(pki, server, TestContext.Current.CancellationToken, ["-cmd", "rr", .. PbmClient(pki), "-oldcert", other.CertPath]), server);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Rr_by_issuer_and_serial()
    {
        // OpenSSL 3.0 has no -serial (3.2 has): cmpkit alone; the 3.0 mock compares both with its -rsp_cert.
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=to be revoked", "revoked");
        await using var server = await PbmServer(pki, enrolled);
        var kit = await CmpKitCli.RunAsync([.. Common(server), "-cmd", "rr", .. PbmClient(pki),
            "-issuer", TestPki.ToOpenSslName(enrolled.Certificate.IssuerName), "-serial", "0x" + enrolled.Certificate.SerialNumber],
            pki.Directory, ClientTimeout, TestContext.Current.CancellationToken);
        Assert.True(kit.ExitCode == 0, kit + "\n" + server.Diagnostics());
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(null)]
    [InlineData("signKeyPairTypes")]
    [InlineData("caCerts")]
    public async Task Genm_with_and_without_infotype(string? infoType)
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var enrolled = pki.Issue(pki.Intermediate, "CN=genm", "genm");
        await using var server = await PbmServer(pki, enrolled);
        // 3.0's mock echoes the ITAVs: caCerts comes back without a value.
        string[] extra = infoType is null ? [] : infoType == "caCerts" ? ["-infotype", infoType, "-cacertsout", "ca.pem"] : ["-infotype", infoType];
        var ct = TestContext.Current.CancellationToken;
        string[] args = [.. Common(server), "-cmd", "genm", .. PbmClient(pki), .. extra];

        var ssl = await OpenSsl.RunAsync(["cmp", .. args], pki.Directory, ClientTimeout, ct);
        string? sslWrote = File.Exists(pki.PathFor("ca.pem")) ? File.ReadAllText(pki.PathFor("ca.pem")) : null;
        File.Delete(pki.PathFor("ca.pem"));
        var kit = await CmpKitCli.RunAsync(args, pki.Directory, ClientTimeout, ct);
        AssertSameExit(0, (ssl, kit), server);
        // OpenSSL 3.0 saves "0 CA certificate(s)" as an empty file; cmpkit does the same.
        Assert.Equal(sslWrote, File.Exists(pki.PathFor("ca.pem")) ? File.ReadAllText(pki.PathFor("ca.pem")) : null);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Geninfo_on_ir_and_repeat()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=geninfo", "enrolled", key: key);
        await using var server = await PbmServer(pki, enrolled);

        var o = await RunBoth(pki, server, TestContext.Current.CancellationToken, ["-cmd", "ir", .. PbmClient(pki), "-newkey", keyPath, "-subject", enrolled.OpenSslSubject,
            "-geninfo", "1.2.3.4:int:987", "-repeat", "2", "-certout", "out.pem"]);
        AssertSameExit(0, o, server);
        Assert.Equal(enrolled.Certificate.RawData, Single(pki.PathFor("out.pem")).RawData);
        Assert.Contains("transaction 2 of 2", o.CmpKit.StdErr, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Saved_transaction_replays_without_server_in_both_clients()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=replayed", "enrolled", key: key);
        var ct = TestContext.Current.CancellationToken;
        string[] ir = ["-cmd", "ir", .. PbmClient(pki), "-newkey", keyPath, "-subject", enrolled.OpenSslSubject];

        ProcessResult kitLive, sslLive;
        await using (var server = await PbmServer(pki, enrolled))
        {
            kitLive = await CmpKitCli.RunAsync([.. Common(server), .. ir, "-certout", "kit-live.pem",
                "-reqout", "kit-ir.der,kit-certConf.der", "-rspout", "kit-ip.der,kit-pkiConf.der"], pki.Directory, ClientTimeout, ct);
            sslLive = await OpenSsl.RunAsync(["cmp", .. Common(server), .. ir, "-certout", "ssl-live.pem",
                "-reqout", "ssl-ir.der,ssl-certConf.der", "-rspout", "ssl-ip.der,ssl-pkiConf.der"], pki.Directory, ClientTimeout, ct);
            Assert.True(kitLive.ExitCode == 0, kitLive + "\n" + server.Diagnostics());
            Assert.True(sslLive.ExitCode == 0, sslLive + "\n" + server.Diagnostics());
        }
        Assert.All(new[] { "kit-ir.der", "kit-certConf.der", "kit-ip.der", "kit-pkiConf.der" }, f => Assert.True(File.Exists(pki.PathFor(f)), f));

        // The server is gone: each client replays the responses the other one saved, and its own.
        foreach (var (who, files) in new[] { ("kit", "kit-ip.der,kit-pkiConf.der"), ("ssl", "ssl-ip.der,ssl-pkiConf.der") })
        {
            var kit = await CmpKitCli.RunAsync([.. Common(null), .. ir, "-certout", $"kit-from-{who}.pem", "-rspin", files], pki.Directory, ClientTimeout, ct);
            Assert.True(kit.ExitCode == 0, $"cmpkit replaying {who}'s responses:\n{kit}");
            Assert.Equal(enrolled.Certificate.RawData, Single(pki.PathFor($"kit-from-{who}.pem")).RawData);

            var ssl = await OpenSsl.RunAsync(["cmp", .. Common(null), .. ir, "-certout", $"ssl-from-{who}.pem", "-rspin", files], pki.Directory, ClientTimeout, ct);
            Assert.True(ssl.ExitCode == 0, $"openssl replaying {who}'s responses:\n{ssl}");
            Assert.Equal(enrolled.Certificate.RawData, Single(pki.PathFor($"ssl-from-{who}.pem")).RawData);
        }
    }
}
