namespace CmpKit.Transport;

/// <summary>
/// The response of one exchange, and whether it may answer a request other than the one the client
/// built: a response read from a file (OpenSSL's <c>-rspin</c>) or the answer to a request read from a
/// file (<c>-reqin</c>).
/// </summary>
/// <param name="Message">The DER-encoded response PKIMessage.</param>
/// <param name="AnswersOtherRequest">
/// True when the response does not necessarily answer the request the client built. The client then
/// takes the response's transactionID and recipNonce as the expected ones instead of checking them
/// (C11, C12), as OpenSSL's CLI does for -rspin and -reqin; all other checks (protection, sender,
/// body) still apply.
/// </param>
public readonly record struct CmpTransportResponse(byte[] Message, bool AnswersOtherRequest);

/// <summary>
/// A transport that can replay or substitute messages (message files, <see cref="MessageFileTransport"/>).
/// The client prefers <see cref="ExchangeMessagesAsync"/> over <see cref="ICmpTransport.ExchangeAsync"/>
/// so that it learns which responses do not answer the request it built.
/// </summary>
public interface ICmpReplayTransport : ICmpTransport
{
    /// <summary>Sends <paramref name="request"/> (or a substitute) and returns the response and where it came from.</summary>
    /// <param name="request">The DER-encoded PKIMessage the client built.</param>
    /// <param name="info">Information about the exchange (keep-alive).</param>
    /// <param name="cancellationToken">Cancels the exchange.</param>
    /// <returns>The response and whether it answers another request.</returns>
    /// <exception cref="CmpException">Transfer failures, and files that cannot be read or written (<see cref="CmpFailureReason.InvalidOptions"/>, <see cref="CmpFailureReason.MalformedResponse"/>).</exception>
    Task<CmpTransportResponse> ExchangeMessagesAsync(ReadOnlyMemory<byte> request, CmpExchangeInfo info, CancellationToken cancellationToken);
}
