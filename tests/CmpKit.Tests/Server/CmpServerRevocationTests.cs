using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Messages;
using CmpKit.Server;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;

namespace CmpKit.Tests.Server;

/// <summary>rr really revokes what the server issued (once); genm is echoed, as OpenSSL's mock server does.</summary>
public class CmpServerRevocationTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("test");
    private static readonly byte[] Reference = Encoding.UTF8.GetBytes("ref");

    private static PkiBody Rr(X509Certificate2 certificate) => Rr(certificate.IssuerName, certificate.SerialNumberBytes.ToArray());

    private static PkiBody Rr(X500DistinguishedName issuer, byte[] serial)
    {
        var template = new CertTemplateBuilder()
            .SetIssuer(X509Name.GetInstance(issuer.RawData))
            .SetSerialNumber(new DerInteger(new BigInteger(1, serial)))
            .Build();
        return new PkiBody(PkiBody.TYPE_REVOCATION_REQ, RevReqContent.GetInstance(new DerSequence(new RevDetails(template))));
    }

    private static CmpStatusInfo RpStatus(PkiMessage rp)
    {
        Assert.Equal((int)BodyType.Rp, rp.Body.Type);
        return StatusInfos.ToCmp(RevRepContent.GetInstance(rp.Body.Content).GetStatus()[0]);
    }

    [Fact]
    public async Task Rr_for_an_issued_certificate_revokes_it_then_says_already_revoked()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = await new RawPeer(server, Secret, Reference).EnrollAsync(key);
        Assert.False(server.IsRevoked(issued));

        var first = RpStatus(await new RawPeer(server, Secret, Reference).SendAsync(Rr(issued)));
        Assert.Equal(PkiStatus.Accepted, first.Status);
        Assert.True(server.IsRevoked(issued));

        var again = RpStatus(await new RawPeer(server, Secret, Reference).SendAsync(Rr(issued)));
        Assert.Equal(PkiStatus.RevocationNotification, again.Status);
        Assert.Contains("already revoked", again.Texts[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_issued_certificates_remembered_are_bounded_and_the_oldest_is_forgotten_first()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, MaxKnownCertificates = 2 });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = new List<X509Certificate2>();
        for (int i = 0; i < 3; i++)
        {
            issued.Add(await new RawPeer(server, Secret, Reference).EnrollAsync(key));
        }

        var oldest = RpStatus(await new RawPeer(server, Secret, Reference).SendAsync(Rr(issued[0])));
        Assert.Equal(PkiStatus.Rejection, oldest.Status);
        Assert.True(oldest.FailureInfo.HasFlag(PkiFailureInfo.BadCertId));
        Assert.Equal(PkiStatus.Accepted, RpStatus(await new RawPeer(server, Secret, Reference).SendAsync(Rr(issued[2]))).Status);
        Assert.True(server.IsRevoked(issued[2]));
    }

    [Fact]
    public async Task Rr_for_an_unknown_certificate_is_rejected_with_badCertId()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });

        var rp = RpStatus(await new RawPeer(server, Secret, Reference).SendAsync(
            Rr(new X500DistinguishedName("CN=someone else"), [0x42, 0x17])));

        Assert.Equal(PkiStatus.Rejection, rp.Status);
        Assert.True(rp.FailureInfo.HasFlag(PkiFailureInfo.BadCertId));
    }

    [Fact]
    public async Task Rr_for_the_reference_certificate_gets_the_configured_status_and_a_rejection_does_not_revoke()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var refCert = new CertificateRequest("CN=ref", caKey, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
        var reference = X509CertificateLoader.LoadCertificate(refCert.RawData);
        var server = new CmpServer(new MockCaOptions
        {
            SrvSecret = Secret, RefCert = reference, PkiStatus = (int)PkiStatus.Rejection, Failure = 9, StatusString = "no",
        });

        var rp = RpStatus(await new RawPeer(server, Secret, Reference).SendAsync(Rr(reference)));

        Assert.Equal(PkiStatus.Rejection, rp.Status);
        Assert.True(rp.FailureInfo.HasFlag(PkiFailureInfo.BadPop));
        Assert.Equal(["no"], rp.Texts);
        Assert.False(server.IsRevoked(reference));
    }

    [Fact]
    public async Task Genm_is_answered_with_its_own_InfoTypeAndValues()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        var itav = new InfoTypeAndValue(CmpObjectIdentifiers.it_signKeyPairTypes);
        var genm = new PkiBody(PkiBody.TYPE_GEN_MSG, GenMsgContent.GetInstance(new DerSequence(itav)));

        var genp = await new RawPeer(server, Secret, Reference).SendAsync(genm);

        Assert.Equal((int)BodyType.Genp, genp.Body.Type);
        var back = GenRepContent.GetInstance(genp.Body.Content).ToInfoTypeAndValueArray();
        Assert.Equal(CmpObjectIdentifiers.it_signKeyPairTypes, Assert.Single(back).InfoType);
    }

    [Fact]
    public async Task Genm_caCerts_gets_the_CA_certificate()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        var genm = new PkiBody(PkiBody.TYPE_GEN_MSG, GenMsgContent.GetInstance(new DerSequence(new InfoTypeAndValue(ServerBodies.CaCertsOid))));

        var genp = await new RawPeer(server, Secret, Reference).SendAsync(genm);

        var itav = Assert.Single(GenRepContent.GetInstance(genp.Body.Content).ToInfoTypeAndValueArray());
        Assert.Equal(ServerBodies.CaCertsOid, itav.InfoType);
        var cert = Assert.Single(Asn1Sequence.GetInstance(itav.InfoValue).Cast<Asn1Encodable>());
        Assert.Equal(server.CertificateAuthority!.Certificate.RawData, cert.GetEncoded(Asn1Encodable.Der));
    }
}
