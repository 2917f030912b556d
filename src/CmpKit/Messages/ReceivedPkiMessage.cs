using System.Formats.Asn1;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Messages;

/// <summary>
/// A PKIMessage decoded by <see cref="PkiMessageCodec.Decode"/>, which keeps a copy of its header and body as
/// received (ProtectedPart), so that its protection can be checked over them instead of encoding the decoded
/// header and body again.
/// </summary>
/// <remarks>
/// PKIMessage ::= SEQUENCE { header, body, ... } and ProtectedPart ::= SEQUENCE { header, body }: for a message
/// in DER, SEQUENCE around the received header and body is the DER of ProtectedPart that RFC 9810 (section
/// 5.1.3) protects. A message with BER inside its header or body (accepted, as OpenSSL accepts it) differs from
/// its DER re-encoding there; <see cref="Protection.ProtectionVerifier"/> then checks the re-encoding too. A
/// protection value that verifies over the received bytes authenticates exactly what was decoded.
/// </remarks>
internal sealed class ReceivedPkiMessage : PkiMessage
{
    private ReceivedPkiMessage(PkiMessage decoded, byte[] protectedPart)
        : base(decoded.Header, decoded.Body, decoded.Protection, decoded.GetExtraCerts())
    {
        ReceivedProtectedPart = protectedPart;
    }

    /// <summary>
    /// <paramref name="decoded"/> with ProtectedPart as received in <paramref name="encoding"/> (copied: the message's
    /// encoding, with its protection and extraCerts, is not kept); null when the header and body cannot be found in
    /// it (BouncyCastle decoded it, so that means an encoding this reader does not take, such as an indefinite
    /// length around the message; the caller keeps <paramref name="decoded"/>).
    /// </summary>
    public static ReceivedPkiMessage? From(PkiMessage decoded, ReadOnlySpan<byte> encoding)
    {
        try
        {
            AsnDecoder.ReadEncodedValue(encoding, AsnEncodingRules.BER, out int contentOffset, out int contentLength, out _);
            var content = encoding.Slice(contentOffset, contentLength);
            AsnDecoder.ReadEncodedValue(content, AsnEncodingRules.BER, out _, out _, out int headerLength);
            AsnDecoder.ReadEncodedValue(content[headerLength..], AsnEncodingRules.BER, out _, out _, out int bodyLength);
            return Of(decoded, content[..(headerLength + bodyLength)]);
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary><paramref name="decoded"/> with ProtectedPart made from <paramref name="headerAndBody"/>, its header and body as received.</summary>
    public static ReceivedPkiMessage Of(PkiMessage decoded, ReadOnlySpan<byte> headerAndBody)
    {
        var part = new byte[DerAssembly.HeaderSize(headerAndBody.Length) + headerAndBody.Length];
        int at = DerAssembly.WriteHeader(part, 0x30, headerAndBody.Length);
        headerAndBody.CopyTo(part.AsSpan(at));
        return new ReceivedPkiMessage(decoded, part);
    }

    /// <summary>SEQUENCE { header, body } from the header and body as received (not to be modified).</summary>
    public byte[] ReceivedProtectedPart { get; }
}
