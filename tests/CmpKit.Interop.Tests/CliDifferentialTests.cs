using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Interop.Tests.Infrastructure;

namespace CmpKit.Interop.Tests;

/// <summary>
/// `cmpkit` in place of `openssl cmp`: the same argument list runs through both clients against
/// the real OpenSSL 3.0 mock server, and both must succeed or fail alike; on success the file
/// written by -certout must hold exactly the certificate the server returned.
/// </summary>
public sealed class CliDifferentialTests
{
    private const int TestTimeoutMs = 90_000;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);
    private const string Secret = "pass:interop secret";

    private sealed record Outcome(ProcessResult OpenSsl, ProcessResult CmpKit, string OpenSslCertOut, string CmpKitCertOut);

    /// <summary>Runs the OpenSSL client, then cmpkit, with <paramref name="args"/> (each with its own -certout file).</summary>
    private static async Task<Outcome> RunBoth(TestPki pki, OpenSslMockServer server, IReadOnlyList<string> args, string name, CancellationToken ct)
    {
        string sslOut = pki.PathFor($"{name}.openssl.pem"), kitOut = pki.PathFor($"{name}.cmpkit.pem");
        List<string> Common(string certOut) =>
        [
            "-config", "", "-batch", "-server", server.Url(), "-no_proxy", server.Host,
            "-msg_timeout", "10", "-total_timeout", "20", "-certout", certOut, .. args,
        ];
        var ssl = await OpenSsl.RunAsync(["cmp", .. Common(sslOut)], pki.Directory, ClientTimeout, ct);
        var kit = await CmpKitCli.RunAsync(Common(kitOut), pki.Directory, ClientTimeout, ct);
        return new Outcome(ssl, kit, sslOut, kitOut);
    }

    private static void AssertBothSucceeded(Outcome o, X509Certificate2 expected, OpenSslMockServer server)
    {
        Assert.True(o.OpenSsl.ExitCode == 0, $"openssl failed where it should succeed:\n{o.OpenSsl}\n{server.Diagnostics()}");
        Assert.True(o.CmpKit.ExitCode == 0, $"cmpkit failed where openssl succeeded:\n{o.CmpKit}\n{server.Diagnostics()}");
        AssertHolds(expected, o.OpenSslCertOut);
        AssertHolds(expected, o.CmpKitCertOut);
    }

    private static void AssertBothFailed(Outcome o, OpenSslMockServer? server, string? cmpkitSays = null)
    {
        Assert.True(o.OpenSsl.ExitCode != 0, $"openssl succeeded where it should fail:\n{o.OpenSsl}");
        Assert.True(o.CmpKit.ExitCode == 1, $"cmpkit should fail with exit code 1 like openssl:\n{o.CmpKit}\n{server?.Diagnostics()}");
        var lines = o.CmpKit.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("cmpkit: info:", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count is >= 1 and <= 2, "cmpkit should print one or two lines of error:\n" + o.CmpKit.StdErr);
        Assert.DoesNotContain("   at ", o.CmpKit.StdErr, StringComparison.Ordinal); // no stack trace
        if (cmpkitSays is not null)
        {
            Assert.Contains(cmpkitSays, o.CmpKit.StdErr, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(o.CmpKitCertOut), "cmpkit must not write -certout on failure");
    }

    private static void AssertHolds(X509Certificate2 expected, string pemPath)
    {
        Assert.True(File.Exists(pemPath), $"{pemPath} was not written");
        var actual = new X509Certificate2Collection();
        actual.ImportFromPemFile(pemPath);
        Assert.Equal(expected.RawData, Assert.Single(actual).RawData);
    }

    private static Task<OpenSslMockServer> PbmServer(TestPki pki, string rspCert, params string[] extra) =>
        OpenSslMockServer.StartAsync(["-srv_ref", "server-ref", "-srv_secret", Secret, "-rsp_cert", rspCert, .. extra],
            pki.Directory, TestContext.Current.CancellationToken);

    private static Task<OpenSslMockServer> SignedServer(TestPki pki, string rspCert, params string[] extra) =>
        OpenSslMockServer.StartAsync(["-srv_cert", pki.Server.CertPath, "-srv_key", pki.Server.KeyPath,
            "-srv_trusted", pki.Root.CertPath, "-rsp_cert", rspCert, .. extra], pki.Directory, TestContext.Current.CancellationToken);

    private static string[] PbmClient(TestPki pki) => ["-ref", "client-ref", "-secret", Secret, "-recipient", pki.Server.OpenSslSubject];

    private static string[] SignedClient(TestPki pki) =>
        ["-cert", pki.Client.ChainPath, "-key", pki.Client.KeyPath, "-trusted", pki.Root.CertPath, "-expect_sender", pki.Server.OpenSslSubject];

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData("ir")]
    [InlineData("cr")]
    public async Task Enrollment_with_pbm(string cmd)
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (key, keyPath) = pki.CreateKeyFile("new", passphrase: "new key pass");
        var enrolled = pki.Issue(pki.Intermediate, "CN=pbm enrolled", "enrolled", key: key);
        await using var server = await PbmServer(pki, enrolled.CertPath);
        var o = await RunBoth(pki, server, ["-cmd", cmd, .. PbmClient(pki), "-newkey", keyPath, "-newkeypass", "pass:new key pass",
            "-subject", enrolled.OpenSslSubject], cmd, TestContext.Current.CancellationToken);
        AssertBothSucceeded(o, enrolled.Certificate, server);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData("ir", TestKeyType.EcP256)]
    [InlineData("cr", TestKeyType.EcP256)]
    [InlineData("ir", TestKeyType.Rsa2048)]
    [InlineData("cr", TestKeyType.Rsa2048)]
    public async Task Enrollment_with_signature(string cmd, TestKeyType keyType)
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki(keyType);
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=signed enrolled", "enrolled", key: key);
        await using var server = await SignedServer(pki, enrolled.CertPath);
        var o = await RunBoth(pki, server, ["-cmd", cmd, .. SignedClient(pki), "-newkey", keyPath, "-subject", enrolled.OpenSslSubject],
            cmd, TestContext.Current.CancellationToken);
        AssertBothSucceeded(o, enrolled.Certificate, server);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(TestKeyType.EcP256)]
    [InlineData(TestKeyType.Rsa2048)]
    public async Task Key_update_with_signature(TestKeyType keyType)
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki(keyType);
        // OpenSSL 3.0's mock requires oldCertID to name its -rsp_cert, which it returns again.
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=kur enrolled", "enrolled", key: key);
        await using var server = await SignedServer(pki, enrolled.CertPath);
        var o = await RunBoth(pki, server, ["-cmd", "kur", .. SignedClient(pki), "-oldcert", enrolled.CertPath, "-newkey", keyPath],
            "kur", TestContext.Current.CancellationToken);
        AssertBothSucceeded(o, enrolled.Certificate, server);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task P10cr_with_pbm_and_with_signature()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (key, _) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=p10cr enrolled", "enrolled", key: key);
        var csrPath = pki.PathFor("req.csr");
        File.WriteAllText(csrPath, new CertificateRequest(enrolled.Certificate.SubjectName, (ECDsa)key, HashAlgorithmName.SHA256).CreateSigningRequestPem());
        await using (var server = await PbmServer(pki, enrolled.CertPath))
        {
            var o = await RunBoth(pki, server, ["-cmd", "p10cr", .. PbmClient(pki), "-csr", csrPath], "p10cr-pbm", TestContext.Current.CancellationToken);
            AssertBothSucceeded(o, enrolled.Certificate, server);
        }
        await using (var server = await SignedServer(pki, enrolled.CertPath))
        {
            var o = await RunBoth(pki, server, ["-cmd", "p10cr", .. SignedClient(pki), "-csr", csrPath], "p10cr-sig", TestContext.Current.CancellationToken);
            AssertBothSucceeded(o, enrolled.Certificate, server);
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Implicit_confirm_granted()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=implicit", "enrolled", key: key);
        await using var server = await PbmServer(pki, enrolled.CertPath, "-grant_implicitconf");
        var o = await RunBoth(pki, server, ["-cmd", "ir", .. PbmClient(pki), "-newkey", keyPath, "-implicit_confirm",
            "-subject", enrolled.OpenSslSubject], "implicit", TestContext.Current.CancellationToken);
        AssertBothSucceeded(o, enrolled.Certificate, server);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Rejection()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=rejected", "enrolled", key: key);
        await using var server = await PbmServer(pki, enrolled.CertPath, "-pkistatus", "2", "-failure", "9", "-statusstring", "not today");
        var o = await RunBoth(pki, server, ["-cmd", "ir", .. PbmClient(pki), "-newkey", keyPath, "-subject", enrolled.OpenSslSubject],
            "rejected", TestContext.Current.CancellationToken);
        AssertBothFailed(o, server, "badPOP");
        Assert.Contains("not today", o.CmpKit.StdErr, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Certificate_for_another_key()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (_, keyPath) = pki.CreateKeyFile("new");
        var other = pki.Issue(pki.Intermediate, "CN=other key", "other");
        await using var server = await PbmServer(pki, other.CertPath);
        var o = await RunBoth(pki, server, ["-cmd", "ir", .. PbmClient(pki), "-newkey", keyPath, "-subject", "/CN=mine"],
            "mismatch", TestContext.Current.CancellationToken);
        AssertBothFailed(o, server, "PublicKeyMismatch");
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Wrong_secret()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=wrong secret", "enrolled", key: key);
        await using var server = await PbmServer(pki, enrolled.CertPath);
        var o = await RunBoth(pki, server, ["-cmd", "ir", "-ref", "client-ref", "-secret", "pass:wrong", "-recipient", pki.Server.OpenSslSubject,
            "-newkey", keyPath, "-subject", enrolled.OpenSslSubject], "wrongsecret", TestContext.Current.CancellationToken);
        AssertBothFailed(o, server);
        Assert.DoesNotContain("wrong", o.CmpKit.StdErr.Replace("wrong shared secret", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Untrusted_server()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        using var stranger = new TestPki();
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=untrusted", "enrolled", key: key);
        await using var server = await SignedServer(pki, enrolled.CertPath);
        var o = await RunBoth(pki, server, ["-cmd", "ir", "-cert", pki.Client.ChainPath, "-key", pki.Client.KeyPath,
            "-trusted", stranger.Root.CertPath, "-newkey", keyPath, "-subject", enrolled.OpenSslSubject], "untrusted", TestContext.Current.CancellationToken);
        AssertBothFailed(o, server, "SenderCertificateUntrusted");
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Wrong_expected_sender()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=sender", "enrolled", key: key);
        await using var server = await SignedServer(pki, enrolled.CertPath);
        var o = await RunBoth(pki, server, ["-cmd", "ir", "-cert", pki.Client.ChainPath, "-key", pki.Client.KeyPath,
            "-trusted", pki.Root.CertPath, "-expect_sender", "/CN=Somebody Else", "-newkey", keyPath, "-subject", enrolled.OpenSslSubject],
            "sender", TestContext.Current.CancellationToken);
        AssertBothFailed(o, server, "UnexpectedSender");
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Wrong_path()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=path", "enrolled", key: key);
        await using var server = await PbmServer(pki, enrolled.CertPath);
        var o = await RunBoth(pki, server, ["-cmd", "ir", .. PbmClient(pki), "-path", "no/such/path", "-newkey", keyPath,
            "-subject", enrolled.OpenSslSubject], "path", TestContext.Current.CancellationToken);
        AssertBothFailed(o, server, "HTTP 404");
    }

    /// <summary>
    /// OpenSSL's own test credentials and client config (Mock/test.cnf, section [Mock] over
    /// [default]: -cert signer.crt, -key signer.p12 with -keypass, -trusted, -out_trusted,
    /// -recipient/-expect_sender via $variables, -policies naming a config section) against
    /// OpenSSL's mock server with the 3.0-compatible options of Mock/server.cnf.
    /// </summary>
    [Fact(Timeout = TestTimeoutMs)]
    public async Task Shared_mock_credentials_and_config_file()
    {
        OpenSsl.RequireOpenSsl();
        RepoPaths.RequireShared();
        string mock = RepoPaths.MockDir;
        await using var server = await OpenSslMockServer.StartAsync(
            ["-srv_cert", "server.crt", "-srv_key", "server.key", "-srv_secret", "pass:test", "-srv_trusted", "signer_root.crt",
             "-no_check_time", "-rsp_cert", "signer_only.crt", "-rsp_capubs", "trusted.crt", "-rsp_extracerts", "signer_issuing.crt"],
            mock, TestContext.Current.CancellationToken);
        var outDir = Directory.CreateTempSubdirectory("cmpkit-mock-").FullName;
        try
        {
            List<string> Args(string tag) =>
            [
                "-config", Path.Combine(mock, "test.cnf"), "-section", "Mock", "-server", server.Url(), "-no_proxy", server.Host,
                "-msg_timeout", "10", "-total_timeout", "20",
                "-certout", Path.Combine(outDir, tag + ".cert.pem"), "-cacertsout", Path.Combine(outDir, tag + ".cacerts.pem"),
                "-extracertsout", Path.Combine(outDir, tag + ".extracerts.pem"),
            ];
            // The client reads the relative paths of test.cnf from Mock/ (read only); outputs go to a temp folder.
            var ssl = await OpenSsl.RunAsync(["cmp", .. Args("openssl")], mock, ClientTimeout, TestContext.Current.CancellationToken);
            var kit = await CmpKitCli.RunAsync(Args("cmpkit"), mock, ClientTimeout, TestContext.Current.CancellationToken);
            Assert.True(ssl.ExitCode == 0, $"{ssl}\n{server.Diagnostics()}");
            Assert.True(kit.ExitCode == 0, $"{kit}\n{server.Diagnostics()}");
            var signerOnly = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(mock, "signer_only.crt"));
            var trusted = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(mock, "trusted.crt"));
            foreach (var tag in new[] { "openssl", "cmpkit" })
            {
                AssertHolds(signerOnly, Path.Combine(outDir, tag + ".cert.pem"));
                AssertHolds(trusted, Path.Combine(outDir, tag + ".cacerts.pem"));
            }
            Assert.Equal(File.ReadAllText(Path.Combine(outDir, "openssl.extracerts.pem")).ReplaceLineEndings().Trim(),
                File.ReadAllText(Path.Combine(outDir, "cmpkit.extracerts.pem")).ReplaceLineEndings().Trim());
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task No_server_listening()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        var (_, keyPath) = pki.CreateKeyFile("new");
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        List<string> Args(string certOut) => ["-config", "", "-batch", "-server", $"127.0.0.1:{port}/pkix/", "-no_proxy", "127.0.0.1",
            "-msg_timeout", "5", "-total_timeout", "10", "-certout", certOut, "-cmd", "ir", .. PbmClient(pki), "-newkey", keyPath, "-subject", "/CN=x"];
        var ssl = await OpenSsl.RunAsync(["cmp", .. Args(pki.PathFor("a.pem"))], pki.Directory, ClientTimeout, TestContext.Current.CancellationToken);
        var kit = await CmpKitCli.RunAsync(Args(pki.PathFor("b.pem")), pki.Directory, ClientTimeout, TestContext.Current.CancellationToken);
        AssertBothFailed(new Outcome(ssl, kit, pki.PathFor("a.pem"), pki.PathFor("b.pem")), null, "127.0.0.1");
    }
}
