using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Tests.Support;
using CmpKit.Tests.Validation;
using CmpKit.Transport;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;

namespace CmpKit.Tests.Client;

/// <summary>What the client sends (RFC 9810 / RFC 9483; the last section of CHECKS.md).</summary>
public class RequestFormatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] PbmSalt(PkiHeader header) => PbmParameter.GetInstance(header.ProtectionAlg.Parameters).Salt.GetOctets();

    [Fact]
    public async Task A_mac_protected_transaction_keeps_its_first_salt_and_the_next_one_gets_a_new_one()
    {
        var server = new ScriptedCmpServer();
        var client = ResponseCheckTests.Client(server);
        await client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        await client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        var (ir1, certConf1, ir2, certConf2) = (server.Received[0].Header, server.Received[1].Header, server.Received[2].Header, server.Received[3].Header);
        Assert.Equal((int)BodyType.CertConf, server.Received[1].Body.Type);
        Assert.Equal(16, PbmSalt(ir1).Length);
        Assert.Equal(PbmSalt(ir1), PbmSalt(certConf1));
        Assert.Equal(PbmSalt(ir2), PbmSalt(certConf2));
        Assert.NotEqual(PbmSalt(ir1), PbmSalt(ir2));
        Assert.Equal(ir1.ProtectionAlg.GetEncoded(), certConf1.ProtectionAlg.GetEncoded()); // same OWF, MAC and iterations too
    }

    [Fact]
    public async Task Header_fields_of_a_mac_protected_transaction()
    {
        var server = new ScriptedCmpServer();
        var options = ResponseCheckTests.MacOptions(server) with { Recipient = new X500DistinguishedName("CN=My CA"), ImplicitConfirm = true };
        await ResponseCheckTests.Client(server, options).InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        var ir = server.Received[0].Header;
        var certConf = server.Received[1].Header;

        Assert.Equal(2, ir.Pvno.IntValueExact);
        Assert.Equal(16, ir.TransactionID.GetOctets().Length);
        Assert.Equal(ir.TransactionID.GetOctets(), certConf.TransactionID.GetOctets());
        Assert.Equal(16, ir.SenderNonce.GetOctets().Length);
        Assert.NotEqual(ir.SenderNonce.GetOctets(), certConf.SenderNonce.GetOctets());
        Assert.Null(ir.RecipNonce);
        Assert.NotNull(certConf.RecipNonce); // the ip's senderNonce (checked by the scripted server's answer)
        Assert.Equal("clientref"u8.ToArray(), ir.SenderKID.GetOctets());
        Assert.Equal("CN=leaf", Names.ToDotNet(Names.DirectoryName(ir.Sender)!).Name);
        Assert.Equal("CN=My CA", Names.ToDotNet(Names.DirectoryName(ir.Recipient)!).Name);
        Assert.Equal(PasswordBasedMacOid, ir.ProtectionAlg.Algorithm.Id);

        // messageTime in whole seconds, UTC, close to now
        var time = ir.MessageTime.TimeString;
        Assert.Matches(@"^\d{14}Z$", time);
        Assert.InRange(ir.MessageTime.ToDateTime(), DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));

        // implicitConfirm only in the first request, value NULL
        var itav = Assert.Single(ir.GetGeneralInfo());
        Assert.Equal(CmpObjectIdentifiers.it_implicitConfirm, itav.InfoType);
        Assert.Equal(DerNull.Instance, itav.InfoValue);
        Assert.Null(certConf.GetGeneralInfo());
    }

    private const string PasswordBasedMacOid = "1.2.840.113533.7.66.13";

    [Fact]
    public async Task Signature_protected_request_carries_the_certificate_and_chain_first()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var intermediate = TestPki.IssueWithKey(server.Ca, "CN=Client Issuing CA", ca: true, keyUsage: X509KeyUsageFlags.KeyCertSign);
        var clientCert = TestPki.IssueWithKey(intermediate, "CN=Device 17");
        var extra = TestPki.CreateRoot("CN=Something Extra").Certificate;
        var options = new CmpClientOptions
        {
            SignatureCredentials = new CmpSignatureCredentials(clientCert.Certificate, clientCert.Key, [intermediate.Certificate]),
            TrustAnchors = [server.Ca.Certificate],
            ExtraCertificates = [extra],
        };
        await new CmpClient(new InProcessCmpTransport(server.HandleAsync), options)
            .EnrollAsync(ResponseCheckTests.Template(), Ct);
        var cr = server.Received[0];
        Assert.Equal(BodyType.Cr, (BodyType)cr.Body.Type);
        Assert.Equal([clientCert.Certificate, intermediate.Certificate, extra], Certificates.ToDotNet(cr.GetExtraCerts()));
        Assert.Equal("CN=Device 17", Names.ToDotNet(Names.DirectoryName(cr.Header.Sender)!).Name);
        // recipient defaults to the client certificate's issuer
        Assert.Equal("CN=Client Issuing CA", Names.ToDotNet(Names.DirectoryName(cr.Header.Recipient)!).Name);
        var skid = clientCert.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.ToArray();
        Assert.Equal(skid, cr.Header.SenderKID.GetOctets());
        Assert.True(CmpKit.Protection.ProtectionVerifier.VerifySignature(cr, clientCert.Certificate));
    }

    [Fact]
    public async Task Cert_request_has_certReqId_0_the_template_and_a_verifying_pop()
    {
        var server = new ScriptedCmpServer();
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var template = new CertificateRequestTemplate
        {
            NewKey = key,
            Subject = new X500DistinguishedName("CN=leaf"),
            ValidityDays = 30,
            DnsNames = ["leaf.example"],
            IpAddresses = [System.Net.IPAddress.Parse("192.0.2.1")],
            PolicyOids = [new Oid("1.2.3.4")],
            PoliciesCritical = true,
            Extensions = [new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true)],
        };
        await ResponseCheckTests.Client(server).InitialEnrollAsync(template, Ct);
        var msg = CertReqMessages.GetInstance(server.Received[0].Body.Content).ToCertReqMsgArray().Single();
        Assert.Equal(0, msg.CertReq.CertReqID.IntValueExact);
        var t = msg.CertReq.CertTemplate;
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), t.PublicKey.GetEncoded(Asn1Encodable.Der));
        var days = (t.Validity.NotAfter.ToDateTime() - t.Validity.NotBefore.ToDateTime()).TotalDays;
        Assert.Equal(30, days, 3);
        var oids = t.Extensions.GetExtensionOids().Select(o => o.Id).ToList();
        Assert.Contains("2.5.29.17", oids);
        Assert.Contains("2.5.29.15", oids);
        Assert.Contains("2.5.29.32", oids);
        Assert.True(t.Extensions.GetExtension(new DerObjectIdentifier("2.5.29.32")).IsCritical);

        // POP: a signature by the new key over the DER CertRequest (RFC 4211, 4.1)
        Assert.Equal(ProofOfPossession.TYPE_SIGNING_KEY, msg.Pop.Type);
        var pop = PopoSigningKey.GetInstance(msg.Pop.Object);
        Assert.True(CmpKit.Protection.SignatureAlgorithms.Verify(key.ExportSubjectPublicKeyInfo(), pop.AlgorithmIdentifier,
            msg.CertReq.GetEncoded(Asn1Encodable.Der), pop.Signature.GetOctets()));
    }

    [Fact]
    public async Task Kur_carries_the_old_certificate_id()
    {
        var server = new ScriptedCmpServer();
        var old = TestPki.IssueWithKey(server.Ca, "CN=leaf");
        await ResponseCheckTests.Client(server).UpdateKeyAsync(new CertificateRequestTemplate
        {
            NewKey = ECDsa.Create(ECCurve.NamedCurves.nistP256),
            OldCertificate = old.Certificate,
        }, Ct);
        var msg = CertReqMessages.GetInstance(server.Received[0].Body.Content).ToCertReqMsgArray().Single();
        var control = Assert.Single(msg.CertReq.Controls.ToAttributeTypeAndValueArray());
        Assert.Equal(CrmfObjectIdentifiers.id_regCtrl_oldCertID, control.Type);
        var certId = CertId.GetInstance(control.Value);
        Assert.Equal(old.Certificate.SerialNumberBytes.ToArray().SkipWhile(b => b == 0).ToArray(), // big-endian
            certId.SerialNumber.Value.ToByteArrayUnsigned());
        // subject defaults to the old certificate's
        Assert.Equal("CN=leaf", Names.ToDotNet(msg.CertReq.CertTemplate.Subject).Name);
    }

    [Theory]
    [InlineData(ProofOfPossessionMethod.RaVerified, ProofOfPossession.TYPE_RA_VERIFIED)]
    [InlineData(ProofOfPossessionMethod.None, -1)]
    public async Task Pop_ra_verified_and_none(ProofOfPossessionMethod method, int expectedType)
    {
        var server = new ScriptedCmpServer();
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await ResponseCheckTests.Client(server).InitialEnrollAsync(new CertificateRequestTemplate
        {
            NewPublicKey = key.ExportSubjectPublicKeyInfo(),
            Subject = new X500DistinguishedName("CN=leaf"),
            ProofOfPossession = method,
        }, Ct);
        var msg = CertReqMessages.GetInstance(server.Received[0].Body.Content).ToCertReqMsgArray().Single();
        Assert.Equal(expectedType, msg.Pop?.Type ?? -1);
    }

    [Fact]
    public async Task Signature_pop_without_private_key_is_refused_locally()
    {
        var server = new ScriptedCmpServer();
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var e = await Assert.ThrowsAsync<CmpException>(() => ResponseCheckTests.Client(server).InitialEnrollAsync(new CertificateRequestTemplate
        {
            NewPublicKey = key.ExportSubjectPublicKeyInfo(),
            Subject = new X500DistinguishedName("CN=leaf"),
        }, Ct));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
        Assert.Empty(server.Received);
    }

    [Fact]
    public void Options_without_credentials_are_refused()
    {
        var server = new ScriptedCmpServer();
        var e = Assert.Throws<CmpException>(() => new CmpClient(new InProcessCmpTransport(server.HandleAsync), new CmpClientOptions()));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
    }

    [Fact]
    public void Key_not_matching_the_client_certificate_is_refused()
    {
        var ca = TestPki.CreateRoot();
        var cert = TestPki.IssueWithKey(ca, "CN=x");
        var e = Assert.Throws<CmpException>(() => new CmpClient(new InProcessCmpTransport((_, _) => Task.FromResult(Array.Empty<byte>())),
            new CmpClientOptions { SignatureCredentials = new CmpSignatureCredentials(cert.Certificate, ECDsa.Create(ECCurve.NamedCurves.nistP256)) }));
        Assert.Equal(CmpFailureReason.InvalidCredentials, e.Reason);
    }
}
