using System.Security.Cryptography.X509Certificates;
using CmpKit.Interop.Tests.Infrastructure;

namespace CmpKit.Interop.Tests;

/// <summary>
/// The real <c>openssl cmp</c> client (OpenSSL 3.0) against our HTTP mock CA, <c>cmpkit -port 0</c>, started as a
/// child process on 127.0.0.1: every request type, both protections, polling, implicit confirmation, the
/// configured failures, bad client credentials, concurrent clients, -max_msgs and config files.
/// </summary>
public sealed class OpenSslAgainstCmpKitServerTests
{
    private const int TestTimeoutMs = 90_000;
    private const string Secret = "pbm secret";
    private static readonly TimeSpan s_clientTimeout = TimeSpan.FromSeconds(30);

    private static string[] PbmServer(params string[] extra) => ["-srv_ref", "server-ref", "-srv_secret", "pass:" + Secret, .. extra];

    private static string[] SignedServer(TestPki pki, params string[] extra) =>
        ["-srv_cert", pki.Server.CertPath, "-srv_key", pki.Server.KeyPath, "-srv_trusted", pki.Root.CertPath,
         "-srv_untrusted", pki.Intermediate.CertPath, .. extra];

    private static Task<CmpKitMockServer> Start(CancellationToken ct, TestPki pki, string[] args) =>
        CmpKitMockServer.StartAsync(args, pki.Directory, ct);

    /// <summary>openssl cmp client options: no config file, no prompts, no proxy, bounded time.</summary>
    private static List<string> Client(CmpKitMockServer server, string cmd, params string[] more) =>
    [
        "cmp", "-config", "", "-batch",
        "-server", server.Url(), "-no_proxy", server.Host,
        "-msg_timeout", "10", "-total_timeout", "25",
        "-cmd", cmd,
        .. more,
    ];

    private static string[] PbmClient() => ["-ref", "client-ref", "-secret", "pass:" + Secret];

    private static string[] SignedClient(TestPki pki) =>
        ["-cert", pki.Client.ChainPath, "-key", pki.Client.KeyPath, "-trusted", pki.Root.CertPath,
         "-expect_sender", pki.Server.OpenSslSubject];

    private static async Task<ProcessResult> RunOpenSsl(CancellationToken ct, TestPki pki, IEnumerable<string> args) =>
        await OpenSsl.RunAsync(args, pki.Directory, s_clientTimeout, ct);

    /// <summary>The new key and, for p10cr, a CSR for it (made by openssl so the test does not depend on our code).</summary>
    private static async Task<string[]> RequestArgs(CancellationToken ct, TestPki pki, string cmd, string subject)
    {
        (_, string keyPath) = pki.CreateKeyFile("new-" + Guid.NewGuid().ToString("N")[..8]);
        if (cmd != "p10cr")
        {
            return ["-newkey", keyPath, "-subject", subject];
        }
        string csr = pki.PathFor("req-" + Guid.NewGuid().ToString("N")[..8] + ".csr");
        ProcessResult made = await RunOpenSsl(ct, pki, ["req", "-config", "", "-new", "-key", keyPath, "-subj", subject, "-out", csr]);
        Assert.True(made.ExitCode == 0, made.ToString());
        return ["-csr", csr];
    }

    private static async Task AssertServerSays(CmpKitMockServer server, string text, CancellationToken ct) =>
        Assert.True(await server.WaitForOutputAsync(text, TimeSpan.FromSeconds(10), ct), $"the server did not log '{text}'\n{server.Diagnostics()}");

    private static X509Certificate2 ReadSingle(string pemPath)
    {
        Assert.True(File.Exists(pemPath), $"{pemPath} was not written");
        var certs = new X509Certificate2Collection();
        certs.ImportFromPemFile(pemPath);
        return Assert.Single(certs);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData("ir")]
    [InlineData("cr")]
    [InlineData("p10cr")]
    public async Task Enrollment_with_pbm(string cmd)
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, PbmServer());
        string certOut = pki.PathFor("out.pem");

        var result = await RunOpenSsl(ct, pki, Client(server, cmd, [.. PbmClient(), .. await RequestArgs(ct, pki, cmd, "/CN=pbm " + cmd), "-certout", certOut]));

        Assert.True(result.ExitCode == 0, $"{result}\n{server.Diagnostics()}");
        Assert.Equal("CN=pbm " + cmd, ReadSingle(certOut).Subject);
        await AssertServerSays(server, $"{cmd} -> {(cmd == "ir" ? "ip" : "cp")}: accepted", ct);
        await AssertServerSays(server, "certConf -> pkiconf", ct);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData("ir", TestKeyType.EcP256)]
    [InlineData("cr", TestKeyType.Rsa2048)]
    [InlineData("kur", TestKeyType.EcP256)]
    [InlineData("p10cr", TestKeyType.EcP256)]
    public async Task Enrollment_with_signature(string cmd, TestKeyType keyType)
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki(keyType);
        await using var server = await Start(ct, pki, SignedServer(pki));
        string certOut = pki.PathFor("out.pem");

        var result = await RunOpenSsl(ct, pki, Client(server, cmd, [.. SignedClient(pki), .. await RequestArgs(ct, pki, cmd, "/CN=signed " + cmd), "-certout", certOut]));

        Assert.True(result.ExitCode == 0, $"{result}\n{server.Diagnostics()}");
        Assert.Equal("CN=signed " + cmd, ReadSingle(certOut).Subject);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Rr_revokes_the_issued_certificate_then_says_already_revoked()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, PbmServer());
        string certOut = pki.PathFor("out.pem");
        var ir = await RunOpenSsl(ct, pki, Client(server, "ir", [.. PbmClient(), .. await RequestArgs(ct, pki, "ir", "/CN=to revoke"), "-certout", certOut]));
        Assert.True(ir.ExitCode == 0, $"{ir}\n{server.Diagnostics()}");

        var rr = await RunOpenSsl(ct, pki, Client(server, "rr", [.. PbmClient(), "-oldcert", certOut, "-revreason", "1"]));
        Assert.True(rr.ExitCode == 0, $"{rr}\n{server.Diagnostics()}");
        await AssertServerSays(server, "rr -> rp: accepted", ct);

        // A second rr is answered revocationNotification ("already revoked"), which OpenSSL's
        // client, like ours, takes as success.
        var again = await RunOpenSsl(ct, pki, Client(server, "rr", [.. PbmClient(), "-oldcert", certOut]));
        Assert.True(again.ExitCode == 0, $"{again}\n{server.Diagnostics()}");
        await AssertServerSays(server, "revocationNotification", ct);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Rr_for_a_certificate_the_server_does_not_know_fails()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, PbmServer());

        var rr = await RunOpenSsl(ct, pki, Client(server, "rr", [.. PbmClient(), "-oldcert", pki.Client.CertPath]));

        Assert.True(rr.ExitCode != 0, $"{rr}\n{server.Diagnostics()}");
        await AssertServerSays(server, "badCertId", ct);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Genm_gets_a_genp_echoing_the_requested_infotype()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, SignedServer(pki));

        var plain = await RunOpenSsl(ct, pki, Client(server, "genm", SignedClient(pki)));
        var typed = await RunOpenSsl(ct, pki, Client(server, "genm", [.. SignedClient(pki), "-infotype", "signKeyPairTypes"]));

        Assert.True(plain.ExitCode == 0, $"{plain}\n{server.Diagnostics()}");
        Assert.True(typed.ExitCode == 0, $"{typed}\n{server.Diagnostics()}");
        Assert.Contains("signKeyPairTypes", typed.StdOut + typed.StdErr, StringComparison.Ordinal);

        var caCerts = await RunOpenSsl(ct, pki, Client(server, "genm", [.. SignedClient(pki), "-infotype", "caCerts"]));
        Assert.True(caCerts.ExitCode == 0, $"{caCerts}\n{server.Diagnostics()}");
        Assert.Contains("id-it-caCerts", caCerts.StdOut + caCerts.StdErr, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Polling_then_the_certificate()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, PbmServer("-poll_count", "2", "-check_after", "1"));
        string certOut = pki.PathFor("out.pem");

        var result = await RunOpenSsl(ct, pki, Client(server, "ir", [.. PbmClient(), .. await RequestArgs(ct, pki, "ir", "/CN=polled"), "-certout", certOut]));

        Assert.True(result.ExitCode == 0, $"{result}\n{server.Diagnostics()}");
        Assert.Equal("CN=polled", ReadSingle(certOut).Subject);
        await AssertServerSays(server, "ir -> ip: waiting", ct);
        await AssertServerSays(server, "pollReq -> pollRep", ct);
        await AssertServerSays(server, "pollReq -> ip: accepted", ct);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Implicit_confirm_granted_means_no_certConf()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, PbmServer("-grant_implicitconf"));
        string certOut = pki.PathFor("out.pem");

        var result = await RunOpenSsl(ct, pki, Client(server, "ir", [.. PbmClient(), .. await RequestArgs(ct, pki, "ir", "/CN=implicit"), "-implicit_confirm", "-certout", certOut]));

        Assert.True(result.ExitCode == 0, $"{result}\n{server.Diagnostics()}");
        Assert.Equal("CN=implicit", ReadSingle(certOut).Subject);
        await AssertServerSays(server, "ir -> ip: accepted", ct);
        Assert.DoesNotContain("certConf", server.Output, StringComparison.Ordinal);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData("-pkistatus", "2", "-failure", "9", "-statusstring", "cmpkit says no")]
    [InlineData("-send_error")]
    public async Task Configured_failures_make_openssl_fail(params string[] serverArgs)
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, PbmServer(serverArgs));
        string certOut = pki.PathFor("out.pem");

        var result = await RunOpenSsl(ct, pki, Client(server, "ir", [.. PbmClient(), .. await RequestArgs(ct, pki, "ir", "/CN=refused"), "-certout", certOut]));

        Assert.True(result.ExitCode != 0, $"{result}\n{server.Diagnostics()}");
        Assert.False(File.Exists(certOut));
        Assert.Contains("rejection", result.StdOut + result.StdErr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Wrong_mac_secret_is_rejected()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, PbmServer());
        string certOut = pki.PathFor("out.pem");

        var result = await RunOpenSsl(ct, pki, Client(server, "ir", ["-ref", "client-ref", "-secret", "pass:not the secret",
            .. await RequestArgs(ct, pki, "ir", "/CN=wrong mac"), "-certout", certOut]));

        Assert.True(result.ExitCode != 0, $"{result}\n{server.Diagnostics()}");
        Assert.False(File.Exists(certOut));
        await AssertServerSays(server, "MAC does not verify", ct);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Untrusted_client_certificate_is_rejected()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        using var other = new TestPki();
        // The server trusts another root: the client's chain leads nowhere it knows.
        await using var server = await Start(ct, pki, ["-srv_cert", pki.Server.CertPath, "-srv_key", pki.Server.KeyPath,
            "-srv_trusted", other.Root.CertPath]);
        string certOut = pki.PathFor("out.pem");

        var result = await RunOpenSsl(ct, pki, Client(server, "cr", [.. SignedClient(pki), .. await RequestArgs(ct, pki, "cr", "/CN=untrusted"), "-certout", certOut]));

        Assert.True(result.ExitCode != 0, $"{result}\n{server.Diagnostics()}");
        Assert.False(File.Exists(certOut));
        await AssertServerSays(server, "cr -> error", ct);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Expired_client_certificate_is_accepted_only_with_no_check_time()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        var expired = pki.Issue(pki.Intermediate, "CN=CmpKit Expired Client, O=CmpKit Tests", "expired", validity: TimeSpan.FromMinutes(-10));
        string[] client = ["-cert", expired.ChainPath, "-key", expired.KeyPath, "-trusted", pki.Root.CertPath, "-expect_sender", pki.Server.OpenSslSubject];

        await using (var strict = await Start(ct, pki, SignedServer(pki)))
        {
            var refused = await RunOpenSsl(ct, pki, Client(strict, "genm", client));
            Assert.True(refused.ExitCode != 0, $"{refused}\n{strict.Diagnostics()}");
            await AssertServerSays(strict, "genm -> error", ct);
        }
        await using var lenient = await Start(ct, pki, SignedServer(pki, "-no_check_time"));
        var accepted = await RunOpenSsl(ct, pki, Client(lenient, "genm", client));
        Assert.True(accepted.ExitCode == 0, $"{accepted}\n{lenient.Diagnostics()}");
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_chain_sent_once_serves_later_requests_unless_no_cache_extracerts(bool noCache)
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        var other = pki.Issue(pki.Intermediate, "CN=CmpKit Other Client, O=CmpKit Tests", "other-client");
        // No -srv_untrusted: the server learns the client's intermediate CA only from the first request's extraCerts.
        string[] serverArgs = ["-srv_cert", pki.Server.CertPath, "-srv_key", pki.Server.KeyPath, "-srv_trusted", pki.Root.CertPath];
        await using var server = await Start(ct, pki, noCache ? [.. serverArgs, "-no_cache_extracerts"] : serverArgs);
        string[] trust = ["-trusted", pki.Root.CertPath, "-expect_sender", pki.Server.OpenSslSubject];

        var withChain = await RunOpenSsl(ct, pki, Client(server, "genm", ["-cert", pki.Client.ChainPath, "-key", pki.Client.KeyPath, .. trust]));
        Assert.True(withChain.ExitCode == 0, $"{withChain}\n{server.Diagnostics()}");
        // The same signer without its chain: sender certificate caching (as OpenSSL's server), either way.
        var sameLeafOnly = await RunOpenSsl(ct, pki, Client(server, "genm", ["-cert", pki.Client.CertPath, "-key", pki.Client.KeyPath, .. trust]));
        Assert.True(sameLeafOnly.ExitCode == 0, $"{sameLeafOnly}\n{server.Diagnostics()}");
        // Another certificate of the same CA without chain: only the kept extraCerts can complete its chain.
        var otherLeafOnly = await RunOpenSsl(ct, pki, Client(server, "genm", ["-cert", other.CertPath, "-key", other.KeyPath, .. trust]));
        if (noCache)
        {
            Assert.True(otherLeafOnly.ExitCode != 0, $"{otherLeafOnly}\n{server.Diagnostics()}");
            await AssertServerSays(server, "signerNotTrusted", ct);
        }
        else
        {
            Assert.True(otherLeafOnly.ExitCode == 0, $"{otherLeafOnly}\n{server.Diagnostics()}");
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Four_clients_at_once()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, PbmServer());
        var runs = new List<Task<ProcessResult>>();
        for (int i = 0; i < 4; i++)
        {
            var args = Client(server, "ir", [.. PbmClient(), .. await RequestArgs(ct, pki, "ir", "/CN=parallel " + i), "-certout", pki.PathFor($"out{i}.pem")]);
            runs.Add(RunOpenSsl(ct, pki, args));
        }

        var results = await Task.WhenAll(runs);

        for (int i = 0; i < results.Length; i++)
        {
            Assert.True(results[i].ExitCode == 0, $"{results[i]}\n{server.Diagnostics()}");
            Assert.Equal("CN=parallel " + i, ReadSingle(pki.PathFor($"out{i}.pem")).Subject);
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Max_msgs_stops_the_server_after_that_many_messages()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, PbmServer("-max_msgs", "2"));

        var result = await RunOpenSsl(ct, pki, Client(server, "ir", [.. PbmClient(), .. await RequestArgs(ct, pki, "ir", "/CN=last"), "-certout", pki.PathFor("out.pem")]));

        Assert.True(result.ExitCode == 0, $"{result}\n{server.Diagnostics()}");
        Assert.True(await server.WaitForExitAsync(TimeSpan.FromSeconds(15)), server.Diagnostics());
        Assert.Equal(0, server.ExitCode);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Sigterm_stops_the_server_gracefully()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        await using var server = await Start(ct, pki, PbmServer());

        server.Terminate();

        Assert.True(await server.WaitForExitAsync(TimeSpan.FromSeconds(15)), server.Diagnostics());
        Assert.Equal(0, server.ExitCode);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Options_from_a_config_file()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        string config = pki.PathFor("server.cnf");
        File.WriteAllText(config, $"""
            [cmp] # mock server
            port = 0
            srv_cert = {pki.Server.CertPath}
            srv_key = {pki.Server.KeyPath}
            srv_secret = pass:{Secret}
            srv_trusted = {pki.Root.CertPath}
            srv_untrusted = {pki.Intermediate.CertPath}
            grant_implicitconf = 1
            verbosity = 6
            """);
        await using var server = await Start(ct, pki, ["-config", config]);
        string certOut = pki.PathFor("out.pem");

        var result = await RunOpenSsl(ct, pki, Client(server, "ir", [.. SignedClient(pki), .. await RequestArgs(ct, pki, "ir", "/CN=configured"), "-implicit_confirm", "-certout", certOut]));

        Assert.True(result.ExitCode == 0, $"{result}\n{server.Diagnostics()}");
        Assert.Equal("CN=configured", ReadSingle(certOut).Subject);
        await AssertServerSays(server, "ir -> ip: accepted", ct);
        Assert.DoesNotContain("certConf", server.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// OpenSSL's own test setup: our server started with Mock/server.cnf (all of master's mock-server options in it
    /// taken), the openssl client with Mock/test.cnf section [Mock]; every command succeeds, and rr revokes the
    /// reference certificate.
    /// </summary>
    [Fact(Timeout = TestTimeoutMs)]
    public async Task Shared_server_cnf_and_test_cnf_all_commands()
    {
        OpenSsl.RequireOpenSsl();
        RepoPaths.RequireShared();
        var ct = TestContext.Current.CancellationToken;
        string mock = RepoPaths.MockDir;
        await using var server = await CmpKitMockServer.StartAsync(["-config", "server.cnf"], mock, ct);
        string outDir = Directory.CreateTempSubdirectory("cmpkit-srvcnf-").FullName;
        try
        {
            foreach (var cmd in new[] { "ir", "cr", "kur", "p10cr", "rr", "genm" })
            {
                List<string> args =
                [
                    "cmp", "-config", "test.cnf", "-section", "Mock", "-server", server.Url(), "-no_proxy", server.Host,
                    "-msg_timeout", "10", "-total_timeout", "20", "-cmd", cmd, "-certout", Path.Combine(outDir, cmd + ".pem"),
                ];
                if (cmd is "kur" or "rr")
                {
                    args.AddRange(["-oldcert", "signer_only.crt"]);
                }
                if (cmd == "p10cr")
                {
                    args.AddRange(["-csr", "csr.pem"]);
                }
                // The client reads test.cnf's relative paths from Mock/ (read only); it writes only to outDir.
                var result = await OpenSsl.RunAsync(args, mock, s_clientTimeout, ct);
                Assert.True(result.ExitCode == 0, $"{cmd}: {result}\n{server.Diagnostics()}");
            }
            await AssertServerSays(server, "rr -> rp: accepted", ct);
            await AssertServerSays(server, "genm -> genp", ct);
            // Every option of master's server.cnf is implemented now: none is ignored with a warning.
            Assert.DoesNotContain("not supported yet", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Without_server_credentials_cmpkit_says_so_in_one_line()
    {
        using var pki = new TestPki();
        var result = await CmpKitCli.RunAsync(["-config", "", "-port", "0"], pki.Directory, s_clientTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StdOut);
        var line = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            l => !l.StartsWith("cmpkit: warning:", StringComparison.Ordinal));
        Assert.Contains("-srv_secret", line, StringComparison.Ordinal);
    }
}
