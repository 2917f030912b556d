using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CmpKit.Transport;

/// <summary>
/// CMP over plain HTTP/1.1 (RFC 9811) on one socket, with blocking calls on the caller's thread: the same
/// checks as <see cref="HttpCmpTransport"/> (C1, C2, C4; C3 through the cancellation token, which closes
/// the socket), for the CLI, which runs one transaction at a time. HttpClient hands every connection and
/// every socket completion to thread-pool threads; for one transaction at a time that is about 20 context
/// switches per enrollment against 2 here (docs/performance.md). No TLS and no proxy: the CLI uses
/// <see cref="HttpCmpTransport"/> for those. Not thread-safe: one exchange at a time.
/// </summary>
internal sealed class DirectHttpCmpTransport : ICmpTransport, IDisposable
{
    // Status line and headers of a response: more is refused.
    internal const int MaxHeaderBytes = 16 * 1024;

    private readonly Uri _uri;
    private readonly byte[] _requestHead; // everything up to Connection:, fixed per transport
    private Socket? _socket; // a connection kept alive by the last response
    private readonly byte[] _buffer = new byte[MaxHeaderBytes];
    private int _start, _end; // unread bytes in _buffer

    /// <summary>Creates the transport for an http:// URI.</summary>
    public DirectHttpCmpTransport(Uri serverUri)
    {
        ArgumentNullException.ThrowIfNull(serverUri);
        if (!serverUri.IsAbsoluteUri || serverUri.Scheme != Uri.UriSchemeHttp)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, $"server URI '{serverUri}' is not an absolute http URI");
        }
        _uri = serverUri;
        // Host: the IDNA form of a name; an IPv6 address in brackets, without a zone.
        var host = serverUri.HostNameType == UriHostNameType.IPv6 ? serverUri.Host : serverUri.IdnHost;
        var head = new StringBuilder()
            .Append("POST ").Append(serverUri.PathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(serverUri.IsDefaultPort ? host : host + ":" + serverUri.Port.ToString(CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Content-Type: ").Append(HttpCmpTransport.MediaType).Append("\r\n")
            .Append("Cache-Control: no-cache\r\n");
        _requestHead = Encoding.ASCII.GetBytes(head.ToString());
    }

    /// <summary>The request line and the header fields every request starts with (for tests).</summary>
    internal string RequestHead => Encoding.ASCII.GetString(_requestHead);

    /// <summary>C2: the largest response body accepted, in bytes.</summary>
    public int MaxResponseSize { get; init; } = 100 * 1024;

    /// <summary>C4: keep-alive behaviour.</summary>
    public CmpKeepAlive KeepAlive { get; init; } = CmpKeepAlive.IfPossible;

    /// <inheritdoc />
    public Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, CmpExchangeInfo info, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<byte[]>(cancellationToken);
        }
        try
        {
            return Task.FromResult(Exchange(request.Span, info, cancellationToken));
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested)
        {
            // The token closed the socket under a blocking call: whatever that call reported, it was cancelled.
            Close();
            return e is OperationCanceledException ? Task.FromException<byte[]>(e) : Task.FromCanceled<byte[]>(cancellationToken);
        }
        catch (Exception e)
        {
            Close();
            return Task.FromException<byte[]>(e is SocketException or IOException or ObjectDisposedException
                ? new CmpException(CmpFailureReason.ConnectionFailed, $"cannot exchange messages with {Describe()}: {e.Message}", innerException: e)
                : e);
        }
    }

    /// <summary>Closes a kept-alive connection.</summary>
    public void Dispose() => Close();

    private byte[] Exchange(ReadOnlySpan<byte> request, CmpExchangeInfo info, CancellationToken cancellationToken)
    {
        bool keepAlive = KeepAlive != CmpKeepAlive.Never && info.ExpectsMoreMessages;
        var message = Compose(request, keepAlive);
        // A connection kept from the last exchange that has become readable since was closed by the server
        // (or carries bytes nobody asked for): not used again. A request is never sent twice: one that met a
        // closing connection may still have reached the server.
        if (_socket is not null && (_start != _end || _socket.Poll(0, SelectMode.SelectRead)))
        {
            Close();
        }
        var socket = _socket ??= Connect(cancellationToken);
        using var registration = cancellationToken.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket);
        Send(socket, message);
        if (!ReadHead(socket, out var head))
        {
            throw new CmpException(CmpFailureReason.ConnectionFailed,
                $"cannot exchange messages with {Describe()}: the server closed the connection without a response");
        }
        HttpResponseChecks.KeepAlive(KeepAlive, info, head.Close, Describe());
        var body = ReadBody(socket, head);
        if (!keepAlive || head.Close)
        {
            Close();
        }
        return body;
    }

    private byte[] Compose(ReadOnlySpan<byte> request, bool keepAlive)
    {
        var tail = Encoding.ASCII.GetBytes(
            "Content-Length: " + request.Length.ToString(CultureInfo.InvariantCulture) + "\r\nConnection: " + (keepAlive ? "keep-alive" : "close") + "\r\n\r\n");
        var message = new byte[_requestHead.Length + tail.Length + request.Length];
        _requestHead.CopyTo(message, 0);
        tail.CopyTo(message, _requestHead.Length);
        request.CopyTo(message.AsSpan(_requestHead.Length + tail.Length));
        return message;
    }

    private Socket Connect(CancellationToken cancellationToken)
    {
        _start = _end = 0;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(_uri.IdnHost, out var ip) ? [ip] : Dns.GetHostAddresses(_uri.IdnHost);
        }
        catch (SocketException e)
        {
            throw new CmpException(CmpFailureReason.ConnectionFailed, $"cannot exchange messages with {Describe()}: {e.Message}", innerException: e);
        }
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var registration = cancellationToken.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket);
            try
            {
                socket.Connect(address, _uri.Port);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch (ObjectDisposedException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw;
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        throw new CmpException(CmpFailureReason.ConnectionFailed,
            $"cannot exchange messages with {Describe()}: {last?.Message ?? "the host name resolved to no address"}", innerException: last);
    }

    private static void Send(Socket socket, byte[] message)
    {
        int sent = 0;
        while (sent < message.Length)
        {
            sent += socket.Send(message, sent, message.Length - sent, SocketFlags.None);
        }
    }

    private readonly record struct Head(int Status, string Reason, string? ContentType, long? ContentLength, bool Chunked, bool Close);

    // Reads a response's status line and headers, skipping 1xx responses. False when the connection ended
    // before the first byte of a response.
    private bool ReadHead(Socket socket, out Head head)
    {
        while (true)
        {
            int headerEnd;
            int scanned = 0;
            while ((headerEnd = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf("\r\n\r\n"u8)) < 0)
            {
                scanned = Math.Max(0, _end - _start - 3);
                if (_end - _start >= MaxHeaderBytes)
                {
                    throw Malformed($"its response header is longer than {MaxHeaderBytes} bytes");
                }
                if (Fill(socket) == 0)
                {
                    if (_end == _start)
                    {
                        head = default;
                        return false;
                    }
                    throw Malformed("the connection ended within the response header");
                }
            }
            headerEnd += _start + scanned;
            head = ParseHead(_buffer.AsSpan(_start, headerEnd - _start));
            _start = headerEnd + 4;
            if (head.Status is >= 100 and < 200)
            {
                continue; // 100 Continue and the like: the response follows
            }
            HttpResponseChecks.Status(head.Status, head.Reason, Describe());
            HttpResponseChecks.ContentType(head.ContentType, Describe());
            return true;
        }
    }

    private Head ParseHead(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var lines = text.Split("\r\n");
        var status = lines[0];
        // "HTTP/1.1 200 OK"
        if (!status.StartsWith("HTTP/1.", StringComparison.Ordinal) || status.Length < 12 || status[8] != ' '
            || !int.TryParse(status.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int code)
            || (status.Length > 12 && status[12] != ' '))
        {
            throw Malformed($"its response does not start with an HTTP/1.x status line ('{Printable(status)}')");
        }
        bool http10 = status[7] == '0';
        string? contentType = null;
        long? length = null;
        bool chunked = false;
        bool? keepAlive = null;
        for (int i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line[0] is ' ' or '\t' || line.AsSpan(0, colon).ContainsAny(" \t"))
            {
                throw Malformed($"its response has a malformed header line ('{Printable(line)}')");
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                int semicolon = value.IndexOf(';', StringComparison.Ordinal);
                contentType = (semicolon < 0 ? value : value[..semicolon]).Trim(' ', '\t');
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || (length is long earlier && earlier != n))
                {
                    throw Malformed($"its response has an invalid Content-Length ('{Printable(value)}')");
                }
                length = n;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                if (!value.Equals("chunked", StringComparison.OrdinalIgnoreCase))
                {
                    throw Malformed($"its response uses the transfer coding '{Printable(value)}', which is not supported");
                }
                chunked = true;
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var token in value.Split(','))
                {
                    var t = token.Trim(' ', '\t');
                    if (t.Equals("close", StringComparison.OrdinalIgnoreCase))
                    {
                        keepAlive = false;
                    }
                    else if (t.Equals("keep-alive", StringComparison.OrdinalIgnoreCase))
                    {
                        keepAlive ??= true;
                    }
                }
            }
        }
        bool close = keepAlive == false || (http10 && keepAlive != true) || (!chunked && length is null);
        return new Head(code, status.Length > 13 ? status[13..] : "", contentType, chunked ? null : length, chunked, close);
    }

    // C2: never reads more than MaxResponseSize + 1 body bytes.
    private byte[] ReadBody(Socket socket, Head head)
    {
        if (head.ContentLength is long declared)
        {
            HttpResponseChecks.DeclaredLength(declared, MaxResponseSize, Describe());
            var body = new byte[declared];
            int have = 0;
            while (have < body.Length)
            {
                if (_start == _end && Fill(socket) == 0)
                {
                    throw new CmpException(CmpFailureReason.MalformedResponse, $"{Describe()} sent {have} of the {declared} bytes it announced");
                }
                have += Take(body.AsSpan(have));
            }
            return body;
        }
        var writer = new ArrayBufferWriter<byte>(4096);
        if (!head.Chunked)
        {
            // The body ends with the connection.
            while (_start < _end || Fill(socket) > 0)
            {
                Append(writer, _end - _start);
            }
            return writer.WrittenSpan.ToArray();
        }
        while (true)
        {
            var line = ReadLine(socket, "chunk size");
            int semicolon = line.IndexOf(';', StringComparison.Ordinal);
            var size = (semicolon < 0 ? line : line[..semicolon]).Trim(' ', '\t');
            if (size.Length is 0 or > 8 || !int.TryParse(size, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int n) || n < 0)
            {
                throw Malformed($"its chunked response has an invalid chunk size ('{Printable(line)}')");
            }
            if (n == 0)
            {
                // Trailer fields up to the empty line.
                while (ReadLine(socket, "trailer").Length != 0)
                {
                }
                return writer.WrittenSpan.ToArray();
            }
            if ((long)writer.WrittenCount + n > MaxResponseSize)
            {
                throw HttpResponseChecks.TooLarge(Describe(), MaxResponseSize);
            }
            while (n > 0)
            {
                if (_start == _end && Fill(socket) == 0)
                {
                    throw Malformed("the connection ended within a chunk");
                }
                n -= Append(writer, n);
            }
            if (ReadLine(socket, "chunk end").Length != 0)
            {
                throw Malformed("a chunk of its response does not end where its size says");
            }
        }
    }

    // Moves up to max buffered bytes to writer (checking C2); returns how many.
    private int Append(ArrayBufferWriter<byte> writer, int max)
    {
        int n = Math.Min(max, _end - _start);
        if ((long)writer.WrittenCount + n > MaxResponseSize)
        {
            throw HttpResponseChecks.TooLarge(Describe(), MaxResponseSize);
        }
        writer.Write(_buffer.AsSpan(_start, n));
        _start += n;
        return n;
    }

    private int Take(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        return n;
    }

    private string ReadLine(Socket socket, string what)
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
        {
            if (_end - _start > 1024)
            {
                throw Malformed($"its chunked response has a {what} line longer than 1024 bytes");
            }
            if (Fill(socket) == 0)
            {
                throw Malformed($"the connection ended within a {what} line");
            }
        }
        var line = Encoding.Latin1.GetString(_buffer, _start, end);
        _start += end + 2;
        return line;
    }

    // Reads more bytes from the socket into the buffer (moving unread bytes to its start); 0 at the end of the stream.
    private int Fill(Socket socket)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            throw Malformed($"its response header is longer than {MaxHeaderBytes} bytes");
        }
        int n = socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
        _end += n;
        return n;
    }

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
        _start = _end = 0;
    }

    private CmpException Malformed(string what) =>
        new(CmpFailureReason.ConnectionFailed, $"{Describe()} broke the HTTP protocol: {what}");

    private static string Printable(string s)
    {
        var cut = s.Length > 60 ? s[..60] + "..." : s;
        return string.Create(cut.Length, cut, static (span, v) =>
        {
            for (int i = 0; i < v.Length; i++)
            {
                span[i] = v[i] is >= ' ' and < (char)127 ? v[i] : '?';
            }
        });
    }

    private string Describe() => _uri.GetLeftPart(UriPartial.Path);
}
