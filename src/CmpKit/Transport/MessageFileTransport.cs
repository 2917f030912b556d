namespace CmpKit.Transport;

/// <summary>
/// CMP messages in files, as OpenSSL's CLI handles them (<c>-reqout</c>, <c>-rspout</c>, <c>-reqin</c>,
/// <c>-rspin</c>): each list is used in transaction order, one file per message, DER-encoded.
/// </summary>
public sealed class CmpMessageFiles
{
    /// <summary>Where to save the requests the client builds, one file per request (-reqout). As in OpenSSL, requests beyond the list are not saved.</summary>
    public IReadOnlyList<string> RequestsOut { get; init; } = [];

    /// <summary>Where to save the responses received, one file per response (-rspout). As in OpenSSL, responses beyond the list are not saved.</summary>
    public IReadOnlyList<string> ResponsesOut { get; init; } = [];

    /// <summary>
    /// Requests to send instead of those the client builds (-reqin), used only while no response files
    /// are given. When the files run out, the client's own requests are sent.
    /// </summary>
    public IReadOnlyList<string> RequestsIn { get; init; } = [];

    /// <summary>
    /// Responses to use instead of asking a server (-rspin). When the files run out, further requests go
    /// to the inner transport if there is one, else the exchange fails.
    /// </summary>
    public IReadOnlyList<string> ResponsesIn { get; init; } = [];

    /// <summary>
    /// Rewrites each request read from <see cref="RequestsIn"/> before it is sent, e.g.
    /// <see cref="Client.CmpClient.RenewTransactionId"/> for OpenSSL's -reqin_new_tid; null sends them as read.
    /// </summary>
    public Func<ReadOnlyMemory<byte>, byte[]>? RewriteRequestIn { get; init; }

    /// <summary>Whether no list is given.</summary>
    public bool IsEmpty => RequestsOut.Count == 0 && ResponsesOut.Count == 0 && RequestsIn.Count == 0 && ResponsesIn.Count == 0;
}

/// <summary>
/// A transport decorator that saves requests and responses to files and takes requests or responses
/// from files (OpenSSL's -reqout, -rspout, -reqin, -rspin; see <see cref="CmpMessageFiles"/>).
/// In each exchange: the request the client built is saved (-reqout); a request from a file replaces
/// it (-reqin, only without -rspin); the response comes from a file (-rspin) or from the inner
/// transport; the response is saved (-rspout). A response read from a file, or one answering a request
/// read from a file, is reported as <see cref="CmpTransportResponse.AnswersOtherRequest"/>: the client
/// then adopts its transactionID and recipNonce instead of checking them (as OpenSSL does, since a
/// replay cannot match fresh nonces). Exchanges are counted per instance: use one instance per
/// transaction (or per run of a command), not one shared by concurrent transactions.
/// </summary>
public sealed class MessageFileTransport : ICmpReplayTransport
{
    private readonly ICmpTransport? _inner;
    private readonly CmpMessageFiles _files;
    private readonly Lock _lock = new();
    private int _requestsOut, _responsesOut, _requestsIn, _responsesIn;

    /// <summary>Creates the decorator.</summary>
    /// <param name="inner">Where requests go when no response file is left; null when there is no server (only -rspin).</param>
    /// <param name="files">The file lists.</param>
    public MessageFileTransport(ICmpTransport? inner, CmpMessageFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (inner is null && files.ResponsesIn.Count == 0)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "without a server, response files (-rspin) are needed");
        }
        _inner = inner;
        _files = files;
    }

    /// <inheritdoc />
    public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, CmpExchangeInfo info, CancellationToken cancellationToken) =>
        (await ExchangeMessagesAsync(request, info, cancellationToken).ConfigureAwait(false)).Message;

    /// <inheritdoc />
    public async Task<CmpTransportResponse> ExchangeMessagesAsync(ReadOnlyMemory<byte> request, CmpExchangeInfo info, CancellationToken cancellationToken)
    {
        string? requestOut, requestIn, responseIn;
        lock (_lock)
        {
            // OpenSSL's list pointer simply runs out: later messages are not saved (e.g. -rspout ip.der without pkiConf).
            requestOut = Next(_files.RequestsOut, ref _requestsOut, "-reqout", "saving", mandatory: false);
            responseIn = Next(_files.ResponsesIn, ref _responsesIn, "-rspin", "reading", mandatory: _inner is null);
            requestIn = responseIn is null && _files.ResponsesIn.Count == 0 ? Next(_files.RequestsIn, ref _requestsIn, "-reqin", "reading", mandatory: false) : null;
        }
        if (requestOut is not null)
        {
            await WriteAsync(requestOut, request, "request", "-reqout", cancellationToken).ConfigureAwait(false);
        }
        byte[] response;
        bool other = false;
        if (responseIn is not null)
        {
            response = await ReadAsync(responseIn, "response", "-rspin", cancellationToken).ConfigureAwait(false);
            other = true;
        }
        else
        {
            var actual = request;
            if (requestIn is not null)
            {
                actual = await ReadAsync(requestIn, "request", "-reqin", cancellationToken).ConfigureAwait(false);
                if (_files.RewriteRequestIn is { } rewrite)
                {
                    actual = rewrite(actual);
                }
                other = true;
            }
            response = await _inner!.ExchangeAsync(actual, info, cancellationToken).ConfigureAwait(false);
        }
        string? responseOut;
        lock (_lock)
        {
            responseOut = Next(_files.ResponsesOut, ref _responsesOut, "-rspout", "saving", mandatory: false);
        }
        if (responseOut is not null)
        {
            await WriteAsync(responseOut, response, "response", "-rspout", cancellationToken).ConfigureAwait(false);
        }
        return new CmpTransportResponse(response, other);
    }

    // The next file of a list; null when the list is empty (or, when not mandatory, used up).
    private static string? Next(IReadOnlyList<string> list, ref int index, string option, string verb, bool mandatory)
    {
        if (list.Count == 0)
        {
            return null;
        }
        if (index >= list.Count)
        {
            return mandatory
                ? throw new CmpException(CmpFailureReason.InvalidOptions, $"{option}: not enough file names for {verb} the messages of the transaction ({list.Count} given)")
                : null;
        }
        return list[index++];
    }

    private static async Task WriteAsync(string path, ReadOnlyMemory<byte> message, string what, string option, CancellationToken ct)
    {
        try
        {
            await File.WriteAllBytesAsync(path, message, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, $"{option}: cannot save the {what} to '{path}': {e.Message}", innerException: e);
        }
    }

    private static async Task<byte[]> ReadAsync(string path, string what, string option, CancellationToken ct)
    {
        try
        {
            return await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, $"{option}: cannot read the {what} from '{path}': {e.Message}", innerException: e);
        }
    }
}
