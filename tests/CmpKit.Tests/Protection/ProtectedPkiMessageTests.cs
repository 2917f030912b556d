using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Tests.Support;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Protection;

/// <summary>
/// A message MessageProtector built is encoded from the DER it kept (ProtectedPart, the certificates): byte for
/// byte what BouncyCastle's DER encoding of the same message gives, for every length form and extraCerts count.
/// </summary>
public class ProtectedPkiMessageTests
{
    private static readonly TestPki.Issued Root = TestPki.CreateRoot();

    private static HeaderFields Fields(int freeTextLength) =>
        TestHeaders.Fields(freeTextLength == 0 ? [] : [new string('x', freeTextLength)]);

    private static PkiBody Body() => new(PkiBody.TYPE_CONFIRM, DerNull.Instance);

    private static X509Certificate2 NewCertificate(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return TestPki.Issue(Root, subject, key.ExportSubjectPublicKeyInfo());
    }

    // Free text lengths chosen so that the message's length takes 1, 2, 3 and 4 bytes (short form, 0x81, 0x82, 0x83).
    public static TheoryData<int, int, bool> Cases => new()
    {
        { 0, 0, true },
        { 0, 1, false },
        { 200, 0, true },
        { 200, 3, false },
        { 70_000, 0, true },
        { 70_000, 2, false },
        { 17_000_000, 1, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_assembled_encoding_is_bouncycastles_der(int freeTextLength, int extraCertCount, bool mac)
    {
        var extra = Enumerable.Range(0, extraCertCount).Select(i => NewCertificate("CN=extra " + i)).ToList();
        using var signerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = TestPki.Issue(Root, "CN=signer", signerKey.ExportSubjectPublicKeyInfo());
        ProtectionSpec protection = mac
            ? new MacProtectionSpec("secret"u8.ToArray(), "ref"u8.ToArray(), HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 10, 16)
            : new SignatureProtectionSpec(signer, signerKey, [Root.Certificate], HashAlgorithmName.SHA256, rsaPss: false);

        var message = MessageProtector.Protect(Fields(freeTextLength), Body(), protection, extra);

        Assert.IsType<ProtectedPkiMessage>(message);
        var assembled = PkiMessageCodec.Encode(message);
        Assert.Equal(message.GetEncoded(Asn1Encodable.Der), assembled);
        // And it reads back as the same message, signer and chain first in extraCerts.
        var decoded = PkiMessageCodec.Decode(assembled);
        Assert.Equal(message.Protection.GetBytes(), decoded.Protection.GetBytes());
        int expectedCerts = mac ? extraCertCount : 2 + extraCertCount;
        Assert.Equal(expectedCerts, decoded.GetExtraCerts()?.Length ?? 0);
    }

    [Fact]
    public void An_unprotected_message_is_encoded_by_bouncycastle()
    {
        var message = MessageProtector.Protect(Fields(10), Body(), null);
        Assert.IsNotType<ProtectedPkiMessage>(message);
        Assert.Equal(message.GetEncoded(Asn1Encodable.Der), PkiMessageCodec.Encode(message));
    }
}
