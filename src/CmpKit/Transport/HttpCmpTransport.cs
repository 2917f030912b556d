using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace CmpKit.Transport;

/// <summary>Keep-alive behaviour (OpenSSL's -keep_alive).</summary>
public enum CmpKeepAlive
{
    /// <summary>Close the connection after each response.</summary>
    Never = 0,
    /// <summary>Ask to keep the connection open while the transaction expects more messages (default).</summary>
    IfPossible = 1,
    /// <summary>Require the connection to stay open while more messages are expected (C4).</summary>
    Required = 2,
}

/// <summary>
/// CMP over HTTP (RFC 9811): POST with Content-Type application/pkixcmp, response checked for
/// status 200, content type and size (checks C1, C2, C4).
/// </summary>
public sealed class HttpCmpTransport : ICmpTransport
{
    /// <summary>The media type of CMP messages (RFC 9811, section 3.4).</summary>
    public const string MediaType = "application/pkixcmp";

    private readonly HttpClient _http;
    private readonly Uri _uri;
    // Whether the last response came on a connection the server closes after it (see ExchangeAsync).
    private volatile bool _serverClosesConnections;

    /// <summary>Creates the transport.</summary>
    /// <param name="httpClient">The client to send with; not owned (not disposed) by the transport.</param>
    /// <param name="serverUri">The full URI of the CMP endpoint, e.g. http://ca.example:80/pkix/.</param>
    public HttpCmpTransport(HttpClient httpClient, Uri serverUri)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(serverUri);
        if (!serverUri.IsAbsoluteUri || (serverUri.Scheme != Uri.UriSchemeHttp && serverUri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, $"server URI '{serverUri}' is not an absolute http or https URI");
        }
        _http = httpClient;
        _uri = serverUri;
    }

    /// <summary>The endpoint requests go to.</summary>
    public Uri ServerUri => _uri;

    /// <summary>C2: the largest response accepted, in bytes (OpenSSL's default is 100 KiB).</summary>
    public int MaxResponseSize { get; init; } = 100 * 1024;

    /// <summary>C4: keep-alive behaviour.</summary>
    public CmpKeepAlive KeepAlive { get; init; } = CmpKeepAlive.IfPossible;

    /// <inheritdoc />
    /// <remarks>
    /// A connection the server announced to close (our request said <c>Connection: close</c>, its response
    /// said so, or it answered HTTP/1.0 without keep-alive) may still be in HttpClient's pool when the next
    /// request goes out, before the server's FIN arrives (HttpClient reuses it regardless): the request then
    /// meets a reset or an empty answer from a socket the server had already closed, so it never reached
    /// the server. Exactly that failure is retried once, on a new connection.
    /// </remarks>
    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, CmpExchangeInfo info, CancellationToken cancellationToken)
    {
        bool keepAlive = KeepAlive != CmpKeepAlive.Never && info.ExpectsMoreMessages;
        HttpResponseMessage response;
        for (int attempt = 1; ; attempt++)
        {
            bool mayBeStale = _serverClosesConnections;
            using var message = CreateMessage(request, keepAlive);
            try
            {
                response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (HttpRequestException e) when (attempt == 1 && mayBeStale && IsClosedConnection(e))
            {
                // The request went out on a connection the server had closed: send it again.
            }
            catch (HttpRequestException e)
            {
                throw new CmpException(CmpFailureReason.ConnectionFailed, $"cannot exchange messages with {Describe()}: {Cause(e)}", innerException: e);
            }
        }
        _serverClosesConnections = !keepAlive || response.Headers.ConnectionClose == true
            || (response.Version < HttpVersion.Version11 && !response.Headers.Connection.Contains("keep-alive", StringComparer.OrdinalIgnoreCase));
        using (response)
        {
            // C1: redirects are not followed (CmpHttpClientFactory's handler never
            // follows them). An HttpClient that did follow one delivers the answer of another URI: refused.
            if (response.RequestMessage?.RequestUri is { } answered && answered != _uri)
            {
                throw new CmpException(CmpFailureReason.HttpError,
                    $"{Describe()} redirected the request to {answered.GetLeftPart(UriPartial.Path)}; CMP requests are not redirected (use an HttpClient that does not follow redirects)");
            }
            HttpResponseChecks.Status((int)response.StatusCode, response.ReasonPhrase, Describe());
            HttpResponseChecks.ContentType(response.Content.Headers.ContentType?.MediaType, Describe());
            HttpResponseChecks.KeepAlive(KeepAlive, info, response.Headers.ConnectionClose == true, Describe());
            return await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    private HttpRequestMessage CreateMessage(ReadOnlyMemory<byte> request, bool keepAlive)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, _uri);
        // The whole request is one buffer with a known length, so the handler writes header and body together.
        var content = new ReadOnlyMemoryContent(request);
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaType);
        content.Headers.ContentLength = request.Length;
        message.Content = content;
        message.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        message.Headers.ConnectionClose = !keepAlive;
        return message;
    }

    // A reset, or the end of the stream before any response byte: what a request sent on a socket that the
    // server had already closed meets.
    private static bool IsClosedConnection(HttpRequestException e)
    {
        if (e.HttpRequestError == HttpRequestError.ResponseEnded)
        {
            return true;
        }
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset })
            {
                return true;
            }
        }
        return false;
    }

    // C2: never reads more than MaxResponseSize + 1 bytes.
    private async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var declared = response.Content.Headers.ContentLength;
        HttpResponseChecks.DeclaredLength(declared, MaxResponseSize, Describe());
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[declared is long d ? (int)d : Math.Min(MaxResponseSize + 1, 16 * 1024)];
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (declared is not null || buffer.Length > MaxResponseSize)
                    {
                        // A body longer than declared, or longer than the cap.
                        if (declared is not null && total == declared)
                        {
                            break;
                        }
                        throw HttpResponseChecks.TooLarge(Describe(), MaxResponseSize);
                    }
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxResponseSize + 1));
                }
                int n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                total += n;
            }
            if (declared is long expected && total != expected)
            {
                throw new CmpException(CmpFailureReason.MalformedResponse,
                    $"{Describe()} sent {total} of the {expected} bytes it announced");
            }
            return total == buffer.Length ? buffer : buffer.AsSpan(0, total).ToArray();
        }
        catch (HttpRequestException e)
        {
            throw new CmpException(CmpFailureReason.ConnectionFailed, $"reading the response from {Describe()} failed: {Cause(e)}", innerException: e);
        }
        catch (IOException e)
        {
            throw new CmpException(CmpFailureReason.ConnectionFailed, $"reading the response from {Describe()} failed: {Cause(e)}", innerException: e);
        }
    }

    // HttpClient's own message ("An error occurred while sending the request.") hides the cause (reset,
    // premature end of the response, ...): name the innermost one too.
    private static string Cause(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }
        return ReferenceEquals(inner, e) ? e.Message : $"{e.Message.TrimEnd('.')}: {inner.Message}";
    }

    private string Describe() => _uri.GetLeftPart(UriPartial.Path);
}
