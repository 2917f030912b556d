using CmpKit.Client;
using CmpKit.Tests.Support;
using CmpKit.Tests.Validation;
using CmpKit.Transport;

namespace CmpKit.Tests.Transport;

/// <summary>
/// The CLI's own HTTP/1.1 transport (<see cref="DirectHttpCmpTransport"/>): every test of
/// <see cref="HttpTransportTests"/>, and what only a hand-made HTTP parser can get wrong.
/// </summary>
public class DirectHttpTransportTests : HttpTransportTests
{
    private protected override ICmpTransport Transport(Uri uri, CmpKeepAlive keepAlive) =>
        new DirectHttpCmpTransport(uri) { KeepAlive = keepAlive, MaxResponseSize = 64 * 1024 };

    private protected override bool ReusesAnnouncedClosedConnections => false;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Request_line_and_Host_name_the_endpoint()
    {
        var cmp = new ScriptedCmpServer();
        await using var server = Serve(cmp);
        await Client(server, cmp).InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        var first = server.Requests[0];
        Assert.Equal("POST /pkix/ HTTP/1.1", first.RequestLine);
        Assert.Equal(server.Uri.Authority, first.Headers["host"]);
        Assert.Equal("keep-alive", first.Headers["connection"]);
        Assert.Equal("no-cache", first.Headers["cache-control"]);
    }

    [Theory]
    [InlineData("http://[::1]:8080/pkix/", "POST /pkix/ HTTP/1.1\r\nHost: [::1]:8080\r\n")]
    [InlineData("http://[fe80::1%25eth0]/", "POST / HTTP/1.1\r\nHost: [fe80::1]\r\n")]
    [InlineData("http://bücher.example:81/a/b?x=1", "POST /a/b?x=1 HTTP/1.1\r\nHost: xn--bcher-kva.example:81\r\n")]
    [InlineData("http://ca.example/", "POST / HTTP/1.1\r\nHost: ca.example\r\n")]
    public void Host_field_for_addresses_and_names(string uri, string start)
    {
        Assert.StartsWith(start, new DirectHttpCmpTransport(new Uri(uri)).RequestHead, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task Redirect_is_not_followed(int status)
    {
        var cmp = new ScriptedCmpServer();
        await using var target = Serve(cmp);
        await using var redirecting = Serve(cmp, (_, r) => r with { Status = status, ContentType = null, Body = [],
            Headers = new Dictionary<string, string> { ["Location"] = target.Uri.ToString() } });

        var e = await Fails(Client(redirecting, cmp));

        Assert.Equal(CmpFailureReason.HttpError, e.Reason);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref target.Connections));
    }

    public static TheoryData<string, string> BrokenHeads() => new()
    {
        { "not HTTP", "SSH-2.0-OpenSSH_9.2\r\n\r\n" },
        { "status without a code", "HTTP/1.1 OK\r\n\r\n" },
        { "HTTP/2 status line", "HTTP/2 200\r\nContent-Type: application/pkixcmp\r\n\r\n" },
        { "header line without a colon", "HTTP/1.1 200 OK\r\nContent-Type application/pkixcmp\r\n\r\n" },
        { "folded header line", "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\n continued\r\nContent-Length: 0\r\n\r\n" },
        { "two different Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 10\r\nContent-Length: 11\r\n\r\n" },
        { "negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: -1\r\n\r\n" },
        { "gzip transfer coding", "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nTransfer-Encoding: gzip\r\n\r\n" },
        { "chunk size not hex", "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" },
        { "chunk longer than its size", "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n" },
        { "header of 20,000 bytes", "HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 20_000) + "\r\n\r\n" },
        { "connection ends within the header", "HTTP/1.1 200 OK\r\nContent-Type: appl" },
    };

    [Theory]
    [MemberData(nameof(BrokenHeads))]
    public async Task Broken_HTTP_ends_with_one_clear_line(string what, string head)
    {
        var cmp = new ScriptedCmpServer();
        await using var server = Serve(cmp, (_, r) => r with { RawHead = head, Body = [], CloseSilently = true });

        var e = await Fails(Client(server, cmp));

        Assert.True(e.Reason is CmpFailureReason.ConnectionFailed or CmpFailureReason.MalformedResponse, $"{what}: {e.Reason}");
        Assert.Contains(server.Uri.GetLeftPart(UriPartial.Path), e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(e.Message.Length < 400, $"{what}: {e.Message.Length} characters");
    }

    [Theory]
    [InlineData(DirectHttpCmpTransport.MaxHeaderBytes, true)]
    [InlineData(DirectHttpCmpTransport.MaxHeaderBytes + 1, false)]
    public async Task Response_header_up_to_the_cap_passes_and_one_byte_more_is_refused(int headerBytes, bool passes)
    {
        var cmp = new ScriptedCmpServer();
        await using var server = Serve(cmp, (_, r) =>
        {
            var start = $"HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: {r.Body.Length}\r\nX-Pad: ";
            var pad = new string('a', headerBytes - start.Length - "\r\n\r\n".Length);
            return r with { RawHead = start + pad + "\r\n\r\n" };
        });

        if (passes)
        {
            await Client(server, cmp).InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
            return;
        }
        var e = await Fails(Client(server, cmp));
        Assert.Equal(CmpFailureReason.ConnectionFailed, e.Reason);
        Assert.Contains("longer than", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("closed mid-body")]
    [InlineData("reset mid-body")]
    public async Task Response_cut_short_ends_with_CmpException(string how)
    {
        var cmp = new ScriptedCmpServer();
        await using var server = Serve(cmp, (_, r) => how == "closed mid-body"
            ? r with { ContentLength = r.Body.Length, Body = r.Body[..(r.Body.Length / 2)], ConnectionClose = true }
            : r with { ResetAfter = r.Body.Length / 2 });

        var e = await Fails(Client(server, cmp));

        Assert.True(e.Reason is CmpFailureReason.ConnectionFailed or CmpFailureReason.MalformedResponse, e.Reason.ToString());
    }

    [Fact]
    public async Task Connection_refused_is_ConnectionFailed()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var cmp = new ScriptedCmpServer();
        var client = new CmpClient(new DirectHttpCmpTransport(new Uri($"http://127.0.0.1:{port}/pkix/")), ResponseCheckTests.MacOptions(cmp));

        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct));

        Assert.Equal(CmpFailureReason.ConnectionFailed, e.Reason);
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_plain_http_is_accepted()
    {
        var e = Assert.Throws<CmpException>(() => new DirectHttpCmpTransport(new Uri("https://127.0.0.1/pkix/")));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
    }
}
