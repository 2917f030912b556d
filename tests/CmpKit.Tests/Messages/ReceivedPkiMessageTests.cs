using System.Formats.Asn1;
using System.Security.Cryptography;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Tests.Support;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Messages;

/// <summary>
/// A decoded message keeps the bytes of its header and body, and its protection is checked over them; where
/// they are not DER, over the DER re-encoding too, so that both what RFC 9810 prescribes and what exactly was
/// received verify, and nothing else does.
/// </summary>
public class ReceivedPkiMessageTests
{
    private static readonly byte[] Secret = "received secret"u8.ToArray();

    private static byte[] MacProtectedMessage()
    {
        var protection = new MacProtectionSpec(Secret, "ref"u8.ToArray(), HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 100, 16);
        return PkiMessageCodec.Encode(MessageProtector.Protect(TestHeaders.Fields("some text"), new PkiBody(PkiBody.TYPE_CONFIRM, DerNull.Instance), protection));
    }

    /// <summary>The same message with the header's SEQUENCE length in a non-minimal long form (BER, not DER).</summary>
    private static byte[] WithBerHeader(byte[] der)
    {
        AsnDecoder.ReadEncodedValue(der, AsnEncodingRules.DER, out int contentOffset, out int contentLength, out _);
        var content = der.AsSpan(contentOffset, contentLength);
        AsnDecoder.ReadEncodedValue(content, AsnEncodingRules.DER, out int headerContentOffset, out int headerContentLength, out int headerLength);
        var headerContent = content.Slice(headerContentOffset, headerContentLength);
        var rest = content[headerLength..];
        byte[] berHeader = [0x30, 0x84, (byte)(headerContentLength >> 24), (byte)(headerContentLength >> 16), (byte)(headerContentLength >> 8), (byte)headerContentLength, .. headerContent];
        int length = berHeader.Length + rest.Length;
        var message = new byte[DerAssembly.HeaderSize(length) + length];
        int at = DerAssembly.WriteHeader(message, 0x30, length);
        berHeader.CopyTo(message, at);
        rest.CopyTo(message.AsSpan(at + berHeader.Length));
        return message;
    }

    private static byte[] FlipLastByteOfFreeText(byte[] encoding)
    {
        var copy = (byte[])encoding.Clone();
        int at = copy.AsSpan().IndexOf("some text"u8);
        Assert.True(at > 0);
        copy[at] ^= 0x01;
        return copy;
    }

    [Fact]
    public void A_der_message_is_checked_over_its_received_bytes_which_are_its_protected_part()
    {
        var der = MacProtectedMessage();
        var decoded = Assert.IsType<ReceivedPkiMessage>(PkiMessageCodec.Decode(der));
        Assert.Equal(MessageProtector.ProtectedPartBytes(decoded.Header, decoded.Body), decoded.ReceivedProtectedPart);
        Assert.True(ProtectionVerifier.VerifyMac(decoded, Secret, 1000));
        Assert.False(ProtectionVerifier.VerifyMac(decoded, "other secret"u8, 1000));
        Assert.False(ProtectionVerifier.VerifyMac(PkiMessageCodec.Decode(FlipLastByteOfFreeText(der)), Secret, 1000));
    }

    [Fact]
    public void A_ber_header_protected_over_the_der_re_encoding_verifies_as_openssl_verifies_it()
    {
        var ber = WithBerHeader(MacProtectedMessage());
        var decoded = Assert.IsType<ReceivedPkiMessage>(PkiMessageCodec.Decode(ber));
        Assert.NotEqual(MessageProtector.ProtectedPartBytes(decoded.Header, decoded.Body), decoded.ReceivedProtectedPart);
        Assert.True(ProtectionVerifier.VerifyMac(decoded, Secret, 1000));
        Assert.False(ProtectionVerifier.VerifyMac(PkiMessageCodec.Decode(FlipLastByteOfFreeText(ber)), Secret, 1000));
    }

    [Fact]
    public void A_ber_header_protected_over_the_bytes_received_verifies_and_a_changed_byte_does_not()
    {
        var ber = WithBerHeader(MacProtectedMessage());
        var decoded = (ReceivedPkiMessage)PkiMessageCodec.Decode(ber);
        var mac = PasswordBasedMac.Compute(Secret, decoded.Header.ProtectionAlg, decoded.ReceivedProtectedPart, 1000);
        Assert.Equal(32, mac.Length);
        mac.CopyTo(ber, ber.Length - mac.Length); // the protection's BIT STRING ends the message (no extraCerts)

        Assert.True(ProtectionVerifier.VerifyMac(PkiMessageCodec.Decode(ber), Secret, 1000));
        Assert.False(ProtectionVerifier.VerifyMac(PkiMessageCodec.Decode(FlipLastByteOfFreeText(ber)), Secret, 1000));
    }
}
