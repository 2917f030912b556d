using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Server;
using CmpKit.Server.Http;
using CmpKit.Transport;

namespace CmpKit.Tests.Server.Http;

/// <summary>
/// <see cref="CmpHttpHost"/> on 127.0.0.1 with a free port: the library's <see cref="CmpClient"/> over
/// <see cref="HttpCmpTransport"/> for every enrollment kind and both protections, and the HTTP rules of the endpoint.
/// </summary>
public class CmpHttpHostTests
{
    private const int TimeoutMs = 30_000;
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("http secret");
    private static readonly byte[] Reference = Encoding.UTF8.GetBytes("ref");

    private static HttpClient NewHttp() => new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };

    private static async Task<CmpHttpHost> StartAsync(CmpServer server, CmpHttpOptions? options = null, CancellationToken ct = default)
    {
        var host = new CmpHttpHost(server, options: options);
        await host.StartAsync(ct);
        return host;
    }

    private static CmpClient Client(HttpClient http, CmpHttpHost host, CmpClientOptions options) =>
        new(new HttpCmpTransport(http, host.Uri), options with { MessageTimeout = TimeSpan.FromSeconds(10), TotalTimeout = TimeSpan.FromSeconds(20) });

    [Theory(Timeout = TimeoutMs)]
    [InlineData(CertificateRequestKind.Initial)]
    [InlineData(CertificateRequestKind.Additional)]
    [InlineData(CertificateRequestKind.KeyUpdate)]
    [InlineData(CertificateRequestKind.Pkcs10)]
    public async Task Enrollment_with_PBM_over_HTTP(CertificateRequestKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference });
        await using var host = await StartAsync(server, ct: ct);
        using var http = NewHttp();
        var client = Client(http, host, new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference) });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName("CN=http " + kind);

        var template = kind switch
        {
            CertificateRequestKind.Pkcs10 => new CertificateRequestTemplate { Pkcs10Request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSigningRequest() },
            // With PBM, kur names the certificate to update explicitly: one this server issued a moment ago.
            CertificateRequestKind.KeyUpdate => new CertificateRequestTemplate
            {
                NewKey = key,
                Subject = subject,
                OldCertificate = (await client.InitialEnrollAsync(new CertificateRequestTemplate { NewKey = key, Subject = subject }, ct)).Certificate,
            },
            _ => new CertificateRequestTemplate { NewKey = key, Subject = subject },
        };
        var result = await client.RequestCertificateAsync(kind, template, ct);

        Assert.Equal(subject.RawData, result.Certificate.SubjectName.RawData);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), result.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(CmpServerTransactionState.Confirmed, server.FindTransaction(result.TransactionId.Span)!.State);
    }

    [Theory(Timeout = TimeoutMs)]
    [InlineData(CertificateRequestKind.Initial)]
    [InlineData(CertificateRequestKind.Additional)]
    [InlineData(CertificateRequestKind.KeyUpdate)]
    [InlineData(CertificateRequestKind.Pkcs10)]
    public async Task Enrollment_with_signature_over_HTTP(CertificateRequestKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var pki = new TestPki();
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientCert = pki.Issue("CN=http signer", clientKey);
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverCert = pki.Issue("CN=http server", serverKey);
        var server = new CmpServer(new MockCaOptions { SrvCert = serverCert, SrvKey = serverKey, SrvTrusted = [pki.Root] });
        await using var host = await StartAsync(server, ct: ct);
        using var http = NewHttp();
        var client = Client(http, host, new CmpClientOptions
        {
            SignatureCredentials = new CmpSignatureCredentials(clientCert, clientKey),
            TrustAnchors = [pki.Root],
            ExpectedSender = serverCert.SubjectName,
        });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName(kind == CertificateRequestKind.KeyUpdate ? "CN=http signer" : "CN=http new");

        var template = kind switch
        {
            CertificateRequestKind.Pkcs10 => new CertificateRequestTemplate { Pkcs10Request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSigningRequest() },
            CertificateRequestKind.KeyUpdate => new CertificateRequestTemplate { NewKey = key },
            _ => new CertificateRequestTemplate { NewKey = key, Subject = subject },
        };
        var result = await client.RequestCertificateAsync(kind, template, ct);

        Assert.Equal(subject.RawData, result.Certificate.SubjectName.RawData);
        Assert.Equal(serverCert.RawData, result.ExtraCertificates[0].RawData);
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task Concurrent_transactions_each_get_their_certificate()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, PollCount = 1, CheckAfter = 0 });
        await using var host = await StartAsync(server, ct: ct);
        using var http = NewHttp();
        var client = Client(http, host, new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference) });

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var r = await client.InitialEnrollAsync(new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=c" + i) }, ct);
            return (i, r);
        }));

        foreach (var (i, r) in results)
        {
            Assert.Equal("CN=c" + i, r.Certificate.Subject);
        }
        Assert.Equal(8 * 3, server.MessageCount); // ir, pollReq, certConf each
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task Port_zero_gets_a_free_port_and_two_hosts_get_different_ones()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        await using var a = await StartAsync(server, ct: ct);
        await using var b = await StartAsync(server, ct: ct);

        Assert.InRange(a.Port, 1, 65535);
        Assert.NotEqual(a.Port, b.Port);
        Assert.Equal($"http://127.0.0.1:{a.Port}/pkix/", a.Uri.ToString());
    }

    private static HttpRequestMessage Post(CmpHttpHost host, byte[] body, string? contentType = "application/pkixcmp", string path = "/pkix/")
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        return new HttpRequestMessage(HttpMethod.Post, new Uri(host.Uri, path)) { Content = content };
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task Http_rules_404_405_415_413_and_a_CMP_error_for_garbage()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        await using var host = await StartAsync(server, new CmpHttpOptions { MaxRequestSize = 1000 }, ct);
        using var http = NewHttp();

        using (var r = await http.SendAsync(Post(host, [0x30, 0x00], path: "/other/"), ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        }
        using (var r = await http.GetAsync(host.Uri, ct))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
            Assert.Contains("POST", r.Content.Headers.Allow);
        }
        using (var r = await http.SendAsync(Post(host, [0x30, 0x00], "text/plain"), ct))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.StatusCode);
        }
        using (var r = await http.SendAsync(Post(host, [0x30, 0x00], null), ct))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.StatusCode);
        }
        using (var r = await http.SendAsync(Post(host, new byte[5000]), ct))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        }
        // Parameters and case do not matter; an undecodable body is answered with a CMP error message.
        using (var r = await http.SendAsync(Post(host, [0x30, 0x00], "Application/PKIXCMP; charset=binary"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("application/pkixcmp", r.Content.Headers.ContentType?.MediaType);
            var body = await r.Content.ReadAsByteArrayAsync(ct);
            Assert.Equal(r.Content.Headers.ContentLength, body.Length);
            var message = CmpKit.Messages.PkiMessageCodec.Decode(body);
            Assert.Equal((int)CmpKit.Messages.BodyType.Error, message.Body.Type);
        }
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task Chunked_body_over_the_limit_is_413()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        await using var host = await StartAsync(server, new CmpHttpOptions { MaxRequestSize = 1000 }, ct);

        var response = await RawExchangeAsync(host, "POST /pkix/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\n"
            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n7d0\r\n" + new string('A', 2000) + "\r\n0\r\n\r\n", ct);

        Assert.StartsWith("HTTP/1.1 413", response, StringComparison.Ordinal);
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task Connection_close_is_honoured_and_keep_alive_reuses_the_connection()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        await using var host = await StartAsync(server, ct: ct);
        const string Request = "POST /pkix/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\nContent-Length: 2\r\n";

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, host.Port, ct);
        var stream = tcp.GetStream();
        // Two requests on one connection (HTTP/1.1 keep-alive by default), the second asks to close.
        var first = await SendOnAsync(stream, Request + "\r\n", [0x30, 0x00], ct);
        Assert.StartsWith("HTTP/1.1 200", first, StringComparison.Ordinal);
        Assert.DoesNotContain("Connection: close", first, StringComparison.OrdinalIgnoreCase);
        var second = await SendOnAsync(stream, Request + "Connection: close\r\n\r\n", [0x30, 0x00], ct);
        Assert.StartsWith("HTTP/1.1 200", second, StringComparison.Ordinal);
        Assert.Contains("Connection: close", second, StringComparison.OrdinalIgnoreCase);
        // The server closes: the next read sees end of stream.
        var buffer = new byte[1];
        using var readLimit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        readLimit.CancelAfter(TimeSpan.FromSeconds(5));
        Assert.Equal(0, await stream.ReadAsync(buffer, readLimit.Token));
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task A_client_that_stops_sending_its_body_gets_408()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        await using var host = await StartAsync(server, new CmpHttpOptions { RequestTimeout = TimeSpan.FromSeconds(1) }, ct);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, host.Port, ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /pkix/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\nContent-Length: 100\r\n\r\n0123456789"), ct);
        var response = await ReadAllAsync(stream, TimeSpan.FromSeconds(10), ct);

        Assert.StartsWith("HTTP/1.1 408", response, StringComparison.Ordinal);
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task OnExchange_reports_each_message_in_one_record()
    {
        var ct = TestContext.Current.CancellationToken;
        var reports = new List<CmpHttpExchange>();
        await using var host = await StartReportingAsync(reports, ct);
        using var http = NewHttp();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = await Client(http, host, new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference) })
            .InitialEnrollAsync(new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=r") }, ct);

        Assert.Equal(["ir", "certConf"], reports.Select(r => r.RequestType));
        Assert.Equal(["ip", "pkiconf"], reports.Select(r => r.ResponseType));
        Assert.Equal("accepted", reports[0].Status);
        Assert.All(reports, r => Assert.Equal(Convert.ToHexString(result.TransactionId.Span).ToLowerInvariant(), r.TransactionId));
        Assert.All(reports, r => Assert.StartsWith("127.0.0.1:", r.Remote, StringComparison.Ordinal));
        Assert.Equal(2, reports[1].MessageCount);
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task OnExchange_reports_undecodable_and_refused_requests_from_what_the_engine_saw()
    {
        var ct = TestContext.Current.CancellationToken;
        var reports = new List<CmpHttpExchange>();
        await using var host = await StartReportingAsync(reports, ct);
        using var http = NewHttp();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        // Not a PKIMessage: an error response with a fresh transactionID, none reported for the request.
        var garbage = "not der"u8.ToArray();
        var response = await RawExchangeAsync(host,
            $"POST /pkix/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\nContent-Length: {garbage.Length}\r\nConnection: close\r\n\r\nnot der", ct);
        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        // A wrong secret: the ir is decoded, its transactionID reported, and refused.
        await Assert.ThrowsAsync<CmpException>(() => Client(http, host,
                new CmpClientOptions { MacCredentials = new CmpMacCredentials("wrong secret"u8.ToArray(), Reference) })
            .InitialEnrollAsync(new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=r") }, ct));

        Assert.Equal(2, reports.Count);
        Assert.Equal(("?", "error", ""), (reports[0].RequestType, reports[0].ResponseType, reports[0].TransactionId));
        Assert.StartsWith("rejection; failInfo: badDataFormat", reports[0].Status, StringComparison.Ordinal);
        Assert.Equal(("ir", "error"), (reports[1].RequestType, reports[1].ResponseType));
        Assert.StartsWith("rejection; failInfo: badMessageCheck", reports[1].Status, StringComparison.Ordinal);
        Assert.Equal(32, reports[1].TransactionId.Length);
        Assert.Matches("^[0-9a-f]+$", reports[1].TransactionId);
    }

    /// <summary>A host whose endpoint adds every exchange report to <paramref name="reports"/>.</summary>
    private static Task<CmpHttpHost> StartReportingAsync(List<CmpHttpExchange> reports, CancellationToken ct) =>
        StartAsync(new CmpServer(new MockCaOptions { SrvSecret = Secret }),
            new CmpHttpOptions { OnExchange = e => { lock (reports) { reports.Add(e); } } }, ct);

    private static async Task<string> RawExchangeAsync(CmpHttpHost host, string request, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, host.Port, ct);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), ct);
        }
        catch (IOException)
        {
            // the server may answer and close before it has read everything
        }
        return await ReadAllAsync(stream, TimeSpan.FromSeconds(10), ct);
    }

    /// <summary>Writes a request and reads one response (headers, then Content-Length bytes).</summary>
    private static async Task<string> SendOnAsync(NetworkStream stream, string head, byte[] body, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(body).ToArray(), ct);
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            var n = await stream.ReadAsync(buffer, limit.Token);
            Assert.NotEqual(0, n);
            received.AddRange(buffer.AsSpan(0, n));
            var text = Encoding.Latin1.GetString(received.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                continue;
            }
            var lengthLine = text[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            if (received.Count >= end + 4 + length)
            {
                return text;
            }
        }
    }

    private static async Task<string> ReadAllAsync(NetworkStream stream, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, limit.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            // connection reset after the response
        }
        return Encoding.Latin1.GetString(received.ToArray());
    }
}
