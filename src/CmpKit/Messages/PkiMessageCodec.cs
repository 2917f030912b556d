using System.Formats.Asn1;
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
            var message = DecodeParts(bytes) ?? DecodeWhole(bytes, failureReason);
            Touch(message);
            return message;
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

    // The whole message in one go by BouncyCastle: for any shape DecodeParts leaves to it.
    private static PkiMessage DecodeWhole(byte[] bytes, CmpFailureReason failureReason)
    {
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
        return ReceivedPkiMessage.From(message, bytes) ?? message;
    }

    /// <summary>
    /// The usual shape with extraCerts, SEQUENCE { header, body, [0] protection OPTIONAL, [1] extraCerts } with definite
    /// lengths and X.509 certificates in extraCerts, decoded part by part: the certificates in extraCerts (the
    /// same server and CA certificates in every response, a client's own in every request) come from
    /// <see cref="Certificates.FromDer"/>, decoded once per process, instead of by BouncyCastle every time (about
    /// 30 ns and 25 bytes of garbage per byte). Null for any other shape, which <see cref="DecodeWhole"/> decodes
    /// as before, as is a message whose parts BouncyCastle refuses (so that the error is the one it always was); the
    /// parts go through BouncyCastle's own PKIMessage rules (<see cref="PkiMessage.GetInstance(object)"/>).
    /// </summary>
    private static PkiMessage? DecodeParts(byte[] bytes)
    {
        try
        {
            return DecodePartsOrNull(bytes);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
    }

    private static PkiMessage? DecodePartsOrNull(byte[] bytes)
    {
        // The layout first, from tags and lengths alone.
        if (!Definite(bytes, 0, out var outerTag, out int content, out int contentLength, out int consumed)
            || consumed != bytes.Length || outerTag != Asn1Tag.Sequence
            || !Definite(bytes, content, out var headerTag, out _, out _, out int headerLength) || headerTag != Asn1Tag.Sequence)
        {
            return null;
        }
        int end = content + contentLength;
        int bodyAt = content + headerLength;
        if (!Definite(bytes, bodyAt, out var bodyTag, out _, out _, out int bodyLength)
            || bodyTag.TagClass != TagClass.ContextSpecific || !bodyTag.IsConstructed || !BodyTypes.IsKnown(bodyTag.TagValue))
        {
            return null; // (an unknown body type is reported by DecodeWhole: C10)
        }
        int protectionAt = bodyAt + bodyLength, protectionLength = 0;
        if (protectionAt < end && Definite(bytes, protectionAt, out var tag, out _, out _, out int length)
            && tag == new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true))
        {
            protectionLength = length;
        }
        int extraCertsAt = protectionAt + protectionLength;
        if (extraCertsAt >= end)
        {
            return null; // no extraCerts: nothing to gain
        }
        if (ExtraCerts(bytes, extraCertsAt, out int extraCertsLength) is not { } extraCerts || extraCertsAt + extraCertsLength != end
            || Element(bytes, content, headerLength) is not { } header || Element(bytes, bodyAt, bodyLength) is not { } body)
        {
            return null;
        }
        var parts = new Asn1EncodableVector(header, body);
        if (protectionLength > 0)
        {
            if (Element(bytes, protectionAt, protectionLength) is not { } protection)
            {
                return null;
            }
            parts.Add(protection);
        }
        parts.Add(extraCerts);
        var message = PkiMessage.GetInstance(new DLSequence(parts));
        return ReceivedPkiMessage.Of(message, bytes.AsSpan(content, headerLength + bodyLength));
    }

    // [1] EXPLICIT SEQUENCE OF CMPCertificate, each an X.509 certificate; null for anything else.
    private static DerTaggedObject? ExtraCerts(byte[] bytes, int at, out int length)
    {
        if (!Definite(bytes, at, out var tag, out int content, out int contentLength, out length)
            || tag != new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true)
            || !Definite(bytes, content, out var listTag, out int list, out int listLength, out int listConsumed)
            || listTag != Asn1Tag.Sequence || listConsumed != contentLength)
        {
            return null;
        }
        var certificates = new Asn1EncodableVector();
        for (int c = list, listEnd = list + listLength; c < listEnd;)
        {
            if (!Definite(bytes, c, out var certificateTag, out _, out _, out int certificateLength) || certificateTag != Asn1Tag.Sequence)
            {
                return null;
            }
            certificates.Add(Certificates.FromDer(bytes, c, certificateLength));
            c += certificateLength;
        }
        return new DerTaggedObject(true, 1, new DLSequence(certificates));
    }

    // One element decoded by BouncyCastle from its own bytes; null if BouncyCastle reads it to another length.
    private static Asn1Object? Element(byte[] bytes, int at, int length)
    {
        using var ms = new MemoryStream(bytes, at, length, writable: false);
        using var input = new Asn1InputStream(ms, length);
        var obj = input.ReadObject();
        return obj is not null && ms.Position == length ? obj : null;
    }

    // The tag and definite length of the element at bytes[at..] (BER); false for an indefinite length or bad encoding.
    private static bool Definite(byte[] bytes, int at, out Asn1Tag tag, out int content, out int contentLength, out int consumed)
    {
        try
        {
            tag = AsnDecoder.ReadEncodedValue(bytes.AsSpan(at), AsnEncodingRules.BER, out content, out contentLength, out consumed);
            content += at;
            return content - at + contentLength == consumed;
        }
        catch (AsnContentException)
        {
            tag = default;
            content = contentLength = consumed = 0;
            return false;
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
