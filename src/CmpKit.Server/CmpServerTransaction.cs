using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Server;

/// <summary>Where a transaction stands, as the server sees it.</summary>
public enum CmpServerTransactionState
{
    /// <summary>The client was told to wait and is expected to poll.</summary>
    Polling,
    /// <summary>A certificate was sent; a certConf is expected.</summary>
    AwaitingConfirmation,
    /// <summary>The client confirmed the certificate with a positive certConf.</summary>
    Confirmed,
    /// <summary>The certificate was sent with implicit confirmation granted; no certConf expected.</summary>
    ImplicitlyConfirmed,
    /// <summary>The client rejected the certificate with a negative certConf (see <see cref="CmpServerTransaction.ClientStatus"/>).</summary>
    RejectedByClient,
    /// <summary>The server rejected the request (no certificate was sent).</summary>
    RejectedByServer,
    /// <summary>The client ended the transaction with an error message (see <see cref="CmpServerTransaction.ClientStatus"/>).</summary>
    ClientError,
}

/// <summary>A snapshot of one transaction the server has seen (for tests, logs and demos).</summary>
public sealed class CmpServerTransaction
{
    internal CmpServerTransaction(ReadOnlyMemory<byte> transactionId, string requestType, CmpServerTransactionState state,
        Messages.IssuedCertificate? issuedCertificate, CmpStatusInfo? clientStatus, int messageCount)
    {
        TransactionId = transactionId;
        RequestType = requestType;
        State = state;
        _issued = issuedCertificate;
        ClientStatus = clientStatus;
        MessageCount = messageCount;
    }

    /// <summary>The transactionID.</summary>
    public ReadOnlyMemory<byte> TransactionId { get; }

    /// <summary>The body type that started the transaction, as RFC 9810 names it ("ir", "cr", "kur", "p10cr").</summary>
    public string RequestType { get; }

    /// <summary>The current state.</summary>
    public CmpServerTransactionState State { get; }

    private readonly Messages.IssuedCertificate? _issued;

    /// <summary>The certificate sent to the client, if any (parsed when first read).</summary>
    public X509Certificate2? IssuedCertificate => _issued?.Parsed;

    /// <summary>The status the client sent in a certConf or error message, if any.</summary>
    public CmpStatusInfo? ClientStatus { get; }

    /// <summary>How many requests of this transaction the server has handled.</summary>
    public int MessageCount { get; }
}
