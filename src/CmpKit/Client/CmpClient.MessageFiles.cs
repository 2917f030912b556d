using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1;

namespace CmpKit.Client;

// Requests from files (OpenSSL's -reqin with -reqin_new_tid): a fresh transactionID needs new protection.
public sealed partial class CmpClient
{
    /// <summary>
    /// Gives a DER-encoded request (e.g. one read from a file, OpenSSL's -reqin with -reqin_new_tid) a fresh
    /// random transactionID and protects it again with this client's credentials, as OpenSSL's
    /// OSSL_CMP_MSG_update_transactionID does: a server may refuse a transactionID it has seen before.
    /// The other header fields, the body and the extraCerts stay as they are; an unprotected request
    /// stays unprotected. Use it as <see cref="Transport.CmpMessageFiles.RewriteRequestIn"/>.
    /// </summary>
    /// <param name="request">The DER-encoded PKIMessage.</param>
    /// <returns>The new DER-encoded PKIMessage.</returns>
    /// <exception cref="CmpException">The request is not a PKIMessage (InvalidOptions).</exception>
    public byte[] RenewTransactionId(ReadOnlyMemory<byte> request)
    {
        var message = PkiMessageCodec.Decode(request.Span, CmpFailureReason.InvalidOptions);
        var h = message.Header;
        var fields = new HeaderFields
        {
            Pvno = h.Pvno.IntValueExact,
            Sender = h.Sender,
            Recipient = h.Recipient,
            MessageTime = h.MessageTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t.ToDateTime(), DateTimeKind.Utc)) : null,
            SenderKid = h.SenderKID?.GetOctets(),
            TransactionId = RandomNumberGenerator.GetBytes(16),
            SenderNonce = h.SenderNonce?.GetOctets() ?? RandomNumberGenerator.GetBytes(16),
            RecipNonce = h.RecipNonce?.GetOctets(),
            GeneralInfo = h.GetGeneralInfo() ?? [],
        };
        var extraCerts = (message.GetExtraCerts() ?? [])
            .Select(c => X509CertificateLoader.LoadCertificate(c.GetEncoded(Asn1Encodable.Der)));
        var renewed = MessageProtector.Protect(fields, message.Body, message.Protection is null ? null : _protection, extraCerts);
        return PkiMessageCodec.Encode(renewed);
    }
}
