using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Server;
using CmpKit.Tests.Support;
using CmpKit.Transport;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Tests.Server;

/// <summary>
/// The engine's side of central key generation (RFC 9483, section 4.1.6): a request without POP is
/// accepted exactly when it asks for central key generation, and the key goes only to someone it can
/// be encrypted for.
/// </summary>
public class CmpServerCentralKeyTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("central");
    private static readonly byte[] Reference = Encoding.UTF8.GetBytes("ref");
    private static readonly X500DistinguishedName Subject = new("CN=central");

    private static PkiBody CentralIr(byte[]? algorithmOf) =>
        RequestBuilder.CertificateRequest(BodyType.Ir, new CertificateRequestTemplate { Subject = Subject }, algorithmOf, null,
            HashAlgorithmName.SHA256, false, DateTimeOffset.UtcNow, centralKeyGeneration: true);

    private static CertResponse OnlyResponse(PkiMessage ip)
    {
        Assert.Equal((int)BodyType.Ip, ip.Body.Type);
        return CertRepMessage.GetInstance(ip.Body.Content).GetResponse()[0];
    }

    [Fact]
    public async Task Central_request_gets_certificate_and_encrypted_key()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference });
        var peer = new RawPeer(server, Secret, Reference);

        var response = OnlyResponse(await peer.SendAsync(CentralIr(null)));

        Assert.Equal(PkiStatus.Accepted, StatusInfos.ToCmp(response.Status).Status);
        Assert.NotNull(response.CertifiedKeyPair.CertOrEncCert.Certificate);
        Assert.NotNull(response.CertifiedKeyPair.PrivateKey);
        Assert.False(response.CertifiedKeyPair.PrivateKey.IsEncryptedValue);
    }

    [Fact]
    public async Task Pop_with_an_empty_public_key_is_inconsistent()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, AcceptRaVerified = true });
        var peer = new RawPeer(server, Secret, Reference);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = SubjectPublicKeyInfo.GetInstance(key.ExportSubjectPublicKeyInfo());
        var template = new CertTemplateBuilder().SetSubject(Names.ToX509Name(Subject))
            .SetSubjectPublicKeyInfo(new SubjectPublicKeyInfo(spki.Algorithm, Array.Empty<byte>())).Build();
        var body = new PkiBody(PkiBody.TYPE_INIT_REQ, new CertReqMessages(
            new CertReqMsg(new CertRequest(DerInteger.ValueOf(0), template, null), new ProofOfPossession(), null)));

        var response = OnlyResponse(await peer.SendAsync(body));

        var status = StatusInfos.ToCmp(response.Status);
        Assert.Equal(PkiStatus.Rejection, status.Status);
        Assert.True(status.FailureInfo.HasFlag(PkiFailureInfo.BadPop));
        Assert.Contains("central key generation", status.ToString());
    }

    [Fact]
    public async Task Unprotected_central_request_gets_no_key()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, AcceptUnprotected = true });
        var client = new CmpClient(new InProcessCmpTransport(server.HandleAsync), new CmpClientOptions
        {
            UnprotectedRequests = true,
            MacCredentials = new CmpMacCredentials(Secret, Reference), // to check the (MAC-protected) response
        });

        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(
            new CertificateRequestTemplate { Subject = Subject, CentralKeyGeneration = true }, TestContext.Current.CancellationToken));

        Assert.Equal(CmpFailureReason.RequestRejected, e.Reason);
        Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.NotAuthorized));
    }

    [Fact]
    public async Task Fixed_certificate_without_rsp_key_cannot_serve_central_requests()
    {
        var root = CmpKit.Tests.Support.TestPki.CreateRoot("CN=Fixed");
        var fixedCert = CmpKit.Tests.Support.TestPki.IssueWithKey(root, "CN=fixed");
        var server = new CmpServer(new MockCaOptions
        {
            SrvSecret = Secret, SrvRef = Reference, SrvCert = root.Certificate, SrvKey = root.Key, RspCert = fixedCert.Certificate,
        });
        var peer = new RawPeer(server, Secret, Reference);

        var status = StatusInfos.ToCmp(OnlyResponse(await peer.SendAsync(CentralIr(null))).Status);

        Assert.Equal(PkiStatus.Rejection, status.Status);
        Assert.True(status.FailureInfo.HasFlag(PkiFailureInfo.SystemUnavail));
    }

    [Fact]
    public async Task Unsupported_key_algorithm_is_badAlg()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference });
        var peer = new RawPeer(server, Secret, Reference);
        // An Ed25519 SubjectPublicKeyInfo (the key bits are dropped for the template anyway).
        var ed25519 = new SubjectPublicKeyInfo(new AlgorithmIdentifier(new DerObjectIdentifier("1.3.101.112")), new byte[32]).GetEncoded(Asn1Encodable.Der);

        var status = StatusInfos.ToCmp(OnlyResponse(await peer.SendAsync(CentralIr(ed25519))).Status);

        Assert.Equal(PkiStatus.Rejection, status.Status);
        Assert.True(status.FailureInfo.HasFlag(PkiFailureInfo.BadAlg));
    }
}
