namespace CmpKit.Transport;

/// <summary>What the client tells the transport about one request/response exchange.</summary>
/// <param name="ExpectsMoreMessages">Whether the transaction continues after this response (keep the connection open).</param>
public readonly record struct CmpExchangeInfo(bool ExpectsMoreMessages);

/// <summary>
/// Carries one DER-encoded CMP request to the server and returns the DER-encoded response
/// (RFC 9811 for HTTP). Implementations honour the cancellation token, which carries the
/// client's per-message and total timeouts.
/// </summary>
public interface ICmpTransport
{
    /// <summary>Sends <paramref name="request"/> and returns the response bytes.</summary>
    /// <param name="request">The DER-encoded PKIMessage.</param>
    /// <param name="info">Information about the exchange (keep-alive).</param>
    /// <param name="cancellationToken">Cancels the exchange (timeouts arrive this way too).</param>
    /// <returns>The DER-encoded response PKIMessage.</returns>
    /// <exception cref="CmpException">Transfer failures (C1, C2, C4).</exception>
    Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, CmpExchangeInfo info, CancellationToken cancellationToken);
}
