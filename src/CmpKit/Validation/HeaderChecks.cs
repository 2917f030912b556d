using CmpKit.Messages;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Validation;

/// <summary>Checks on the PKIHeader of a response (RFC 9810, section 5.1.1): C5, C6, C9, C11, C12.</summary>
internal static class HeaderChecks
{
    /// <summary>C5: the sender must be a directoryName.</summary>
    public static void SenderIsDirectoryName(PkiHeader header)
    {
        if (Names.DirectoryName(header.Sender) is null)
        {
            throw new CmpException(CmpFailureReason.SenderNotDirectoryName,
                $"the response's sender is not a directoryName ({Names.Describe(header.Sender)})");
        }
    }

    /// <summary>C6: the sender must equal the expected sender, or else the pinned server certificate's subject.</summary>
    public static void SenderIsExpected(PkiHeader header, VerificationPolicy policy)
    {
        var expected = policy.ExpectedSender ?? policy.PinnedServerCertificate?.SubjectName;
        if (expected is null)
        {
            return;
        }
        var sender = Names.DirectoryName(header.Sender)!;
        if (!Names.AreEqual(sender, expected))
        {
            throw new CmpException(CmpFailureReason.UnexpectedSender,
                $"the response comes from '{Names.Describe(sender)}', not from the expected sender '{expected.Format(false)}'");
        }
    }

    /// <summary>C7: extraCerts, refused before anything is decoded when there are more than the cap allows.</summary>
    public static CmpCertificate[] ExtraCertsWithinCap(PkiMessage message, VerificationPolicy policy)
    {
        var extraCerts = message.GetExtraCerts() ?? [];
        if (extraCerts.Length > policy.MaxExtraCertificates)
        {
            throw new CmpException(CmpFailureReason.TooManyCertificates,
                $"the message carries {extraCerts.Length} certificates in extraCerts, more than the limit of {policy.MaxExtraCertificates}");
        }
        return extraCerts;
    }

    /// <summary>C27, C36: a list of CA certificates (caPubs, caCerts) of at most <paramref name="max"/> entries.</summary>
    public static void CaCertificatesWithinCap(int count, int max, string what)
    {
        if (count > max)
        {
            throw new CmpException(CmpFailureReason.TooManyCertificates,
                $"the response carries {count} certificates in {what}, more than the limit of {max}");
        }
    }

    /// <summary>C9: pvno must be 2 (cmp2000) or 3 (cmp2021).</summary>
    public static void VersionSupported(PkiHeader header)
    {
        var pvno = header.Pvno.Value;
        if (pvno.BitLength > 8 || pvno.IntValue is not (2 or 3))
        {
            throw new CmpException(CmpFailureReason.UnsupportedVersion,
                $"the response has pvno {pvno}; only 2 and 3 are supported");
        }
    }

    /// <summary>C11: the transactionID must be the request's.</summary>
    public static void TransactionIdMatches(PkiHeader header, TransactionState state)
    {
        var tid = header.TransactionID?.GetOctets();
        if (tid is null || !tid.AsSpan().SequenceEqual(state.TransactionId))
        {
            throw new CmpException(CmpFailureReason.TransactionIdMismatch,
                tid is null ? "the response has no transactionID" : "the response's transactionID is not the one of this transaction");
        }
    }

    /// <summary>
    /// C12: the recipNonce must equal the senderNonce of our last request, or, for the final response
    /// after polling (never a pollRep), of the request that started polling (RFC 9810, section 5.3.22).
    /// </summary>
    public static void RecipNonceMatches(PkiHeader header, int bodyType, TransactionState state)
    {
        var nonce = header.RecipNonce?.GetOctets();
        if (nonce is not null && state.LastSenderNonce is not null && nonce.AsSpan().SequenceEqual(state.LastSenderNonce))
        {
            return;
        }
        if (nonce is not null && state.PollingStartNonce is not null && bodyType != (int)BodyType.PollRep
            && nonce.AsSpan().SequenceEqual(state.PollingStartNonce))
        {
            return;
        }
        throw new CmpException(CmpFailureReason.RecipNonceMismatch,
            nonce is null ? "the response has no recipNonce" : "the response's recipNonce is not the senderNonce of the request it answers");
    }
}
