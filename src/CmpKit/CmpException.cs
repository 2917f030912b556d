namespace CmpKit;

/// <summary>
/// The one exception type CmpKit throws for a failed transaction: bad input, a failed transfer,
/// a response that fails a check, or a server that said no.
/// </summary>
public sealed class CmpException : Exception
{
    /// <summary>Creates an exception.</summary>
    /// <param name="reason">Why the transaction failed.</param>
    /// <param name="message">A one-line description (never containing secrets).</param>
    /// <param name="serverStatus">The server's status, when the server said no.</param>
    /// <param name="transactionId">The transaction id, when a transaction had started.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public CmpException(CmpFailureReason reason, string message, CmpStatusInfo? serverStatus = null,
        ReadOnlyMemory<byte>? transactionId = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
        ServerStatus = serverStatus;
        TransactionId = transactionId;
    }

    /// <summary>Why the transaction failed.</summary>
    public CmpFailureReason Reason { get; }

    /// <summary>The server's PKIStatusInfo when the server rejected the request or sent an error message.</summary>
    public CmpStatusInfo? ServerStatus { get; }

    /// <summary>The transactionID of the failed transaction, if one had started.</summary>
    public ReadOnlyMemory<byte>? TransactionId { get; internal set; }
}
