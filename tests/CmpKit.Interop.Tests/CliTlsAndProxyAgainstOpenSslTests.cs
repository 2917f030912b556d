using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Interop.Tests.Infrastructure;
using CmpKit.Server;
using CmpKit.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CmpKit.Interop.Tests;

/// <summary>
/// HTTPS (-tls_used, -tls_trusted, -tls_cert, -tls_key, -tls_host) and -proxy: `openssl cmp` and cmpkit
/// run with the same arguments against a Kestrel HTTPS host (MapCmp, a TLS certificate made here,
/// client certificate required) and through a tiny HTTP proxy; both must exit alike.
/// </summary>
public sealed class CliTlsAndProxyAgainstOpenSslTests
{
    private const int TestTimeoutMs = 90_000;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);
    private const string Secret = "tls interop secret";

    private static X509Certificate2 TlsServerCertificate(TestPki pki)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=TLS interop server", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var cert = req.Create(pki.Root.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa((ECDsa)pki.Root.Key),
            DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
        using var withKey = cert.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static async Task<(WebApplication App, int Port)> StartAsync(X509Certificate2? tls, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (tls is not null)
            {
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = tls,
                    ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                    ClientCertificateValidation = (_, _, _) => true,
                });
            }
        }));
        var app = builder.Build();
        app.MapCmp("/pkix/", new CmpServer(new MockCaOptions { SrvSecret = Encoding.UTF8.GetBytes(Secret) }));
        await app.StartAsync(ct);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return (app, address.Port);
    }

    private static async Task<(ProcessResult OpenSsl, ProcessResult CmpKit)> RunBoth(TestPki pki, IReadOnlyList<string> args, CancellationToken ct)
    {
        string[] common = ["-config", "", "-batch", "-msg_timeout", "10", "-total_timeout", "20", "-cmd", "genm",
            "-ref", "client", "-secret", "pass:" + Secret, .. args];
        var ssl = await OpenSsl.RunAsync(["cmp", .. common], pki.Directory, ClientTimeout, ct);
        var kit = await CmpKitCli.RunAsync(common, pki.Directory, ClientTimeout, ct);
        return (ssl, kit);
    }

    private static void AssertSameExit(int expected, (ProcessResult OpenSsl, ProcessResult CmpKit) o, string what)
    {
        Assert.True(o.OpenSsl.ExitCode == expected, $"{what}: openssl exit {o.OpenSsl.ExitCode}, expected {expected}:\n{o.OpenSsl}");
        Assert.True(o.CmpKit.ExitCode == expected, $"{what}: cmpkit exit {o.CmpKit.ExitCode}, expected {expected} as openssl:\n{o.CmpKit}");
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Https_with_trust_client_certificate_and_host_name_check()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        var other = new TestPki();
        using var _ = other;
        var (app, port) = await StartAsync(TlsServerCertificate(pki), ct);
        await using var appDisposal = app;
        // OpenSSL 3.0 wants -tls_used with https:// (cmpkit takes either).
        string[] server = ["-server", $"https://127.0.0.1:{port}/pkix/", "-tls_used", "-tls_cert", pki.Client.CertPath, "-tls_key", pki.Client.KeyPath];

        AssertSameExit(0, await RunBoth(pki, [.. server, "-tls_trusted", pki.Root.CertPath], ct), "trusted root");
        AssertSameExit(0, await RunBoth(pki, [.. server, "-tls_trusted", pki.Root.CertPath, "-tls_host", "localhost"], ct), "-tls_host localhost");
        AssertSameExit(1, await RunBoth(pki, [.. server, "-tls_trusted", pki.Root.CertPath, "-tls_host", "ca.example"], ct), "-tls_host mismatch");
        AssertSameExit(1, await RunBoth(pki, [.. server, "-tls_trusted", other.Root.CertPath], ct), "other root");
        await app.StopAsync(ct);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Through_an_http_proxy()
    {
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        var (app, port) = await StartAsync(null, ct);
        await using var appDisposal = app;
        using var proxy = new TcpListener(IPAddress.Loopback, 0);
        proxy.Start();
        var lines = new List<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var serving = ServeProxyAsync(proxy, port, lines, stop.Token);

        var o = await RunBoth(pki, ["-server", $"127.0.0.1:{port}/pkix/", "-proxy", $"127.0.0.1:{((IPEndPoint)proxy.LocalEndpoint).Port}"], ct);
        AssertSameExit(0, o, "proxy");
        lock (lines)
        {
            // each client sent its genm through the proxy, in absolute form
            Assert.Equal(2, lines.Count(l => l.StartsWith($"POST http://127.0.0.1:{port}/pkix", StringComparison.Ordinal)));
        }
        await stop.CancelAsync();
        proxy.Stop();
        await serving;
        await app.StopAsync(ct);
    }

    // A forwarding proxy: records each request line, passes the bytes on to the server as they are (Kestrel takes the absolute form).
    private static async Task ServeProxyAsync(TcpListener listener, int serverPort, List<string> lines, CancellationToken ct)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(ct);
                connections.Add(Task.Run(async () =>
                {
                    using (client)
                    using (var upstream = new TcpClient())
                    {
                        try
                        {
                            await upstream.ConnectAsync(IPAddress.Loopback, serverPort, ct);
                            var down = client.GetStream();
                            var up = upstream.GetStream();
                            var buffer = new byte[64 * 1024];
                            int n = await down.ReadAsync(buffer, ct);
                            var text = Encoding.ASCII.GetString(buffer, 0, n);
                            var first = text.Split("\r\n")[0];
                            lock (lines)
                            {
                                lines.Add(first);
                            }
                            // As a real proxy: the request goes on in origin form (OpenSSL 3.0's Host header has no port).
                            var parts = first.Split(' ');
                            var originForm = $"{parts[0]} {new Uri(parts[1]).PathAndQuery} {parts[2]}";
                            var head = Encoding.ASCII.GetBytes(originForm);
                            var firstLength = Encoding.ASCII.GetByteCount(first);
                            await up.WriteAsync(head, ct);
                            await up.WriteAsync(buffer.AsMemory(firstLength, n - firstLength), ct);
                            await Task.WhenAny(down.CopyToAsync(up, ct), up.CopyToAsync(down, ct));
                        }
                        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                        {
                        }
                    }
                }, CancellationToken.None));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        await Task.WhenAll(connections);
    }
}
