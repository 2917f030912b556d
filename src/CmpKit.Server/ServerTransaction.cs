using CmpKit.Messages;

namespace CmpKit.Server;

/// <summary>The mutable per-transaction state of <see cref="CmpServer"/>; guarded by locking the instance.</summary>
internal sealed class ServerTransaction(byte[] transactionId, BodyType requestType)
{
    public byte[] TransactionId { get; } = transactionId;

    /// <summary>The key in the server's table (the transactionID in hex).</summary>
    public string Key { get; init; } = Convert.ToHexString(transactionId);

    /// <summary>When the last request of this transaction arrived; guarded by the server's store lock.</summary>
    public DateTimeOffset LastActivity { get; set; }
    public BodyType RequestType { get; } = requestType;
    public BodyType ResponseType => RequestType switch
    {
        BodyType.Ir => BodyType.Ip,
        BodyType.Kur => BodyType.Kup,
        _ => BodyType.Cp,
    };

    public CmpServerTransactionState State { get; set; }

    /// <summary>The senderNonce of our last response: the recipNonce the next request must carry (RFC 9810, section 5.1.1).</summary>
    public byte[]? LastSenderNonce { get; set; }

    public bool ClientAskedImplicitConfirm { get; set; }
    public int PollsLeft { get; set; }
    public int MessageCount { get; set; }
    public CmpStatusInfo? ClientStatus { get; set; }

    /// <summary>The answer kept back while the client polls, then sent.</summary>
    public long CertReqId { get; set; }
    public PkiStatus FinalStatus { get; set; }
    public PkiFailureInfo FinalFailure { get; set; }
    public IReadOnlyList<string> FinalTexts { get; set; } = [];
    public IssuedCertificate? Certificate { get; set; }
    /// <summary>The hash the certificate's signature algorithm implies for certHash (RFC 9810, section 5.3.18), set when it is sent.</summary>
    public System.Security.Cryptography.HashAlgorithmName? CertHashAlgorithm { get; set; }
    /// <summary>With central key generation: the new private key, signed and encrypted for the requester.</summary>
    public Org.BouncyCastle.Asn1.Crmf.EncryptedKey? PrivateKey { get; set; }

    public CmpServerTransaction Snapshot() =>
        new(TransactionId.ToArray(), BodyTypes.Name(RequestType), State, Certificate, ClientStatus, MessageCount);
}
