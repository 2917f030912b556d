using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Messages;

/// <summary>
/// DER encoding and strict decoding of PKIMessages (RFC 9810, section 5.1). The only place
/// where bytes from the network become BouncyCastle objects: anything BouncyCastle throws on
/// malformed input is turned into <see cref="CmpException"/> here.
/// </summary>
internal static class PkiMessageCodec
{
    /// <summary>Encodes a message in DER (a protected message from the encodings it keeps, see <see cref="Protection.ProtectedPkiMessage"/>).</summary>
    public static byte[] Encode(PkiMessage message) =>
        message is Protection.ProtectedPkiMessage built ? built.Encode() : message.GetEncoded(Asn1Encodable.Der);

    /// <summary>
    /// Decodes exactly one DER PKIMessage (C1: trailing bytes are an error) and touches every
    /// part of it a client or server reads later, so that lazily parsed content fails here.
    /// The result is a <see cref="ReceivedPkiMessage"/> (which keeps the bytes of its header and body) unless its
    /// header and body cannot be found in <paramref name="der"/> by a BER reader.
    /// </summary>
    /// <exception cref="CmpException">With <paramref name="failureReason"/> when the bytes are not one well-formed PKIMessage.</exception>
    public static PkiMessage Decode(ReadOnlySpan<byte> der, CmpFailureReason failureReason = CmpFailureReason.MalformedResponse)
    {
        if (der.IsEmpty)
        {
            throw new CmpException(failureReason, "the message is empty, not a DER-encoded PKIMessage");
        }
        try
        {
            var bytes = der.ToArray();
            using var ms = new MemoryStream(bytes, writable: false);
            using var input = new Asn1InputStream(ms, bytes.Length);
            var obj = input.ReadObject();
            if (obj is null)
            {
                throw new CmpException(failureReason, "the message is not a DER-encoded PKIMessage");
            }
            // Trailing bytes are an error. (Non-minimal encodings from other implementations are
            // accepted as OpenSSL accepts them; protection is checked over the bytes received and, where
            // they are not DER, over the DER re-encoding, see ReceivedPkiMessage.)
            if (ms.Position != bytes.Length)
            {
                throw new CmpException(failureReason,
                    $"the message is not exactly one PKIMessage ({bytes.Length - (int)ms.Position} bytes follow it)");
            }
            UnknownBodyCheck(obj);
            var message = PkiMessage.GetInstance(obj);
            Touch(message);
            return ReceivedPkiMessage.From(message, bytes) ?? message;
        }
        catch (CmpException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CmpException(failureReason, "the message is not a well-formed PKIMessage: " + e.Message, innerException: e);
        }
    }

    /// <summary>C10: the body's CHOICE tag must be one RFC 9810 defines (checked before BouncyCastle sees it).</summary>
    private static void UnknownBodyCheck(Asn1Object obj)
    {
        if (obj is Asn1Sequence { Count: >= 2 } seq && seq[1] is Asn1TaggedObject tagged
            && tagged.TagClass == Asn1Tags.ContextSpecific && !BodyTypes.IsKnown(tagged.TagNo))
        {
            throw new CmpException(CmpFailureReason.UnknownBodyType,
                $"the message has an unknown body type (tag {tagged.TagNo})");
        }
    }

    // Forces parsing of the parts that BouncyCastle may parse lazily.
    private static void Touch(PkiMessage message)
    {
        var header = message.Header ?? throw new ArgumentException("no header");
        _ = header.Pvno.IntValueExact;
        _ = header.GetGeneralInfo();
        _ = header.FreeText;
        var body = message.Body ?? throw new ArgumentException("no body");
        _ = body.Content?.ToAsn1Object() ?? throw new ArgumentException("no body content");
        foreach (var c in message.GetExtraCerts() ?? [])
        {
            _ = c.ToAsn1Object();
        }
        MessageShape.Touch(message);
    }
}
