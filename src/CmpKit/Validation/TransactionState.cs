using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Validation;

/// <summary>What one transaction remembers between messages: ids, nonces and the validated sender.</summary>
internal sealed class TransactionState
{
    public TransactionState(byte[]? transactionId = null)
    {
        TransactionId = transactionId ?? Messages.PublicRandom.GetBytes(16);
    }

    /// <summary>Constant for the whole transaction (RFC 9810, section 5.1.1).</summary>
    public byte[] TransactionId { get; private set; }

    /// <summary>The senderNonce of the request last sent: the next response's recipNonce must equal it (C12).</summary>
    public byte[]? LastSenderNonce { get; set; }

    /// <summary>The senderNonce of the request that started polling: the final response may answer it (C12).</summary>
    public byte[]? PollingStartNonce { get; set; }

    /// <summary>The senderNonce of the last response: the next request's recipNonce.</summary>
    public byte[]? RecipNonce { get; set; }

    /// <summary>C17: the sender certificate validated earlier in this transaction.</summary>
    public X509Certificate2? ValidatedSender { get; set; }

    /// <summary>C7: every certificate received in extraCerts.</summary>
    public List<X509Certificate2> ReceivedExtraCerts { get; } = [];

    /// <summary>Whether the last response was MAC-protected (C13).</summary>
    public bool LastResponseMacProtected { get; set; }

    /// <summary>
    /// For a response that answers another request than the one built (message files, OpenSSL's -rspin
    /// and -reqin): its transactionID and recipNonce become the expected ones, so C11 and C12 pass.
    /// </summary>
    public void AdoptIdentifiers(byte[]? transactionId, byte[]? recipNonce)
    {
        if (transactionId is not null)
        {
            TransactionId = transactionId;
        }
        LastSenderNonce = recipNonce;
        PollingStartNonce = null;
    }

    /// <summary>A fresh senderNonce for the next request; remembered for C12.</summary>
    public byte[] NextSenderNonce()
    {
        LastSenderNonce = Messages.PublicRandom.GetBytes(16);
        return LastSenderNonce;
    }

    public void AddExtraCerts(IEnumerable<X509Certificate2> certs)
    {
        foreach (var c in certs)
        {
            if (!ReceivedExtraCerts.Any(x => Messages.Certificates.SameEncoding(x, c)))
            {
                ReceivedExtraCerts.Add(c);
            }
        }
    }
}
