using System.Diagnostics;
using System.Net.Http.Headers;
using CmpKit.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Server.Http;

/// <summary>
/// Maps a <see cref="CmpServer"/> into an ASP.NET Core application as a CMP-over-HTTP endpoint (RFC 9811).
/// </summary>
public static class CmpEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Answers <c>POST</c> requests with <c>Content-Type: application/pkixcmp</c> on <paramref name="path"/> with
    /// the server's response (200, <c>application/pkixcmp</c>). Other methods get 405 (with <c>Allow: POST</c>),
    /// other content types 415, bodies over <see cref="CmpHttpOptions.MaxRequestSize"/> 413, bodies slower than
    /// <see cref="CmpHttpOptions.RequestTimeout"/> 408. Other paths are not mapped (404 from routing).
    /// </summary>
    /// <param name="endpoints">The application's endpoint route builder.</param>
    /// <param name="path">The path, e.g. <c>/pkix/</c> (a trailing slash is optional for clients).</param>
    /// <param name="server">The CMP engine; it is thread-safe, so concurrent requests are fine.</param>
    /// <param name="options">Limits and hooks; default <see cref="CmpHttpOptions"/>.</param>
    /// <returns>The endpoint's convention builder (for authorization, host filters, ...).</returns>
    public static IEndpointConventionBuilder MapCmp(this IEndpointRouteBuilder endpoints, string path, CmpServer server,
        CmpHttpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(server);
        var handler = new CmpRequestHandler(server, options ?? new CmpHttpOptions());
        return endpoints.Map(path, handler.HandleAsync).WithDisplayName("CMP " + path);
    }
}

/// <summary>One POST in, one CMP response out (RFC 9811, section 3).</summary>
internal sealed class CmpRequestHandler(CmpServer server, CmpHttpOptions options)
{
    public const string MediaType = CmpKit.Transport.HttpCmpTransport.MediaType;

    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var request = context.Request;
        var response = context.Response;
        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "POST";
            return;
        }
        if (!IsPkixCmp(request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        if (request.ContentLength > options.MaxRequestSize)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge).ConfigureAwait(false);
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = options.MaxRequestSize;
        }

        byte[]? body;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
        {
            timeout.CancelAfter(options.RequestTimeout);
            try
            {
                body = await ReadBodyAsync(request.Body, request.ContentLength, options.MaxRequestSize, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                await RefuseAsync(context, StatusCodes.Status408RequestTimeout).ConfigureAwait(false);
                return;
            }
            catch (BadHttpRequestException e)
            {
                // Kestrel's own limits (body size, minimum data rate) or a broken chunked encoding.
                await RefuseAsync(context, e.StatusCode).ConfigureAwait(false);
                return;
            }
            catch (EndOfStreamException)
            {
                // Fewer bytes than Content-Length said (Kestrel normally reports that as a BadHttpRequestException).
                await RefuseAsync(context, StatusCodes.Status400BadRequest).ConfigureAwait(false);
                return;
            }
        }
        if (body is null)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge).ConfigureAwait(false);
            return;
        }

        // The engine never throws for bad input: anything undecodable gets a CMP error message.
        context.RequestAborted.ThrowIfCancellationRequested();
        var answer = server.Handle(body, out var summary);
        // Reported before the response goes out, so that a log line never trails the client's next step.
        if (options.OnExchange is { } report)
        {
            var remote = context.Connection.RemoteIpAddress is { } ip
                ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip) + ":" + context.Connection.RemotePort.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : "?";
            report(new CmpHttpExchange(remote, summary.RequestType, summary.ResponseType, summary.Status, summary.TransactionId, body.Length, answer.Length,
                Stopwatch.GetElapsedTime(started), server.MessageCount));
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MediaType;
        response.ContentLength = answer.Length;
        response.Headers.CacheControl = "no-cache";
        await response.Body.WriteAsync(answer, context.RequestAborted).ConfigureAwait(false);
        await response.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>application/pkixcmp, any case, parameters ignored (RFC 9811, section 3.4).</summary>
    internal static bool IsPkixCmp(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && string.Equals(parsed.MediaType, MediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads at most <paramref name="limit"/> bytes; null when the body is longer. With a Content-Length (at most the
    /// limit, checked before), straight into an array of that size: Kestrel ends the body stream there.
    /// </summary>
    private static async Task<byte[]?> ReadBodyAsync(Stream stream, long? declared, long limit, CancellationToken cancellationToken)
    {
        if (declared is long length && length <= limit)
        {
            var exact = new byte[length];
            await stream.ReadExactlyAsync(exact, cancellationToken).ConfigureAwait(false);
            return exact;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return buffer.ToArray();
            }
            if (buffer.Length + n > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, n);
        }
    }

    /// <summary>An HTTP error without a CMP body; the connection is closed since the rest of the body is not read.</summary>
    private static Task RefuseAsync(HttpContext context, int status)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }
        context.Response.StatusCode = status;
        context.Response.Headers.Connection = "close";
        return Task.CompletedTask;
    }
}
