using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CmpKit.Tests.Support;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 for transport tests: it records each request (headers,
/// body) and answers with whatever the test's handler says, including misbehaviour (wrong status,
/// content type, sizes that lie, never answering, dripping bytes). Bounded: it stops on dispose.
/// </summary>
internal sealed class TinyHttpServer : IAsyncDisposable
{
    public sealed record Request(string RequestLine, IReadOnlyDictionary<string, string> Headers, byte[] Body);

    public sealed record Response
    {
        public int Status { get; init; } = 200;
        public string? ContentType { get; init; } = "application/pkixcmp";
        public byte[] Body { get; init; } = [];
        /// <summary>Overrides the Content-Length header (a lying size); null: the body's length.</summary>
        public long? ContentLength { get; init; }
        public bool Chunked { get; init; }
        public bool ConnectionClose { get; init; }
        /// <summary>Never answer (keep the connection open until disposal).</summary>
        public bool Hang { get; init; }
        /// <summary>Send the body one byte at a time with this delay.</summary>
        public TimeSpan? Drip { get; init; }
        /// <summary>Answer as HTTP/1.0 (no keep-alive unless asked for), as OpenSSL's mock server does.</summary>
        public bool Http10 { get; init; }
        /// <summary>
        /// Ignore the request's Connection: close, keep the connection open after this response, and reset
        /// the next request that arrives on it unanswered: deterministically, what a client that reuses a
        /// connection before the server's FIN arrives meets.
        /// </summary>
        public bool ResetNextRequest { get; init; }
        /// <summary>Send the headers and this many bytes of the body, then reset the connection (TCP RST).</summary>
        public int? ResetAfter { get; init; }
        /// <summary>Further header lines, e.g. Location for a redirect.</summary>
        public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
        /// <summary>Send the body in chunks of at most 100 bytes (the first size line with an extension) and a trailer field.</summary>
        public bool ChunkedBody { get; init; }
        /// <summary>Neither Content-Length nor chunked: the body ends when the server closes the connection.</summary>
        public bool UntilClose { get; init; }
        /// <summary>Send an interim "100 Continue" response before this one.</summary>
        public bool Interim100 { get; init; }
        /// <summary>Close the connection after this response without announcing it (as an idle timeout does).</summary>
        public bool CloseSilently { get; init; }
        /// <summary>Send these bytes instead of the status line and header fields (the blank line after them included).</summary>
        public string? RawHead { get; init; }
    }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<Request, Task<Response>> _handler;
    private readonly Task _accept;

    public TinyHttpServer(Func<Request, Task<Response>> handler)
    {
        _handler = handler;
        _listener.Start();
        _accept = AcceptLoopAsync();
    }

    public Uri Uri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/pkix/");

    public List<Request> Requests { get; } = [];

    public int Connections;

    /// <summary>Connections the server has closed.</summary>
    public int Closed;

    private async Task AcceptLoopAsync()
    {
        var tasks = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref Connections);
                tasks.Add(ServeAsync(client));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            await ServeConnectionAsync(client);
        }
        finally
        {
            client.Dispose();
            Interlocked.Increment(ref Closed);
        }
    }

    private async Task ServeConnectionAsync(TcpClient client)
    {
        var stream = client.GetStream();
        bool resetThisOne = false;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var request = await ReadRequestAsync(stream, _stop.Token);
                if (request is null)
                {
                    return;
                }
                lock (Requests)
                {
                    Requests.Add(request);
                }
                if (resetThisOne)
                {
                    client.Client.LingerState = new LingerOption(true, 0);
                    return; // disposing with linger 0 sends RST
                }
                var response = await _handler(request);
                if (response.Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
                await WriteResponseAsync(stream, response, _stop.Token);
                if (response.ResetAfter is not null)
                {
                    client.Client.LingerState = new LingerOption(true, 0); // close = RST
                    return;
                }
                if (response.ResetNextRequest)
                {
                    resetThisOne = true;
                    continue;
                }
                if (response.ConnectionClose || response.UntilClose || response.CloseSilently || request.Headers.TryGetValue("connection", out var c) && c.Equals("close", StringComparison.OrdinalIgnoreCase))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
        }
    }

    private static async Task<Request?> ReadRequestAsync(NetworkStream stream, CancellationToken ct)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, ct) == 0)
            {
                return null;
            }
            head.Add(one[0]);
            if (head.Count > 64 * 1024)
            {
                return null;
            }
        }
        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var i = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..i].Trim()] = line[(i + 1)..].Trim();
        }
        var length = headers.TryGetValue("content-length", out var l) ? int.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, ct);
        return new Request(lines[0], headers, body);
    }

    private static async Task WriteResponseAsync(NetworkStream stream, Response r, CancellationToken ct)
    {
        if (r.Interim100)
        {
            await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), ct);
        }
        if (r.RawHead is not null)
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(r.RawHead), ct);
            await stream.WriteAsync(r.Body, ct);
            return;
        }
        var sb = new StringBuilder();
        sb.Append(r.Http10 ? "HTTP/1.0 " : "HTTP/1.1 ").Append(r.Status).Append(r.Status switch { 200 => " OK", >= 300 and < 400 => " Redirect", _ => " Error" }).Append("\r\n");
        if (r.ContentType is not null)
        {
            sb.Append("Content-Type: ").Append(r.ContentType).Append("\r\n");
        }
        if (r.Chunked || r.ChunkedBody)
        {
            sb.Append("Transfer-Encoding: chunked\r\n");
        }
        else if (!r.UntilClose)
        {
            sb.Append("Content-Length: ").Append(r.ContentLength ?? r.Body.Length).Append("\r\n");
        }
        if (r.ConnectionClose)
        {
            sb.Append("Connection: close\r\n");
        }
        foreach (var (name, value) in r.Headers)
        {
            sb.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        sb.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()), ct);
        if (r.Chunked)
        {
            // One chunk after another, without end: the client must stop reading at its cap.
            var chunk = new byte[64 * 1024];
            for (int i = 0; i < 64; i++)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{chunk.Length:X}\r\n"), ct);
                await stream.WriteAsync(chunk, ct);
                await stream.WriteAsync("\r\n"u8.ToArray(), ct);
            }
            return;
        }
        if (r.ChunkedBody)
        {
            for (int at = 0; at < r.Body.Length; at += 100)
            {
                var n = Math.Min(100, r.Body.Length - at);
                await stream.WriteAsync(Encoding.ASCII.GetBytes(at == 0 ? $"{n:x};name=value\r\n" : $"{n:X}\r\n"), ct);
                await stream.WriteAsync(r.Body.AsMemory(at, n), ct);
                await stream.WriteAsync("\r\n"u8.ToArray(), ct);
            }
            await stream.WriteAsync("0\r\nX-Trailer: yes\r\n\r\n"u8.ToArray(), ct);
            return;
        }
        if (r.ResetAfter is int partial)
        {
            await stream.WriteAsync(r.Body.AsMemory(0, Math.Min(partial, r.Body.Length)), ct);
            await stream.FlushAsync(ct);
            return;
        }
        if (r.Drip is { } drip)
        {
            foreach (var b in r.Body)
            {
                await stream.WriteAsync(new[] { b }, ct);
                await Task.Delay(drip, ct);
            }
            return;
        }
        await stream.WriteAsync(r.Body, ct);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accept.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
        _stop.Dispose();
    }
}
