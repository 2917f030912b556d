namespace CmpKit.Server.Http;

/// <summary>
/// Limits and hooks of the CMP-over-HTTP endpoint (RFC 9811) that <see cref="CmpEndpointRouteBuilderExtensions.MapCmp"/>
/// maps and <see cref="CmpHttpHost"/> hosts. Immutable.
/// </summary>
public sealed class CmpHttpOptions
{
    /// <summary>The largest request body accepted; larger ones get 413 (default 100 KiB, as the client's response limit).</summary>
    public long MaxRequestSize { get; init; } = 100 * 1024;

    /// <summary>
    /// How long a client may take to send its request body; a slower one gets 408 and the connection is
    /// closed (default 30 seconds). <see cref="CmpHttpHost"/> also uses it as Kestrel's header timeout.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Called once per CMP message answered (just before the response is written), e.g. to log one line per exchange.</summary>
    public Action<CmpHttpExchange>? OnExchange { get; init; }
}

/// <summary>One answered CMP request, as reported to <see cref="CmpHttpOptions.OnExchange"/>.</summary>
/// <param name="Remote">The client's address and port, as text (e.g. <c>127.0.0.1:50312</c>).</param>
/// <param name="RequestType">The request's body type name (e.g. <c>ir</c>), or <c>?</c> if it could not be decoded.</param>
/// <param name="ResponseType">The response's body type name (e.g. <c>ip</c>, <c>error</c>).</param>
/// <param name="Status">A short outcome of the response: its first PKIStatus (e.g. <c>accepted</c>) when it has one, else empty.</param>
/// <param name="TransactionId">The transactionID in lower-case hex, or empty.</param>
/// <param name="RequestSize">Bytes received.</param>
/// <param name="ResponseSize">Bytes sent.</param>
/// <param name="Elapsed">Time from the start of the request until the response was ready.</param>
/// <param name="MessageCount">How many messages the <see cref="CmpServer"/> has handled, this one included.</param>
public sealed record CmpHttpExchange(string Remote, string RequestType, string ResponseType, string Status, string TransactionId,
    int RequestSize, int ResponseSize, TimeSpan Elapsed, int MessageCount);
