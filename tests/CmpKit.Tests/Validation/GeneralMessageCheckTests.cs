using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Tests.Support;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;

namespace CmpKit.Tests.Validation;

/// <summary>C36: genm/genp and the typed helpers, each check broken once.</summary>
public class GeneralMessageCheckTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private const string CaCerts = "1.3.6.1.5.5.7.4.17";
    private const string RootCaKeyUpdate = "1.3.6.1.5.5.7.4.18";
    private const string CertReqTemplate = "1.3.6.1.5.5.7.4.19";
    private const string Crls = "1.3.6.1.5.5.7.4.23";
    private const string SignKeyPairTypes = "1.3.6.1.5.5.7.4.2"; // id-it-signKeyPairTypes (4.3 is encKeyPairTypes)
    private const string SuppLangTags = "1.3.6.1.5.5.7.4.16";

    private static ScriptedCmpServer Server(params (string Type, byte[]? Value)[] genp) =>
        new() { GenmAnswer = _ => ScriptedCmpServer.Genp(genp) };

    private static CmpClient Client(ScriptedCmpServer server) => ResponseCheckTests.Client(server);

    private static IReadOnlyList<InfoTypeAndValue> SentItavs(ScriptedCmpServer server) =>
        GenMsgContent.GetInstance(server.Received.Single().Body.Content).ToInfoTypeAndValueArray();

    private static async Task Fails(CmpFailureReason reason, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<CmpException>(call);
        Assert.Equal(reason, e.Reason);
        Assert.DoesNotContain('\n', e.Message);
        Assert.NotNull(e.TransactionId);
    }

    private static byte[] Seq(params Asn1Encodable[] items) => new DerSequence(items).GetEncoded(Asn1Encodable.Der);

    private static Asn1Encodable Der(byte[] der) => Asn1Object.FromByteArray(der);

    internal static byte[] Crl(TestPki.Issued ca) =>
        new CertificateRevocationListBuilder().Build(ca.WithKey(), BigInteger.One, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256);

    // ---- generic genm ---------------------------------------------------------------------
    [Fact]
    public async Task General_message_sends_the_itavs_and_returns_the_genp_list()
    {
        var server = Server(("1.2.3.4", Seq(new DerUtf8String("x"))), ("1.2.3.5", null));
        var genp = await Client(server).GeneralMessageAsync(
            [new CmpInfoTypeAndValue(new Oid("1.2.3.4")), CmpInfoTypeAndValue.Integer("1.2.3.6", 7)], Ct);
        Assert.Equal(["1.2.3.4", "1.2.3.5"], genp.Select(i => i.TypeValue));
        Assert.Equal(Seq(new DerUtf8String("x")), genp[0].Value!.Value.ToArray());
        Assert.Null(genp[1].Value);
        var sent = SentItavs(server);
        Assert.Equal(["1.2.3.4", "1.2.3.6"], sent.Select(i => i.InfoType.Id));
        Assert.Null(sent[0].InfoValue);
        Assert.Equal(7, DerInteger.GetInstance(sent[1].InfoValue).IntValueExact);
    }

    [Fact]
    public Task C21_genm_answered_with_an_ip() =>
        Fails(CmpFailureReason.UnexpectedBody, () => Client(new ScriptedCmpServer
        {
            GenmAnswer = _ => ScriptedCmpServer.CertRep(1, 0, PkiStatus.Accepted, null),
        }).GeneralMessageAsync([], Ct));

    // ---- caCerts ----------------------------------------------------------------------------
    [Fact]
    public async Task CaCerts_returns_the_certificates()
    {
        var root = TestPki.CreateRoot("CN=Root A").Certificate;
        var sub = TestPki.IssueWithKey(TestPki.CreateRoot("CN=Root B"), "CN=Sub", ca: true).Certificate;
        var server = Server((CaCerts, Seq(Der(root.RawData), Der(sub.RawData))));
        var certs = await Client(server).GetCaCertificatesAsync(Ct);
        Assert.Equal([root, sub], certs.Cast<X509Certificate2>());
        Assert.Equal(CaCerts, Assert.Single(SentItavs(server)).InfoType.Id);
    }

    [Fact]
    public async Task CaCerts_without_a_value_is_an_empty_list()
    {
        Assert.Empty(await Client(Server((CaCerts, null))).GetCaCertificatesAsync(Ct));
    }

    [Fact]
    public Task C36_genp_without_the_requested_info_type() =>
        Fails(CmpFailureReason.UnexpectedInfoType, () => Client(Server(("1.2.3.4", null))).GetCaCertificatesAsync(Ct));

    [Fact]
    public Task C36_genp_with_the_info_type_twice() =>
        Fails(CmpFailureReason.UnexpectedInfoType, () => Client(Server((CaCerts, null), (CaCerts, null))).GetCaCertificatesAsync(Ct));

    [Fact]
    public Task C36_ca_certs_with_an_end_entity_certificate()
    {
        var leaf = TestPki.IssueWithKey(TestPki.CreateRoot(), "CN=Leaf").Certificate;
        return Fails(CmpFailureReason.InvalidCaCertificates, () => Client(Server((CaCerts, Seq(Der(leaf.RawData))))).GetCaCertificatesAsync(Ct));
    }

    [Fact]
    public Task C36_ca_certs_with_an_expired_ca_certificate()
    {
        var expired = TestPki.CreateRoot("CN=Old", DateTimeOffset.UtcNow.AddYears(-3), DateTimeOffset.UtcNow.AddDays(-1)).Certificate;
        return Fails(CmpFailureReason.InvalidCaCertificates, () => Client(Server((CaCerts, Seq(Der(expired.RawData))))).GetCaCertificatesAsync(Ct));
    }

    [Fact]
    public Task C36_ca_certs_value_that_is_not_a_certificate_list() =>
        Fails(CmpFailureReason.InvalidCaCertificates, () => Client(Server((CaCerts, Seq(new DerUtf8String("x"))))).GetCaCertificatesAsync(Ct));

    // ---- rootCaKeyUpdate --------------------------------------------------------------------
    private sealed record RootUpdate(X509Certificate2 OldWithOld, X509Certificate2 NewWithNew, X509Certificate2 NewWithOld, X509Certificate2 OldWithNew);

    private static X509Certificate2 Cert(string dn, AsymmetricAlgorithm subjectKey, ECDsa signer, bool selfSigned = false)
    {
        var req = new CertificateRequest(dn, (ECDsa)subjectKey, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var nb = DateTimeOffset.UtcNow.AddDays(-1);
        var na = DateTimeOffset.UtcNow.AddYears(2);
        var cert = selfSigned ? req.CreateSelfSigned(nb, na)
            : req.Create(new X500DistinguishedName(dn), X509SignatureGenerator.CreateForECDsa(signer), nb, na, RandomNumberGenerator.GetBytes(8));
        return X509CertificateLoader.LoadCertificate(cert.RawData);
    }

    private static RootUpdate MakeRootUpdate(ECDsa? newWithOldSigner = null, ECDsa? oldWithNewSigner = null)
    {
        const string Dn = "CN=Rolling Root";
        var oldKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new RootUpdate(
            Cert(Dn, oldKey, oldKey, selfSigned: true),
            Cert(Dn, newKey, newKey, selfSigned: true),
            Cert(Dn, newKey, newWithOldSigner ?? oldKey),
            Cert(Dn, oldKey, oldWithNewSigner ?? newKey));
    }

    private static byte[] RootUpdateValue(RootUpdate u, bool withNewWithOld = true) =>
        withNewWithOld
            ? Seq(Der(u.NewWithNew.RawData), new DerTaggedObject(true, 0, Der(u.NewWithOld.RawData)), new DerTaggedObject(true, 1, Der(u.OldWithNew.RawData)))
            : Seq(Der(u.NewWithNew.RawData), new DerTaggedObject(true, 1, Der(u.OldWithNew.RawData)));

    [Fact]
    public async Task Root_ca_key_update_verified_with_the_old_root_certificate()
    {
        var u = MakeRootUpdate();
        var server = Server((RootCaKeyUpdate, RootUpdateValue(u)));
        var result = await Client(server).GetRootCaKeyUpdateAsync(u.OldWithOld, Ct);
        Assert.Equal(u.NewWithNew, result!.NewWithNew);
        Assert.Equal(u.NewWithOld, result.NewWithOld);
        Assert.Equal(u.OldWithNew, result.OldWithNew);
        var sent = Assert.Single(SentItavs(server));
        Assert.Equal("1.3.6.1.5.5.7.4.20", sent.InfoType.Id);
        Assert.Equal(u.OldWithOld.RawData, sent.InfoValue.ToAsn1Object().GetEncoded(Asn1Encodable.Der));
    }

    [Fact]
    public async Task Root_ca_key_update_verified_with_the_trust_anchors()
    {
        var u = MakeRootUpdate();
        var server = Server((RootCaKeyUpdate, RootUpdateValue(u)));
        var client = ResponseCheckTests.Client(server, ResponseCheckTests.MacOptions(server) with { TrustAnchors = [server.Ca.Certificate, u.OldWithOld] });
        Assert.NotNull(await client.GetRootCaKeyUpdateAsync(null, Ct));
        Assert.Null(Assert.Single(SentItavs(server)).InfoValue);
    }

    [Fact]
    public async Task Root_ca_key_update_absent_means_no_update()
    {
        Assert.Null(await Client(Server((RootCaKeyUpdate, null))).GetRootCaKeyUpdateAsync(MakeRootUpdate().OldWithOld, Ct));
    }

    [Fact]
    public Task C36_new_with_old_signed_by_another_key()
    {
        var u = MakeRootUpdate(newWithOldSigner: ECDsa.Create(ECCurve.NamedCurves.nistP256));
        return Fails(CmpFailureReason.NewRootCaCertificateUntrusted,
            () => Client(Server((RootCaKeyUpdate, RootUpdateValue(u)))).GetRootCaKeyUpdateAsync(u.OldWithOld, Ct));
    }

    [Fact]
    public Task C36_new_with_old_not_verifiable_with_any_trust_anchor()
    {
        var u = MakeRootUpdate();
        return Fails(CmpFailureReason.NewRootCaCertificateUntrusted,
            () => Client(Server((RootCaKeyUpdate, RootUpdateValue(u)))).GetRootCaKeyUpdateAsync(null, Ct));
    }

    [Fact]
    public Task C36_no_new_with_old_and_new_with_new_not_trusted()
    {
        var u = MakeRootUpdate();
        return Fails(CmpFailureReason.NewRootCaCertificateUntrusted,
            () => Client(Server((RootCaKeyUpdate, RootUpdateValue(u, withNewWithOld: false)))).GetRootCaKeyUpdateAsync(u.OldWithOld, Ct));
    }

    [Fact]
    public Task C36_old_with_new_signed_by_another_key()
    {
        var u = MakeRootUpdate(oldWithNewSigner: ECDsa.Create(ECCurve.NamedCurves.nistP256));
        return Fails(CmpFailureReason.InvalidOldWithNew,
            () => Client(Server((RootCaKeyUpdate, RootUpdateValue(u)))).GetRootCaKeyUpdateAsync(u.OldWithOld, Ct));
    }

    // ---- certReqTemplate ---------------------------------------------------------------------
    private static byte[] TemplateValue(params Asn1Encodable[] keySpec)
    {
        var template = new CertTemplateBuilder().SetSubject(Names.ToX509Name(new X500DistinguishedName("CN=from template"))).Build();
        return keySpec.Length == 0 && keySpec is not null ? Seq(template) : Seq(template, new DerSequence(keySpec));
    }

    private static AttributeTypeAndValue Control(string oid, Asn1Encodable value) => new(new DerObjectIdentifier(oid), value);

    [Fact]
    public async Task Certificate_request_template_with_key_spec()
    {
        var server = Server((CertReqTemplate, TemplateValue(
            Control("1.3.6.1.5.5.7.5.1.11", new Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier(new DerObjectIdentifier("1.2.840.10045.2.1"))),
            Control("1.3.6.1.5.5.7.5.1.12", DerInteger.ValueOf(3072)))));
        var template = await Client(server).GetCertificateRequestTemplateAsync(Ct);
        Assert.Equal("CN=from template", template!.Subject!.Name);
        Assert.Equal("1.2.840.10045.2.1", Assert.Single(template.KeyAlgorithms).Value);
        Assert.Equal(3072, template.RsaKeyLength);
        Assert.False(template.CertTemplate.IsEmpty);
    }

    [Fact]
    public async Task Certificate_request_template_absent_means_none()
    {
        Assert.Null(await Client(Server((CertReqTemplate, null))).GetCertificateRequestTemplateAsync(Ct));
    }

    [Fact]
    public Task C36_key_spec_with_an_unknown_control() =>
        Fails(CmpFailureReason.InvalidCertificateRequestTemplate, () => Client(Server((CertReqTemplate,
            TemplateValue(Control("1.2.3.4", DerNull.Instance))))).GetCertificateRequestTemplateAsync(Ct));

    [Fact]
    public Task C36_key_spec_with_a_negative_rsa_key_length() =>
        Fails(CmpFailureReason.InvalidCertificateRequestTemplate, () => Client(Server((CertReqTemplate,
            TemplateValue(Control("1.3.6.1.5.5.7.5.1.12", DerInteger.ValueOf(-1)))))).GetCertificateRequestTemplateAsync(Ct));

    [Fact]
    public Task C36_certificate_request_template_that_is_not_a_template() =>
        Fails(CmpFailureReason.InvalidCertificateRequestTemplate, () => Client(Server((CertReqTemplate, Seq(DerInteger.ValueOf(1)))))
            .GetCertificateRequestTemplateAsync(Ct));

    // ---- crlStatusList / crls ----------------------------------------------------------------
    [Fact]
    public async Task Crl_update_returns_the_one_crl_and_sends_the_crl_status()
    {
        var ca = TestPki.CreateRoot("CN=CRL CA");
        var crl = Crl(ca);
        var server = Server((Crls, Seq(Der(crl))));
        var since = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var result = await Client(server).GetCrlUpdateAsync(ca.Certificate.SubjectName, null, since, Ct);
        Assert.Equal(crl, result!.Value.ToArray());
        var sent = Assert.Single(SentItavs(server));
        Assert.Equal("1.3.6.1.5.5.7.4.22", sent.InfoType.Id);
        var status = Asn1Sequence.GetInstance(Asn1Sequence.GetInstance(sent.InfoValue)[0]);
        Assert.Equal(2, status.Count); // source (issuer) and thisUpdate
        Assert.Equal(1, Asn1TaggedObject.GetInstance(status[0]).TagNo);
    }

    [Fact]
    public async Task Crl_update_by_distribution_point_sends_the_dpn_choice()
    {
        var server = Server((Crls, null));
        await Client(server).GetCrlUpdateAsync(null, [new Uri("http://crl.example/ca.crl")], null, Ct);
        var status = Asn1Sequence.GetInstance(Asn1Sequence.GetInstance(Assert.Single(SentItavs(server)).InfoValue)[0]);
        var source = Asn1TaggedObject.GetInstance(Assert.Single(status));
        Assert.Equal(0, source.TagNo); // dpn [0] DistributionPointName, fullName [0] GeneralNames
        var fullName = Asn1TaggedObject.GetInstance(source.GetExplicitBaseObject());
        Assert.Equal(0, fullName.TagNo);
        var uri = Org.BouncyCastle.Asn1.X509.GeneralNames.GetInstance(fullName, false).GetNames().Single();
        Assert.Equal("http://crl.example/ca.crl", uri.Name.ToString());
    }

    [Fact]
    public async Task Crl_update_without_issuer_or_distribution_point_is_refused()
    {
        var server = Server((Crls, null));
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server).GetCrlUpdateAsync(null, null, null, Ct));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task Crl_update_absent_means_no_newer_crl()
    {
        Assert.Null(await Client(Server((Crls, null))).GetCrlUpdateAsync(new X500DistinguishedName("CN=CA"), null, null, Ct));
    }

    [Fact]
    public Task C36_crls_with_two_crls()
    {
        var crl = Crl(TestPki.CreateRoot());
        return Fails(CmpFailureReason.InvalidCrlUpdate, () => Client(Server((Crls, Seq(Der(crl), Der(crl))))).GetCrlUpdateAsync(new X500DistinguishedName("CN=CA"), null, null, Ct));
    }

    [Fact]
    public Task C36_crls_with_something_that_is_not_a_crl() =>
        Fails(CmpFailureReason.InvalidCrlUpdate, () => Client(Server((Crls, Seq(DerInteger.ValueOf(5))))).GetCrlUpdateAsync(new X500DistinguishedName("CN=CA"), null, null, Ct));

    // ---- signKeyPairTypes, suppLangTags ------------------------------------------------------
    [Fact]
    public async Task Sign_key_pair_types()
    {
        var server = Server((SignKeyPairTypes, Seq(new Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier(new DerObjectIdentifier("1.2.840.10045.4.3.2")))));
        var types = await Client(server).GetSignKeyPairTypesAsync(Ct);
        Assert.Equal("1.2.840.10045.4.3.2", Assert.Single(types).Value);
    }

    [Fact]
    public Task C36_sign_key_pair_types_empty() =>
        Fails(CmpFailureReason.InvalidSignKeyPairTypes, () => Client(Server((SignKeyPairTypes, Seq()))).GetSignKeyPairTypesAsync(Ct));

    [Fact]
    public Task C36_sign_key_pair_types_without_value() =>
        Fails(CmpFailureReason.InvalidSignKeyPairTypes, () => Client(Server((SignKeyPairTypes, null))).GetSignKeyPairTypesAsync(Ct));

    [Fact]
    public async Task Language_tag_negotiation()
    {
        var server = Server((SuppLangTags, Seq(new DerUtf8String("DE"))));
        Assert.Equal("DE", await Client(server).NegotiateLanguageTagAsync(["en", "de"], Ct));
        var offered = Asn1Sequence.GetInstance(Assert.Single(SentItavs(server)).InfoValue);
        Assert.Equal(["en", "de"], offered.Select(o => DerUtf8String.GetInstance(o).GetString()));
    }

    [Fact]
    public Task C36_language_tag_not_offered() =>
        Fails(CmpFailureReason.InvalidLanguageTag, () => Client(Server((SuppLangTags, Seq(new DerUtf8String("fr"))))).NegotiateLanguageTagAsync(["en"], Ct));

    [Fact]
    public Task C36_two_language_tags() =>
        Fails(CmpFailureReason.InvalidLanguageTag, () => Client(Server((SuppLangTags, Seq(new DerUtf8String("en"), new DerUtf8String("de"))))).NegotiateLanguageTagAsync(["en", "de"], Ct));
}
