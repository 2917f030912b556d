using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Server;
using CmpKit.Transport;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Tests.Server;

/// <summary>
/// genm rootCaCert -> rootCaKeyUpdate and crlStatusList -> crls, answered as OpenSSL's mock server answers them
/// (-rsp_newwithnew/-rsp_newwithold/-rsp_oldwithnew, -rsp_crl), tried with CmpKit's own client and with raw genm.
/// </summary>
public class CmpServerGeneralMessageTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("test");
    private static readonly byte[] Reference = Encoding.UTF8.GetBytes("ref");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static CmpClient Client(CmpServer server, X509Certificate2Collection? trustAnchors = null) =>
        new(new InProcessCmpTransport(server.HandleAsync), new CmpClientOptions
        {
            MacCredentials = new CmpMacCredentials(Secret, Reference),
            TrustAnchors = trustAnchors ?? [],
        });

    private static PkiBody Genm(params InfoTypeAndValue[] itavs) =>
        new(PkiBody.TYPE_GEN_MSG, GenMsgContent.GetInstance(new DerSequence(itavs.Cast<Asn1Encodable>().ToArray())));

    /// <summary>An old root (oldWithOld), a new root with the same name (newWithNew) and the two link certificates.</summary>
    private sealed class RootKeyUpdate
    {
        public RootKeyUpdate(string name = "CN=CmpKit Root")
        {
            OldKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            NewKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var now = DateTimeOffset.UtcNow;
            OldWithOld = SelfSigned(name, OldKey, now.AddDays(-10), now.AddYears(1));
            NewWithNew = SelfSigned(name, NewKey, now.AddDays(-1), now.AddYears(5));
            NewWithOld = Link(name, NewKey, OldKey, now.AddDays(-1), now.AddYears(1), 2);
            OldWithNew = Link(name, OldKey, NewKey, now.AddDays(-1), now.AddYears(1), 3);
        }

        public ECDsa OldKey { get; }
        public ECDsa NewKey { get; }
        public X509Certificate2 OldWithOld { get; }
        public X509Certificate2 NewWithNew { get; }
        public X509Certificate2 NewWithOld { get; }
        public X509Certificate2 OldWithNew { get; }

        private static CertificateRequest CaRequest(string name, ECDsa key)
        {
            var req = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            return req;
        }

        private static X509Certificate2 SelfSigned(string name, ECDsa key, DateTimeOffset from, DateTimeOffset to)
        {
            using var cert = CaRequest(name, key).CreateSelfSigned(from, to);
            return X509CertificateLoader.LoadCertificate(cert.RawData);
        }

        /// <summary>A certificate for <paramref name="subjectKey"/> signed with <paramref name="signerKey"/>, both under the same name.</summary>
        private static X509Certificate2 Link(string name, ECDsa subjectKey, ECDsa signerKey, DateTimeOffset from, DateTimeOffset to, byte serial)
        {
            using var cert = CaRequest(name, subjectKey).Create(new X500DistinguishedName(name), X509SignatureGenerator.CreateForECDsa(signerKey), from, to, [serial]);
            return X509CertificateLoader.LoadCertificate(cert.RawData);
        }
    }

    private static MockCaOptions UpdateServer(RootKeyUpdate keys, bool links = true) => new()
    {
        SrvSecret = Secret,
        RspNewWithNew = keys.NewWithNew,
        RspNewWithOld = links ? keys.NewWithOld : null,
        RspOldWithNew = links ? keys.OldWithNew : null,
    };

    [Fact]
    public async Task RootCaCert_with_the_current_root_gets_the_verified_update_from_the_real_client()
    {
        var keys = new RootKeyUpdate();
        var server = new CmpServer(UpdateServer(keys));

        var update = await Client(server).GetRootCaKeyUpdateAsync(keys.OldWithOld, Token);

        Assert.NotNull(update);
        Assert.Equal(keys.NewWithNew.RawData, update.NewWithNew.RawData);
        Assert.Equal(keys.NewWithOld.RawData, update.NewWithOld!.RawData);
        Assert.Equal(keys.OldWithNew.RawData, update.OldWithNew!.RawData);
    }

    [Fact]
    public async Task RootCaCert_without_a_value_gets_the_update_verified_with_the_trust_anchors()
    {
        var keys = new RootKeyUpdate();
        var server = new CmpServer(UpdateServer(keys));

        var update = await Client(server, [keys.OldWithOld]).GetRootCaKeyUpdateAsync(null, Token);

        Assert.Equal(keys.NewWithNew.RawData, update!.NewWithNew.RawData);
    }

    private static X509Certificate2 MockCert(string name) =>
        X509CertificateLoader.LoadCertificateFromFile(Path.Combine(CmpKit.Tests.Support.SharedData.Dir, "openssl-cmp-tests", "Mock", name));

    [Fact]
    public async Task OpenSSLs_Ed25519_root_key_update_is_served_and_verified()
    {
        // OpenSSL's test data: an RSA old root, an Ed25519 new root, and the two link certificates between them.
        var oldWithOld = MockCert("oldWithOld.pem");
        var server = new CmpServer(new MockCaOptions
        {
            SrvSecret = Secret,
            RspNewWithNew = MockCert("newWithNew.pem"),
            RspNewWithOld = MockCert("newWithOld.pem"),
            RspOldWithNew = MockCert("oldWithNew.pem"),
        });

        var update = await Client(server).GetRootCaKeyUpdateAsync(oldWithOld, Token);

        Assert.Equal(MockCert("newWithNew.pem").RawData, update!.NewWithNew.RawData);
        Assert.Equal(MockCert("oldWithNew.pem").RawData, update.OldWithNew!.RawData);
    }

    [Fact]
    public async Task An_Ed25519_newWithNew_with_a_broken_signature_is_refused_by_the_client()
    {
        var raw = MockCert("newWithNew.pem").RawData;
        raw[^5] ^= 0x01; // inside the signature value
        var server = new CmpServer(new MockCaOptions
        {
            SrvSecret = Secret,
            RspNewWithNew = X509CertificateLoader.LoadCertificate(raw),
            RspNewWithOld = MockCert("newWithOld.pem"),
        });

        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server).GetRootCaKeyUpdateAsync(MockCert("oldWithOld.pem"), Token));

        Assert.Equal(CmpFailureReason.NewRootCaCertificateUntrusted, e.Reason);
        Assert.Contains("newWithNew is not a self-signed certificate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RootCaCert_of_another_CA_gets_no_update()
    {
        var keys = new RootKeyUpdate();
        var other = new RootKeyUpdate("CN=Some Other Root");
        var server = new CmpServer(UpdateServer(keys));

        var update = await Client(server).GetRootCaKeyUpdateAsync(other.OldWithOld, Token);

        Assert.Null(update);
    }

    [Fact]
    public async Task RootCaCert_whose_name_differs_only_in_case_and_string_type_is_the_same_CA()
    {
        var keys = new RootKeyUpdate("CN=CmpKit Root");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // Same name in lower case and as PrintableString (.NET writes UTF8String): a match as for X509_NAME_cmp.
        var printable = new X500DistinguishedName(new X509Name(false, "CN=cmpkit  root", new PrintableOnlyConverter()).GetEncoded());
        Assert.NotEqual(keys.NewWithNew.SubjectName.RawData, printable.RawData);
        var req = new CertificateRequest(printable, key, HashAlgorithmName.SHA256);
        using var sameCa = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var server = new CmpServer(UpdateServer(keys));

        var genp = await new RawPeer(server, Secret, Reference).SendAsync(Genm(
            new InfoTypeAndValue(new DerObjectIdentifier(InfoTypes.RootCaCert), CmpCertificate.GetInstance(sameCa.RawData))));

        var answer = Assert.Single(GenRepContent.GetInstance(genp.Body.Content).ToInfoTypeAndValueArray());
        Assert.Equal(InfoTypes.RootCaKeyUpdate, answer.InfoType.Id);
        Assert.NotNull(answer.InfoValue);
    }

    [Fact]
    public async Task RootCaCert_without_a_configured_new_root_gets_no_update()
    {
        var keys = new RootKeyUpdate();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });

        Assert.Null(await Client(server).GetRootCaKeyUpdateAsync(keys.OldWithOld, Token));
    }

    [Fact]
    public async Task RootCaKeyUpdate_without_newWithOld_is_accepted_only_when_newWithNew_is_trusted()
    {
        var keys = new RootKeyUpdate();
        var server = new CmpServer(UpdateServer(keys, links: false));

        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, [keys.OldWithOld]).GetRootCaKeyUpdateAsync(null, Token));
        Assert.Equal(CmpFailureReason.NewRootCaCertificateUntrusted, e.Reason);

        var update = await Client(server, [keys.NewWithNew]).GetRootCaKeyUpdateAsync(null, Token);
        Assert.Equal(keys.NewWithNew.RawData, update!.NewWithNew.RawData);
        Assert.Null(update.NewWithOld);
        Assert.Null(update.OldWithNew);
    }

    [Fact]
    public async Task RootCaCert_that_is_not_a_certificate_is_badDataFormat()
    {
        var keys = new RootKeyUpdate();
        var server = new CmpServer(UpdateServer(keys));

        var response = await new RawPeer(server, Secret, Reference).SendAsync(Genm(
            new InfoTypeAndValue(new DerObjectIdentifier(InfoTypes.RootCaCert), new DerUtf8String("not a certificate"))));

        Assert.True(RawPeer.ErrorStatus(response).FailureInfo.HasFlag(PkiFailureInfo.BadDataFormat));
    }

    [Fact]
    public void Link_certificates_without_newWithNew_are_a_configuration_error()
    {
        var keys = new RootKeyUpdate();
        Assert.Throws<ArgumentException>(() => new CmpServer(new MockCaOptions { SrvSecret = Secret, RspNewWithOld = keys.NewWithOld }));
        Assert.Throws<ArgumentException>(() => new CmpServer(new MockCaOptions { SrvSecret = Secret, RspOldWithNew = keys.OldWithNew }));
    }

    /// <summary>A CRL of <paramref name="pki"/>'s root, issued at <paramref name="thisUpdate"/>.</summary>
    private static byte[] Crl(TestPki pki, DateTimeOffset thisUpdate)
    {
        using var issuer = pki.Root.CopyWithPrivateKey(pki.RootKey);
        var builder = new CertificateRevocationListBuilder();
        builder.AddEntry([0x01, 0x02], thisUpdate.AddHours(-1));
        return builder.Build(issuer, 7, thisUpdate.AddDays(30), HashAlgorithmName.SHA256, thisUpdate: thisUpdate);
    }

    private static DateTimeOffset Seconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeSeconds(t.ToUnixTimeSeconds());

    [Fact]
    public async Task CrlStatusList_without_thisUpdate_or_with_an_older_one_gets_the_CRL_and_with_the_same_one_none()
    {
        var pki = new TestPki();
        var thisUpdate = Seconds(DateTimeOffset.UtcNow.AddHours(-2));
        var crl = Crl(pki, thisUpdate);
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, RspCrl = crl });
        var client = Client(server);

        var fresh = await client.GetCrlUpdateAsync(pki.Root.SubjectName, null, null, Token);
        var newer = await client.GetCrlUpdateAsync(pki.Root.SubjectName, null, thisUpdate.AddDays(-1), Token);
        var same = await client.GetCrlUpdateAsync(pki.Root.SubjectName, null, thisUpdate, Token);
        var later = await client.GetCrlUpdateAsync(pki.Root.SubjectName, null, thisUpdate.AddSeconds(1), Token);

        Assert.Equal(crl, fresh!.Value.ToArray());
        Assert.Equal(crl, newer!.Value.ToArray());
        Assert.Null(same);
        Assert.Null(later);
    }

    [Fact]
    public async Task CrlStatusList_naming_another_issuer_is_refused_with_badRequest()
    {
        var pki = new TestPki();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, RspCrl = Crl(pki, DateTimeOffset.UtcNow.AddHours(-1)) });

        var e = await Assert.ThrowsAsync<CmpException>(() =>
            Client(server).GetCrlUpdateAsync(new X500DistinguishedName("CN=Some Other CA"), null, null, Token));

        Assert.Equal(CmpFailureReason.ServerError, e.Reason);
        Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.BadRequest));
        Assert.Contains("no CRL of issuer", e.ServerStatus.Texts[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrlStatusList_issuer_is_compared_as_X509_NAME_cmp_compares()
    {
        var pki = new TestPki("CN=CmpKit Test Root, O=Test");
        var crl = Crl(pki, DateTimeOffset.UtcNow.AddHours(-1));
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, RspCrl = crl });
        // Other case, extra spaces and PrintableString where the CRL has UTF8String.
        var sameIssuer = new X500DistinguishedName(new X509Name(true, "CN=cmpkit   TEST root,O= test ", new PrintableOnlyConverter()).GetEncoded());
        Assert.NotEqual(pki.Root.SubjectName.RawData, sameIssuer.RawData);

        var update = await Client(server).GetCrlUpdateAsync(sameIssuer, null, null, Token);

        Assert.Equal(crl, update!.Value.ToArray());
    }

    [Fact]
    public async Task CrlStatusList_by_distribution_point_gets_the_CRL()
    {
        var pki = new TestPki();
        var crl = Crl(pki, DateTimeOffset.UtcNow.AddHours(-1));
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, RspCrl = crl });

        var update = await Client(server).GetCrlUpdateAsync(null, [new Uri("http://crl.example/root.crl")], null, Token);

        Assert.Equal(crl, update!.Value.ToArray());
    }

    [Fact]
    public async Task CrlStatusList_without_a_configured_CRL_gets_none()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });

        Assert.Null(await Client(server).GetCrlUpdateAsync(new X500DistinguishedName("CN=Any CA"), null, null, Token));
    }

    [Fact]
    public async Task CrlStatusList_with_two_entries_or_none_is_refused()
    {
        var pki = new TestPki();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, RspCrl = Crl(pki, DateTimeOffset.UtcNow.AddHours(-1)) });
        var one = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(GeneralMessages.EncodeCrlStatusList(pki.Root.SubjectName, [], null)))[0];

        foreach (var list in new[] { new DerSequence(one, one), new DerSequence() })
        {
            var response = await new RawPeer(server, Secret, Reference).SendAsync(Genm(
                new InfoTypeAndValue(new DerObjectIdentifier(InfoTypes.CrlStatusList), list)));

            var status = RawPeer.ErrorStatus(response);
            Assert.True(status.FailureInfo.HasFlag(PkiFailureInfo.BadRequest));
            Assert.Contains("exactly one", status.Texts[0], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CrlStatusList_that_is_malformed_is_badDataFormat()
    {
        var pki = new TestPki();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, RspCrl = Crl(pki, DateTimeOffset.UtcNow.AddHours(-1)) });

        var response = await new RawPeer(server, Secret, Reference).SendAsync(Genm(
            new InfoTypeAndValue(new DerObjectIdentifier(InfoTypes.CrlStatusList), new DerSequence(new DerSequence(DerInteger.ValueOf(5))))));

        Assert.True(RawPeer.ErrorStatus(response).FailureInfo.HasFlag(PkiFailureInfo.BadDataFormat));
    }

    [Fact]
    public void RspCrl_that_is_not_a_CRL_is_a_configuration_error()
    {
        var pki = new TestPki();
        Assert.Throws<ArgumentException>(() => new CmpServer(new MockCaOptions { SrvSecret = Secret, RspCrl = pki.Root.RawData }));
    }

    [Fact]
    public async Task CertReqTemplate_names_the_reference_certificates_issuer_and_offers_EC_or_RSA_4096()
    {
        var pki = new TestPki("CN=Template Issuer CA");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, RefCert = pki.Issue("CN=ref", key) });

        var template = await Client(server).GetCertificateRequestTemplateAsync(Token);

        Assert.NotNull(template);
        Assert.Equal(4096, template.RsaKeyLength);
        Assert.Equal(["1.2.840.10045.2.1"], template.KeyAlgorithms.Select(a => a.Value));
        var issuer = Org.BouncyCastle.Asn1.Crmf.CertTemplate.GetInstance(template.CertTemplate.ToArray()).Issuer;
        Assert.Equal(pki.Root.SubjectName.RawData, issuer.GetEncoded(Asn1Encodable.Der));
    }

    [Fact]
    public async Task CertReqTemplate_without_a_reference_certificate_names_the_CA()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });

        var template = await Client(server).GetCertificateRequestTemplateAsync(Token);

        var issuer = Org.BouncyCastle.Asn1.Crmf.CertTemplate.GetInstance(template!.CertTemplate.ToArray()).Issuer;
        Assert.Equal(server.CertificateAuthority!.Certificate.SubjectName.RawData, issuer.GetEncoded(Asn1Encodable.Der));
    }

    [Fact]
    public async Task Genm_with_several_InfoTypeAndValues_answers_each_in_order()
    {
        var keys = new RootKeyUpdate();
        var server = new CmpServer(UpdateServer(keys));

        var genp = await new RawPeer(server, Secret, Reference).SendAsync(Genm(
            new InfoTypeAndValue(CmpObjectIdentifiers.it_signKeyPairTypes),
            new InfoTypeAndValue(new DerObjectIdentifier(InfoTypes.RootCaCert))));

        var answers = GenRepContent.GetInstance(genp.Body.Content).ToInfoTypeAndValueArray();
        Assert.Equal([CmpObjectIdentifiers.it_signKeyPairTypes.Id, InfoTypes.RootCaKeyUpdate], answers.Select(a => a.InfoType.Id));
    }

    /// <summary>Encodes every attribute value as PrintableString (the values used here are printable).</summary>
    private sealed class PrintableOnlyConverter : X509NameEntryConverter
    {
        public override Asn1Object GetConvertedValue(DerObjectIdentifier oid, string value) => new DerPrintableString(value);
    }
}
