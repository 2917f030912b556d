using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Interop.Tests.Infrastructure;

namespace CmpKit.Interop.Tests;

/// <summary>
/// Proves the interop fixture itself: the real OpenSSL client against the real OpenSSL mock
/// server, on a fresh <see cref="TestPki"/> (and once on the shared Mock/ credentials).
/// Everything stays on 127.0.0.1 and is bounded by -msg_timeout/-total_timeout, a process
/// timeout and a test timeout.
/// </summary>
public sealed class OpenSslPeerTests
{
    private const int TestTimeoutMs = 30_000;
    private static readonly TimeSpan s_clientTimeout = TimeSpan.FromSeconds(20);

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Ir_WithPbm_ReturnsTheConfiguredCertificate()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        (var newKey, string newKeyPath) = pki.CreateKeyFile("new", passphrase: "new key pass");
        TestCredential enrolled = pki.Issue(pki.Intermediate, "CN=CmpKit PBM Enrolled", "enrolled", key: newKey);

        await using OpenSslMockServer server = await OpenSslMockServer.StartAsync(
            ["-srv_ref", "cmpkit-test-server", "-srv_secret", "pass:pbm secret", "-rsp_cert", enrolled.CertPath],
            pki.Directory, TestContext.Current.CancellationToken);

        string certOut = pki.PathFor("out.pem");
        ProcessResult result = await OpenSsl.RunAsync(
            ClientArgs(server, certOut,
                "-ref", "cmpkit-test-client", "-secret", "pass:pbm secret",
                "-recipient", pki.Server.OpenSslSubject,
                "-newkey", newKeyPath, "-newkeypass", "pass:new key pass",
                "-subject", enrolled.OpenSslSubject),
            pki.Directory, s_clientTimeout, TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, $"{result}\n{server.Diagnostics()}");
        AssertHoldsExactly(enrolled.Certificate, certOut);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData(TestKeyType.EcP256)]
    [InlineData(TestKeyType.Rsa2048)]
    public async Task Ir_WithSignatureProtection_ReturnsTheConfiguredCertificate(TestKeyType keyType)
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki(keyType);
        (var newKey, string newKeyPath) = pki.CreateKeyFile("new");
        TestCredential enrolled = pki.Issue(pki.Intermediate, "CN=CmpKit Signed Enrolled", "enrolled", key: newKey);

        await using OpenSslMockServer server = await OpenSslMockServer.StartAsync(
            ["-srv_cert", pki.Server.CertPath, "-srv_key", pki.Server.KeyPath,
             "-srv_trusted", pki.Root.CertPath, "-rsp_cert", enrolled.CertPath],
            pki.Directory, TestContext.Current.CancellationToken);

        string certOut = pki.PathFor("out.pem");
        ProcessResult result = await OpenSsl.RunAsync(
            ClientArgs(server, certOut,
                "-cert", pki.Client.ChainPath, "-key", pki.Client.KeyPath,
                "-trusted", pki.Root.CertPath, "-expect_sender", pki.Server.OpenSslSubject,
                "-newkey", newKeyPath, "-subject", enrolled.OpenSslSubject),
            pki.Directory, s_clientTimeout, TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, $"{result}\n{server.Diagnostics()}");
        AssertHoldsExactly(enrolled.Certificate, certOut);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Ir_RejectedByServer_ClientExitsNonZero()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        (var newKey, string newKeyPath) = pki.CreateKeyFile("new");
        TestCredential enrolled = pki.Issue(pki.Intermediate, "CN=CmpKit Rejected", "enrolled", key: newKey);

        await using OpenSslMockServer server = await OpenSslMockServer.StartAsync(
            ["-srv_ref", "cmpkit-test-server", "-srv_secret", "pass:pbm secret", "-rsp_cert", enrolled.CertPath,
             "-pkistatus", "2", "-failure", "2", "-statusstring", "cmpkit test says no"], // 2 = rejection, bit 2 = badRequest
            pki.Directory, TestContext.Current.CancellationToken);

        string certOut = pki.PathFor("out.pem");
        ProcessResult result = await OpenSsl.RunAsync(
            ClientArgs(server, certOut,
                "-ref", "cmpkit-test-client", "-secret", "pass:pbm secret",
                "-recipient", pki.Server.OpenSslSubject, "-newkey", newKeyPath, "-subject", enrolled.OpenSslSubject),
            pki.Directory, s_clientTimeout, TestContext.Current.CancellationToken);

        string diagnostics = $"{result}\n{server.Diagnostics()}";
        Assert.True(result.ExitCode != 0, diagnostics);
        Assert.False(File.Exists(certOut), diagnostics);
        // The server, not the connection, said no: the client reports the status it received.
        Assert.True(
            (result.StdOut + result.StdErr).Contains("rejection", StringComparison.OrdinalIgnoreCase),
            diagnostics);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task SharedMockCredentials_IrWithSignatureProtection_Succeeds()
    {
        OpenSsl.RequireOpenSsl();
        RepoPaths.RequireShared();
        string mock = RepoPaths.MockDir;

        // The options of Mock/server.cnf that OpenSSL 3.0 understands (it lacks ref_cert, rsp_key,
        // rsp_crl, rsp_new*/old*, no_cache_extracerts); the server only reads files in Mock/.
        await using OpenSslMockServer server = await OpenSslMockServer.StartAsync(
            ["-srv_cert", "server.crt", "-srv_key", "server.key", "-srv_secret", "pass:test",
             "-srv_trusted", "signer_root.crt", "-no_check_time",
             "-rsp_cert", "signer_only.crt", "-rsp_capubs", "trusted.crt", "-rsp_extracerts", "signer_issuing.crt"],
            mock, TestContext.Current.CancellationToken);

        // The client side of Mock/test.cnf, sections [default] and [Mock], with absolute paths.
        string outDir = Directory.CreateTempSubdirectory("cmpkit-mock-").FullName;
        try
        {
            string certOut = Path.Combine(outDir, "cert.pem");
            string caCertsOut = Path.Combine(outDir, "cacerts.pem");
            ProcessResult result = await OpenSsl.RunAsync(
                ClientArgs(server, certOut,
                    "-cert", Path.Combine(mock, "signer.crt"),
                    "-key", Path.Combine(mock, "signer.p12"), "-keypass", "pass:12345",
                    "-trusted", Path.Combine(mock, "trusted.crt"),
                    "-expect_sender", "/CN=server.example", "-recipient", "/CN=Root CA",
                    "-newkey", Path.Combine(mock, "signer.key"),
                    "-subject", "/C=AU/ST=Some-State/O=Internet Widgits Pty Ltd/CN=leaf",
                    "-out_trusted", Path.Combine(mock, "signer_root.crt"),
                    "-cacertsout", caCertsOut),
                outDir, s_clientTimeout, TestContext.Current.CancellationToken);

            Assert.True(result.ExitCode == 0, $"{result}\n{server.Diagnostics()}");
            AssertHoldsExactly(X509CertificateLoader.LoadCertificateFromFile(Path.Combine(mock, "signer_only.crt")), certOut);
            AssertHoldsExactly(X509CertificateLoader.LoadCertificateFromFile(Path.Combine(mock, "trusted.crt")), caCertsOut);
        }
        finally
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task ParallelServers_GetDistinctPortsAndListen()
    {
        OpenSsl.RequireOpenSsl();
        using var pki = new TestPki();
        const int count = 4;

        OpenSslMockServer[] servers = await Task.WhenAll(Enumerable.Range(0, count).Select(_ =>
            OpenSslMockServer.StartAsync(
                ["-srv_ref", "srv", "-srv_secret", "pass:x", "-rsp_cert", pki.Client.CertPath], pki.Directory, TestContext.Current.CancellationToken)));
        try
        {
            Assert.Equal(count, servers.Select(s => s.Port).Distinct().Count());
            Assert.Equal(count, servers.Select(s => s.ProcessId).Distinct().Count());
            foreach (OpenSslMockServer server in servers)
            {
                Assert.InRange(server.Port, 1, 65535);
                Assert.False(server.HasExited, server.Diagnostics());
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(server.Host, server.Port, TestContext.Current.CancellationToken); // throws if nothing listens
            }
        }
        finally
        {
            foreach (OpenSslMockServer server in servers)
            {
                await server.DisposeAsync();
            }
        }

        Assert.All(servers, s => Assert.True(s.HasExited, "server still running after dispose"));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task CmpKitCli_RunsAsChildProcess()
    {
        Assert.True(File.Exists(CmpKitCli.DllPath), CmpKitCli.DllPath);
        ProcessResult result = await CmpKitCli.RunAsync(["-help"], AppContext.BaseDirectory, s_clientTimeout, TestContext.Current.CancellationToken);

        // 0 or 1 means our Main ran (DESIGN.md); the dotnet host's own failures use other codes.
        Assert.True(result.ExitCode is 0 or 1, result.ToString());
        Assert.Contains("CmpKit.Cli.dll", result.Command, StringComparison.Ordinal);
    }

    /// <summary>openssl cmp client options common to every test: no config file, no prompts, no proxy, bounded time.</summary>
    private static List<string> ClientArgs(OpenSslMockServer server, string certOut, params string[] more) =>
    [
        "cmp", "-config", "", "-batch",
        "-server", server.Url(), "-no_proxy", server.Host,
        "-msg_timeout", "5", "-total_timeout", "15",
        "-cmd", "ir", "-certout", certOut,
        .. more,
    ];

    private static void AssertHoldsExactly(X509Certificate2 expected, string pemPath)
    {
        Assert.True(File.Exists(pemPath), $"{pemPath} was not written");
        var actual = new X509Certificate2Collection();
        actual.ImportFromPemFile(pemPath);
        X509Certificate2 single = Assert.Single(actual);
        Assert.Equal(expected.RawData, single.RawData);
    }
}
