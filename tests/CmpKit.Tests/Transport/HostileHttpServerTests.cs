using System.Diagnostics;
using CmpKit.Client;
using CmpKit.Tests.Support;
using CmpKit.Tests.Validation;
using CmpKit.Transport;

namespace CmpKit.Tests.Transport;

/// <summary>Runs alone: these tests measure the bytes the process allocates.</summary>
[CollectionDefinition(nameof(AllocationSensitive), DisableParallelization = true)]
public sealed class AllocationSensitive;

/// <summary>
/// A hostile CMP server over HTTP on 127.0.0.1 (issue 6): redirects that must not be followed, and bodies
/// within the size cap built to hurt a DER decoder (deep nesting, lengths that lie). Each ends the
/// transaction with <see cref="CmpException"/>, in bounded time and memory.
/// </summary>
[Collection(nameof(AllocationSensitive))]
public class HostileHttpServerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TinyHttpServer Serve(ScriptedCmpServer cmp, Func<TinyHttpServer.Response, TinyHttpServer.Response>? change = null) =>
        new(async req =>
        {
            var response = new TinyHttpServer.Response { Body = await cmp.HandleAsync(req.Body, CancellationToken.None) };
            return change is null ? response : change(response);
        });

    private static CmpClient Client(HttpClient http, TinyHttpServer server, ScriptedCmpServer cmp) =>
        new(new HttpCmpTransport(http, server.Uri), ResponseCheckTests.MacOptions(cmp) with { MessageTimeout = TimeSpan.FromSeconds(10) });

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task Redirect_is_not_followed_and_the_Location_is_never_contacted(int status)
    {
        var cmp = new ScriptedCmpServer();
        // The Location answers CMP correctly: following the redirect would let the transaction succeed.
        await using var target = Serve(cmp);
        await using var redirecting = Serve(cmp, r => r with { Status = status, ContentType = null, Body = [],
            Headers = new Dictionary<string, string> { ["Location"] = target.Uri.ToString() } });
        using var http = new HttpClient(CmpHttpClientFactory.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };

        var e = await Assert.ThrowsAsync<CmpException>(() => Client(http, redirecting, cmp).InitialEnrollAsync(ResponseCheckTests.Template(), Ct));

        Assert.Equal(CmpFailureReason.HttpError, e.Reason);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Single(redirecting.Requests);
        Assert.Equal(0, Volatile.Read(ref target.Connections));
        Assert.Empty(target.Requests);
    }

    [Fact]
    public async Task Redirect_followed_by_a_callers_HttpClient_is_still_refused()
    {
        // An HttpClient not made by CmpHttpClientFactory follows 307 with the same POST: the answer from
        // another URI than the configured one is refused all the same (fail closed).
        var cmp = new ScriptedCmpServer();
        await using var target = Serve(cmp);
        await using var redirecting = Serve(cmp, r => r with { Status = 307, ContentType = null, Body = [],
            Headers = new Dictionary<string, string> { ["Location"] = target.Uri.ToString() } });
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = true }) { Timeout = Timeout.InfiniteTimeSpan };

        var e = await Assert.ThrowsAsync<CmpException>(() => Client(http, redirecting, cmp).InitialEnrollAsync(ResponseCheckTests.Template(), Ct));

        Assert.Equal(CmpFailureReason.HttpError, e.Reason);
        Assert.Contains("redirect", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(cmp.Received, m => m.Body.Type == (int)CmpKit.Messages.BodyType.CertConf);
    }

    [Fact]
    public async Task Connection_refused_is_ConnectionFailed()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there any more
        var cmp = new ScriptedCmpServer();
        using var http = new HttpClient(CmpHttpClientFactory.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        var client = new CmpClient(new HttpCmpTransport(http, new Uri($"http://127.0.0.1:{port}/pkix/")), ResponseCheckTests.MacOptions(cmp));

        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct));

        Assert.Equal(CmpFailureReason.ConnectionFailed, e.Reason);
    }

    [Theory]
    [InlineData("closed mid-body")]
    [InlineData("reset mid-body")]
    [InlineData("truncated DER with a matching Content-Length")]
    public async Task Response_cut_short_ends_with_CmpException(string how)
    {
        var cmp = new ScriptedCmpServer();
        await using var server = Serve(cmp, r => how switch
        {
            "closed mid-body" => r with { ContentLength = r.Body.Length, Body = r.Body[..(r.Body.Length / 2)], ConnectionClose = true },
            "reset mid-body" => r with { ResetAfter = r.Body.Length / 2 },
            _ => r with { Body = r.Body[..(r.Body.Length / 2)] },
        });
        using var http = new HttpClient(CmpHttpClientFactory.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        var sw = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<CmpException>(() => Client(http, server, cmp).InitialEnrollAsync(ResponseCheckTests.Template(), Ct));

        Assert.Contains(e.Reason, new[] { CmpFailureReason.MalformedResponse, CmpFailureReason.ConnectionFailed });
        if (how.StartsWith("truncated", StringComparison.Ordinal))
        {
            Assert.Equal(CmpFailureReason.MalformedResponse, e.Reason);
        }
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
    }

    /// <summary>DER made to hurt a decoder, each within the default 100 KiB response cap.</summary>
    public static TheoryData<string> Bombs() => [.. BombBodies.Keys];

    private static readonly Dictionary<string, Func<byte[]>> BombBodies = new()
    {
        ["20,000 nested definite-length SEQUENCEs"] = () => NestedDefinite(0x30, 20_000),
        ["20,000 nested definite-length [1] EXPLICIT tags"] = () => NestedDefinite(0xA1, 20_000),
        ["25,000 nested indefinite-length SEQUENCEs"] = () => NestedIndefinite(0x30, 25_000),
        ["25,000 nested constructed OCTET STRINGs"] = () => NestedIndefinite(0x24, 25_000),
        ["SEQUENCE claiming 2 GiB"] = () => [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x00],
        ["SEQUENCE claiming 2^64 bytes"] = () => [0x30, 0x88, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x00],
        ["inner element claiming more than its SEQUENCE holds"] = () => [0x30, 0x08, 0x30, 0x84, 0x00, 0x10, 0x00, 0x00, 0x02, 0x01],
        ["length of length 127"] = () => [0x30, 0xFF, .. new byte[127]],
        ["tag number of 10,000 bytes"] = () => [0x3F, .. Enumerable.Repeat((byte)0xFF, 10_000), 0x01, 0x00],
    };

    private static byte[] NestedDefinite(byte tag, int depth)
    {
        // From the inside out: each level is tag, DER length, the level below.
        var content = Array.Empty<byte>();
        for (int i = 0; i < depth; i++)
        {
            var n = content.Length;
            byte[] length = n < 0x80 ? [(byte)n] : n < 0x100 ? [0x81, (byte)n] : n < 0x10000 ? [0x82, (byte)(n >> 8), (byte)n] : [0x83, (byte)(n >> 16), (byte)(n >> 8), (byte)n];
            content = [tag, .. length, .. content];
        }
        return content;
    }

    private static byte[] NestedIndefinite(byte tag, int depth) =>
        [.. Enumerable.Repeat(new[] { tag, (byte)0x80 }, depth).SelectMany(x => x), .. new byte[2 * depth]];

    [Theory]
    [MemberData(nameof(Bombs))]
    public async Task DER_bomb_body_ends_with_MalformedResponse_in_bounded_time_and_memory(string bomb)
    {
        var body = BombBodies[bomb]();
        Assert.InRange(body.Length, 1, 100 * 1024);
        var cmp = new ScriptedCmpServer();
        await using var server = Serve(cmp, r => r with { Body = body });
        using var http = new HttpClient(CmpHttpClientFactory.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        var client = Client(http, server, cmp);

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct));
        sw.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.Equal(CmpFailureReason.MalformedResponse, e.Reason);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed}");
        // The whole transaction (key generation, request, HTTP, decoding) in less than 64 MB.
        Assert.True(allocated < 64L * 1024 * 1024, $"allocated {allocated:N0} bytes");
    }
}
