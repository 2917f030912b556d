using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Tests.Support;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Messages;

/// <summary>
/// Decoding takes a message's extraCerts apart so that a certificate that comes again is not decoded again; the
/// result is what BouncyCastle makes of the whole message, and any other shape is decoded whole, as before.
/// </summary>
public class PkiMessageCodecTests
{
    private static readonly byte[] Secret = "codec secret"u8.ToArray();

    private static X509Certificate2 NewCertificate(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest(subject, key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static byte[] MessageWithExtraCerts(params Asn1Encodable[] extraCerts)
    {
        var protection = new MacProtectionSpec(Secret, "ref"u8.ToArray(), HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 100, 16);
        var m = MessageProtector.Protect(TestHeaders.Fields("extraCerts"), new PkiBody(PkiBody.TYPE_CONFIRM, DerNull.Instance), protection);
        var sequence = new DerSequence(m.Header, m.Body, new DerTaggedObject(true, 0, m.Protection),
            new DerTaggedObject(true, 1, new DerSequence(extraCerts)));
        return sequence.GetEncoded(Asn1Encodable.Der);
    }

    [Fact]
    public void Certificates_in_extraCerts_are_decoded_once_and_the_message_is_what_bouncycastle_decodes()
    {
        using var a = NewCertificate("CN=extra a");
        using var b = NewCertificate("CN=extra b");
        var der = MessageWithExtraCerts(Asn1Object.FromByteArray(a.RawData), Asn1Object.FromByteArray(b.RawData));

        var first = PkiMessageCodec.Decode(der);
        var second = PkiMessageCodec.Decode((byte[])der.Clone());

        Assert.Equal(der, first.GetEncoded(Asn1Encodable.Der));
        Assert.Equal(PkiMessage.GetInstance(Asn1Object.FromByteArray(der)).GetEncoded(Asn1Encodable.Der), second.GetEncoded(Asn1Encodable.Der));
        Assert.Same(first.GetExtraCerts()[0], second.GetExtraCerts()[0]);
        Assert.Same(first.GetExtraCerts()[1], second.GetExtraCerts()[1]);
        Assert.Equal(a.RawData, Certificates.ToDotNet(second.GetExtraCerts()[0])!.RawData);
        Assert.Equal(b.RawData, Certificates.ToDotNet(second.GetExtraCerts()[1])!.RawData);
        // The header and body as received, for the protection check.
        Assert.True(ProtectionVerifier.VerifyMac(second, Secret, 1000));
    }

    [Fact]
    public void A_message_of_another_shape_is_decoded_whole_to_the_same_structure()
    {
        using var a = NewCertificate("CN=extra indefinite");
        var der = MessageWithExtraCerts(Asn1Object.FromByteArray(a.RawData));
        // The same message with an indefinite length around it (BER): not taken apart.
        AsnLength(der, out int contentOffset, out int contentLength);
        byte[] ber = [0x30, 0x80, .. der.AsSpan(contentOffset, contentLength), 0x00, 0x00];

        var whole = PkiMessageCodec.Decode(ber);
        var parts = PkiMessageCodec.Decode(der);

        Assert.Equal(der, whole.GetEncoded(Asn1Encodable.Der));
        Assert.NotSame(parts.GetExtraCerts()[0], whole.GetExtraCerts()[0]);
        Assert.True(ProtectionVerifier.VerifyMac(whole, Secret, 1000));
    }

    [Fact]
    public void Something_in_extraCerts_that_is_not_a_certificate_is_a_malformed_message()
    {
        var der = MessageWithExtraCerts(new DerSequence(DerInteger.ValueOf(1)));
        var e = Assert.Throws<CmpException>(() => PkiMessageCodec.Decode(der));
        Assert.Equal(CmpFailureReason.MalformedResponse, e.Reason);
        Assert.Contains("not a well-formed PKIMessage", e.Message, StringComparison.Ordinal);
    }

    private static void AsnLength(byte[] der, out int contentOffset, out int contentLength) =>
        System.Formats.Asn1.AsnDecoder.ReadEncodedValue(der, System.Formats.Asn1.AsnEncodingRules.DER, out contentOffset, out contentLength, out _);
}
