using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Server;
using CmpKit.Server.Http;
using CmpKit.Tests.Cli;
using CmpKit.Tests.Support;
using CmpKit.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static CmpKit.Tests.Cli.CliRun;

namespace CmpKit.Tests.Transport;

/// <summary>
/// CMP over HTTPS (a Kestrel host with a certificate made here, MapCmp) and through an HTTP proxy (a
/// tiny forwarding/CONNECT proxy on 127.0.0.1), from the library and from the CLI (-tls_*, -proxy, -no_proxy).
/// </summary>
public sealed class HttpsAndProxyTests
{
    private const string Secret = "tls-secret";

    /// <summary>A root CA, a TLS server certificate for localhost and 127.0.0.1, and a TLS client certificate, as PEM files.</summary>
    private sealed class TlsPki
    {
        public TlsPki(TempDir dir)
        {
            Root = TestPki.CreateRoot("CN=TLS Test Root");
            Server = Leaf("CN=TLS Test Server", serverAuth: true);
            Client = Leaf("CN=TLS Test Client", serverAuth: false);
            RootPem = dir.Write("tls-root.pem", Root.Certificate.ExportCertificatePem());
            ClientPem = dir.Write("tls-client.pem", Client.Certificate.ExportCertificatePem());
            ClientKey = dir.Write("tls-client.key", Client.Key.ExportPkcs8PrivateKeyPem());
            OtherRootPem = dir.Write("other-root.pem", TestPki.CreateRoot("CN=Other Root").Certificate.ExportCertificatePem());
        }

        public TestPki.Issued Root { get; }
        public TestPki.Issued Server { get; }
        public TestPki.Issued Client { get; }
        public string RootPem { get; }
        public string ClientPem { get; }
        public string ClientKey { get; }
        public string OtherRootPem { get; }

        private TestPki.Issued Leaf(string subject, bool serverAuth)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            req.CertificateExtensions.Add(san.Build());
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            var serial = RandomNumberGenerator.GetBytes(12);
            serial[0] &= 0x7F;
            var cert = req.Create(Root.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa((ECDsa)Root.Key),
                DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
            var k = ECDsa.Create();
            k.ImportParameters(key.ExportParameters(true));
            return new TestPki.Issued(X509CertificateLoader.LoadCertificate(cert.RawData), k);
        }
    }

    /// <summary>A CMP server (PBM, shared secret) behind Kestrel, HTTP or HTTPS, optionally requiring a client certificate.</summary>
    private sealed class Host : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Host(WebApplication app, Uri uri)
        {
            _app = app;
            Uri = uri;
        }

        public Uri Uri { get; }
        public X509Certificate2? ClientCertificateSeen { get; private set; }

        public static async Task<Host> StartAsync(TlsPki? tls, bool requireClientCertificate, CancellationToken ct)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            Host? host = null;
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (tls is not null)
                {
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = X509CertificateLoader.LoadPkcs12(tls.Server.WithKey().Export(X509ContentType.Pkcs12), null),
                        ClientCertificateMode = requireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.NoCertificate,
                        ClientCertificateValidation = (c, _, _) =>
                        {
                            host!.ClientCertificateSeen = new X509Certificate2(c);
                            return true;
                        },
                    });
                }
            }));
            var app = builder.Build();
            app.MapCmp("/pkix/", new CmpServer(new MockCaOptions { SrvSecret = Encoding.UTF8.GetBytes(Secret) }));
            await app.StartAsync(ct);
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            host = new Host(app, new UriBuilder(tls is null ? "http" : "https", "127.0.0.1", address.Port, "/pkix/").Uri);
            return host;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }

    private static CmpClientOptions Pbm => new() { MacCredentials = new CmpMacCredentials(Encoding.UTF8.GetBytes(Secret), "ref"u8.ToArray()) };

    private static async Task<IReadOnlyList<CmpInfoTypeAndValue>> GenmAsync(Uri uri, CmpTlsOptions? tls, CmpProxyOptions? proxy = null)
    {
        using var http = new HttpClient(CmpHttpClientFactory.CreateHandler(tls, proxy)) { Timeout = TimeSpan.FromSeconds(20) };
        var client = new CmpClient(http, uri, Pbm);
        return await client.GeneralMessageAsync([], TestContext.Current.CancellationToken);
    }

    [Fact(Timeout = 60_000)]
    public async Task Library_https_with_custom_root_trust_and_host_name_check()
    {
        using var dir = new TempDir();
        var pki = new TlsPki(dir);
        await using var host = await Host.StartAsync(pki, requireClientCertificate: false, TestContext.Current.CancellationToken);

        Assert.Empty(await GenmAsync(host.Uri, new CmpTlsOptions { TrustAnchors = [pki.Root.Certificate] }));
        Assert.Empty(await GenmAsync(host.Uri, new CmpTlsOptions { TrustAnchors = [pki.Root.Certificate], HostName = "localhost" }));

        var untrusted = await Assert.ThrowsAsync<CmpException>(() => GenmAsync(host.Uri, new CmpTlsOptions { TrustAnchors = [TestPki.CreateRoot("CN=X").Certificate] }));
        Assert.Equal(CmpFailureReason.ConnectionFailed, untrusted.Reason);
        var wrongName = await Assert.ThrowsAsync<CmpException>(() => GenmAsync(host.Uri, new CmpTlsOptions { TrustAnchors = [pki.Root.Certificate], HostName = "ca.example" }));
        Assert.Equal(CmpFailureReason.ConnectionFailed, wrongName.Reason);
        // The system trust store does not know the test root.
        await Assert.ThrowsAsync<CmpException>(() => GenmAsync(host.Uri, new CmpTlsOptions()));
    }

    [Fact(Timeout = 60_000)]
    public async Task Library_https_client_certificate_is_presented()
    {
        using var dir = new TempDir();
        var pki = new TlsPki(dir);
        await using var host = await Host.StartAsync(pki, requireClientCertificate: true, TestContext.Current.CancellationToken);
        var clientCert = X509CertificateLoader.LoadPkcs12(pki.Client.WithKey().Export(X509ContentType.Pkcs12), null);

        Assert.Empty(await GenmAsync(host.Uri, new CmpTlsOptions { TrustAnchors = [pki.Root.Certificate], ClientCertificate = clientCert }));
        Assert.Equal(pki.Client.Certificate.RawData, host.ClientCertificateSeen?.RawData);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cli_https_with_tls_trusted_tls_cert_and_tls_host()
    {
        using var dir = new TempDir();
        var pki = new TlsPki(dir);
        await using var host = await Host.StartAsync(pki, requireClientCertificate: true, TestContext.Current.CancellationToken);
        string[] pbm = ["-secret", "pass:" + Secret, "-ref", "ref", "-cmd", "genm", "-msg_timeout", "20"];
        var hostPort = $"127.0.0.1:{host.Uri.Port}";

        var r = await RunAsync([.. pbm, "-server", $"https://{hostPort}/pkix/", "-tls_trusted", pki.RootPem, "-tls_cert", pki.ClientPem, "-tls_key", pki.ClientKey]);
        AssertSuccess(r);
        Assert.Equal(pki.Client.Certificate.RawData, host.ClientCertificateSeen?.RawData);

        // -tls_used with a server given without scheme; -tls_host names what the certificate must match.
        AssertSuccess(await RunAsync([.. pbm, "-server", $"{hostPort}/pkix/", "-tls_used", "-tls_host", "localhost", "-tls_trusted", pki.RootPem,
            "-tls_cert", pki.ClientPem, "-tls_key", pki.ClientKey]));
        AssertOneError(await RunAsync([.. pbm, "-server", $"{hostPort}/pkix/", "-tls_used", "-tls_host", "ca.example", "-tls_trusted", pki.RootPem,
            "-tls_cert", pki.ClientPem, "-tls_key", pki.ClientKey]));
        AssertOneError(await RunAsync([.. pbm, "-server", $"https://{hostPort}/pkix/", "-tls_trusted", pki.OtherRootPem,
            "-tls_cert", pki.ClientPem, "-tls_key", pki.ClientKey]));

        // As openssl cmp: without -tls_trusted the server is not authenticated, with a warning.
        var unauthenticated = await RunAsync([.. pbm, "-server", $"https://{hostPort}/pkix/", "-tls_cert", pki.ClientPem, "-tls_key", pki.ClientKey]);
        AssertSuccess(unauthenticated);
        Assert.Contains("will not be authenticated", unauthenticated.Err, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cli_through_a_proxy_for_http_and_https_and_not_for_no_proxy_hosts()
    {
        using var dir = new TempDir();
        var pki = new TlsPki(dir);
        var ct = TestContext.Current.CancellationToken;
        await using var plain = await Host.StartAsync(null, false, ct);
        await using var https = await Host.StartAsync(pki, false, ct);
        await using var proxy = TinyProxy.Start();
        string[] pbm = ["-secret", "pass:" + Secret, "-ref", "ref", "-cmd", "genm", "-msg_timeout", "20", "-proxy", $"http://127.0.0.1:{proxy.Port}/ignored/path"];

        AssertSuccess(await RunAsync([.. pbm, "-server", $"127.0.0.1:{plain.Uri.Port}/pkix/"]));
        Assert.Contains($"POST http://127.0.0.1:{plain.Uri.Port}/pkix/ HTTP/1.1", proxy.RequestLines);

        AssertSuccess(await RunAsync([.. pbm, "-server", $"https://127.0.0.1:{https.Uri.Port}/pkix/", "-tls_trusted", pki.RootPem]));
        Assert.Contains(proxy.RequestLines, l => l.StartsWith($"CONNECT 127.0.0.1:{https.Uri.Port} ", StringComparison.Ordinal));

        int before = proxy.RequestLines.Count;
        AssertSuccess(await RunAsync([.. pbm, "-server", $"127.0.0.1:{plain.Uri.Port}/pkix/", "-no_proxy", "localhost,127.0.0.1"]));
        Assert.Equal(before, proxy.RequestLines.Count);
    }

    [Theory]
    [InlineData("http://ca.example/pkix/", null, null, "http://p1:8080/")] // http_proxy
    [InlineData("https://ca.example/pkix/", null, null, "http://p2:443/")] // https_proxy, default port 443 for https://
    [InlineData("http://ca.example/pkix/", "proxy.example", null, "http://proxy.example/")] // option wins, port 80
    [InlineData("http://ca.example/pkix/", null, "other, ca.example", null)] // no_proxy option
    [InlineData("http://ca.example/pkix/", "", null, null)] // empty option: no proxy (not the environment's)
    public void Proxy_from_options_and_environment_as_openssl(string server, string? proxyOption, string? noProxyOption, string? expected)
    {
        var env = new Dictionary<string, string> { ["http_proxy"] = "p1:8080", ["HTTPS_PROXY"] = "https://user@p2/x", ["no_proxy"] = "elsewhere" };
        var o = CmpProxyOptions.FromOpenSslConventions(new Uri(server), proxyOption, noProxyOption, n => env.GetValueOrDefault(n));
        Assert.Equal(expected, o.Proxy?.ToString());
    }

    /// <summary>
    /// An HTTP proxy on 127.0.0.1 that records request lines: CONNECT host:port is tunnelled, an
    /// absolute-form request is forwarded as is (Kestrel accepts the absolute form).
    /// </summary>
    private sealed class TinyProxy : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _lines = [];
        private Task _accept = Task.CompletedTask;

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public IReadOnlyList<string> RequestLines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public static TinyProxy Start()
        {
            var p = new TinyProxy();
            p._listener.Start();
            p._accept = p.AcceptLoopAsync();
            return p;
        }

        private async Task AcceptLoopAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = Task.Run(() => ServeAsync(client));
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (SocketException)
            {
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var head = new List<byte>();
                    var one = new byte[1];
                    while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
                    {
                        if (await stream.ReadAsync(one, _stop.Token) == 0 || head.Count > 16 * 1024)
                        {
                            return;
                        }
                        head.Add(one[0]);
                    }
                    var text = Encoding.ASCII.GetString([.. head]);
                    var line = text[..text.IndexOf("\r\n", StringComparison.Ordinal)];
                    lock (_lines)
                    {
                        _lines.Add(line);
                    }
                    var parts = line.Split(' ');
                    using var upstream = new TcpClient();
                    if (parts[0] == "CONNECT")
                    {
                        var hp = parts[1].Split(':');
                        await upstream.ConnectAsync(IPAddress.Loopback, int.Parse(hp[1], System.Globalization.CultureInfo.InvariantCulture), _stop.Token);
                        await stream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), _stop.Token);
                    }
                    else
                    {
                        var target = new Uri(parts[1]);
                        await upstream.ConnectAsync(IPAddress.Loopback, target.Port, _stop.Token);
                        await upstream.GetStream().WriteAsync(head.ToArray(), _stop.Token);
                    }
                    var up = upstream.GetStream();
                    var a = stream.CopyToAsync(up, _stop.Token);
                    var b = up.CopyToAsync(stream, _stop.Token);
                    await Task.WhenAny(a, b);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // a closed connection ends the tunnel
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accept;
            _stop.Dispose();
        }
    }
}
