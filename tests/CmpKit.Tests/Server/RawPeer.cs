using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Server;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Server;

/// <summary>A hand-driven CMP client for sending the server messages the real client never would.</summary>
internal sealed class RawPeer(CmpServer server, byte[] secret, byte[] reference)
{
    public byte[] TransactionId { get; set; } = RandomNumberGenerator.GetBytes(16);

    public byte[]? RecipNonce { get; set; }

    public int Pvno { get; set; } = 2;

    public async Task<PkiMessage> SendAsync(PkiBody body, bool implicitConfirm = false)
    {
        var fields = new HeaderFields
        {
            Pvno = Pvno,
            Sender = Names.ToGeneralName(new X500DistinguishedName("CN=raw peer")),
            Recipient = Names.NullDn,
            MessageTime = DateTimeOffset.UtcNow,
            TransactionId = TransactionId,
            SenderNonce = RandomNumberGenerator.GetBytes(16),
            RecipNonce = RecipNonce,
            GeneralInfo = implicitConfirm ? [HeaderFields.ImplicitConfirm] : [],
        };
        var protection = new MacProtectionSpec(secret, reference, HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 500, 16);
        var request = MessageProtector.Protect(fields, body, protection);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var response = PkiMessageCodec.Decode(await server.HandleAsync(PkiMessageCodec.Encode(request), cts.Token));
        Assert.True(ProtectionVerifier.VerifyMac(response, secret, 100_000));
        Assert.Equal(TransactionId, response.Header.TransactionID.GetOctets());
        Assert.Equal(fields.SenderNonce, response.Header.RecipNonce.GetOctets());
        RecipNonce = response.Header.SenderNonce.GetOctets();
        return response;
    }

    /// <summary>Sends an ir for <paramref name="key"/> and returns the certificate of the ip.</summary>
    public async Task<X509Certificate2> EnrollAsync(ECDsa key, string subject = "CN=raw peer")
    {
        var body = RequestBuilder.CertificateRequest(BodyType.Ir,
            new CmpKit.Client.CertificateRequestTemplate { Subject = new X500DistinguishedName(subject) },
            key.ExportSubjectPublicKeyInfo(), key, HashAlgorithmName.SHA256, false, DateTimeOffset.UtcNow);
        var ip = await SendAsync(body);
        Assert.Equal((int)BodyType.Ip, ip.Body.Type);
        var response = CertRepMessage.GetInstance(ip.Body.Content).GetResponse()[0];
        return Certificates.ToDotNet(response.CertifiedKeyPair.CertOrEncCert.Certificate)!;
    }

    public static CmpStatusInfo ErrorStatus(PkiMessage message)
    {
        Assert.Equal((int)BodyType.Error, message.Body.Type);
        return StatusInfos.ToCmp(ErrorMsgContent.GetInstance(message.Body.Content).PkiStatusInfo);
    }
}
