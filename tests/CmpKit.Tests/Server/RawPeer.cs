using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Server;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Server;

/// <summary>
/// A hand-driven CMP client for sending the server messages the real client never would: straight to the
/// engine, or through any exchange (e.g. HTTP to a <see cref="CmpKit.Server.Http.CmpHttpHost"/>).
/// </summary>
internal sealed class RawPeer(Func<byte[], CancellationToken, Task<byte[]>> exchange, byte[] secret, byte[] reference)
{
    public RawPeer(CmpServer server, byte[] secret, byte[] reference)
        : this((request, ct) => server.HandleAsync(request, ct), secret, reference)
    {
    }

    public byte[] TransactionId { get; set; } = RandomNumberGenerator.GetBytes(16);

    /// <summary>The DER of the last request sent (for replays).</summary>
    public byte[] LastRequest { get; private set; } = [];

    /// <summary>Certificates put in the extraCerts of each request.</summary>
    public IReadOnlyList<X509Certificate2> ExtraCerts { get; set; } = [];

    public byte[]? RecipNonce { get; set; }

    public int Pvno { get; set; } = 2;

    /// <summary>The PBM iteration count of requests.</summary>
    public int MacIterations { get; set; } = 500;

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
        var protection = new MacProtectionSpec(secret, reference, HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, MacIterations, 16);
        var request = MessageProtector.Protect(fields, body, protection);
        if (ExtraCerts.Count > 0)
        {
            // Not through the protector, which leaves duplicates out; the MAC does not cover extraCerts.
            request = new PkiMessage(request.Header, request.Body, request.Protection, [.. ExtraCerts.Select(c => Certificates.ToCmp(c))]);
        }
        LastRequest = PkiMessageCodec.Encode(request);
        var response = await ReplayAsync(LastRequest);
        Assert.Equal(TransactionId, response.Header.TransactionID.GetOctets());
        Assert.Equal(fields.SenderNonce, response.Header.RecipNonce.GetOctets());
        RecipNonce = response.Header.SenderNonce.GetOctets();
        return response;
    }

    /// <summary>Sends <paramref name="request"/> as it is; the response must be MAC-protected with the secret.</summary>
    public async Task<PkiMessage> ReplayAsync(byte[] request)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var response = PkiMessageCodec.Decode(await exchange(request, cts.Token));
        Assert.True(ProtectionVerifier.VerifyMac(response, secret, 100_000), "the response is not protected with the shared secret");
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
