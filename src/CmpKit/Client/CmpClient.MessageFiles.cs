using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1;

namespace CmpKit.Client;

// Requests from files (OpenSSL's -reqin, -reqin_new_tid): fitted into the running transaction.
public sealed partial class CmpClient
{
    /// <summary>
    /// Fits a DER-encoded request read from a file (OpenSSL's -reqin) into the transaction the client
    /// is running, as OpenSSL's CLI does before sending it: the recipNonce becomes the one of
    /// <paramref name="builtRequest"/> (the senderNonce of the last response; the first request of a
    /// transaction has none and keeps its own), so that the server's nonce check passes; with
    /// <paramref name="newTransactionId"/> (OpenSSL's -reqin_new_tid) the transactionID becomes the
    /// one of <paramref name="builtRequest"/>, the client's fresh one, for a server that refuses a
    /// transactionID it has seen before. A changed request is protected again with this client's
    /// credentials (an unprotected one stays unprotected); an unchanged one is returned as read. The other
    /// header fields, the body and the extraCerts stay as they are. Use it as
    /// <see cref="Transport.CmpMessageFiles.RewriteRequestIn"/>.
    /// </summary>
    /// <param name="fileRequest">The DER-encoded PKIMessage read from the file.</param>
    /// <param name="builtRequest">The DER-encoded PKIMessage the client built for this step of the transaction.</param>
    /// <param name="newTransactionId">Whether to give the request the transactionID of <paramref name="builtRequest"/>.</param>
    /// <returns>The DER-encoded PKIMessage to send.</returns>
    /// <exception cref="CmpException">A message is not a PKIMessage (InvalidOptions).</exception>
    public byte[] FitRequestFromFile(ReadOnlyMemory<byte> fileRequest, ReadOnlyMemory<byte> builtRequest, bool newTransactionId)
    {
        var message = PkiMessageCodec.Decode(fileRequest.Span, CmpFailureReason.InvalidOptions);
        var built = PkiMessageCodec.Decode(builtRequest.Span, CmpFailureReason.InvalidOptions).Header;
        var h = message.Header;
        var tid = h.TransactionID?.GetOctets() ?? [];
        var recipNonce = h.RecipNonce?.GetOctets();
        bool changed = false;
        if (newTransactionId && built.TransactionID?.GetOctets() is { } builtTid && !builtTid.AsSpan().SequenceEqual(tid))
        {
            tid = builtTid;
            changed = true;
        }
        if (built.RecipNonce?.GetOctets() is { } builtRecipNonce && (recipNonce is null || !builtRecipNonce.AsSpan().SequenceEqual(recipNonce)))
        {
            recipNonce = builtRecipNonce;
            changed = true;
        }
        if (!changed)
        {
            return fileRequest.ToArray();
        }
        var fields = new HeaderFields
        {
            Pvno = h.Pvno.IntValueExact,
            Sender = h.Sender,
            Recipient = h.Recipient,
            MessageTime = h.MessageTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t.ToDateTime(), DateTimeKind.Utc)) : null,
            SenderKid = h.SenderKID?.GetOctets(),
            TransactionId = tid,
            SenderNonce = h.SenderNonce?.GetOctets() ?? Messages.PublicRandom.GetBytes(16),
            RecipNonce = recipNonce,
            GeneralInfo = h.GetGeneralInfo() ?? [],
            FreeText = h.FreeText is { } text ? [.. Enumerable.Range(0, text.Count).Select(i => text[i].GetString())] : [],
        };
        var extraCerts = (message.GetExtraCerts() ?? [])
            .Select(c => X509CertificateLoader.LoadCertificate(c.GetEncoded(Asn1Encodable.Der)));
        var renewed = MessageProtector.Protect(fields, message.Body, message.Protection is null ? null : _protection, extraCerts);
        return PkiMessageCodec.Encode(renewed);
    }
}
