using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Server;
using CmpKit.Transport;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;

namespace CmpKit.Tests.Server;

/// <summary>
/// OpenSSL mock-server behaviour beyond the basics: certProfile checking, rr by issuer and serial with names compared
/// as X509_NAME_cmp does, keeping requests' extraCerts (-no_cache_extracerts) and -no_check_time.
/// </summary>
public class CmpServerMockOptionTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("test");
    private static readonly byte[] Reference = Encoding.UTF8.GetBytes("ref");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static CmpClient Client(CmpServer server, CmpClientOptions options) => new(new InProcessCmpTransport(server.HandleAsync), options);

    private static CmpClientOptions MacClient(string? profile = null) => new()
    {
        MacCredentials = new CmpMacCredentials(Secret, Reference),
        CertificateProfile = profile,
    };

    private static CertificateRequestTemplate Template(ECDsa key) => new() { NewKey = key, Subject = new X500DistinguishedName("CN=profiled") };

    [Fact]
    public async Task Cr_with_the_profile_OpenSSLs_mock_server_knows_is_granted()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = await Client(server, MacClient("profile1")).EnrollAsync(Template(key), Token);

        Assert.Equal(CmpServerTransactionState.Confirmed, server.FindTransaction(result.TransactionId.Span)!.State);
    }

    [Theory]
    [InlineData(CertificateRequestKind.Additional)]
    [InlineData(CertificateRequestKind.Initial)]
    public async Task A_profile_the_server_does_not_know_is_rejected_with_badCertTemplate(CertificateRequestKind kind)
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, MacClient("profile2")).RequestCertificateAsync(kind, Template(key), Token));

        Assert.Equal(CmpFailureReason.ServerError, e.Reason);
        Assert.Equal(PkiFailureInfo.BadCertTemplate, e.ServerStatus!.FailureInfo);
        Assert.Contains("'profile2' is not supported", e.ServerStatus.Texts[0], StringComparison.Ordinal);
        Assert.Equal(CmpServerTransactionState.RejectedByServer, Assert.Single(server.Transactions).State);
        Assert.Null(Assert.Single(server.Transactions).IssuedCertificate);
    }

    [Fact]
    public async Task Configured_profiles_replace_the_default_and_null_accepts_any()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var gold = new CmpServer(new MockCaOptions { SrvSecret = Secret, CertProfiles = ["gold"] });
        var any = new CmpServer(new MockCaOptions { SrvSecret = Secret, CertProfiles = null });

        await Client(gold, MacClient("gold")).EnrollAsync(Template(key), Token);
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(gold, MacClient("profile1")).EnrollAsync(Template(key), Token));
        Assert.Equal(PkiFailureInfo.BadCertTemplate, e.ServerStatus!.FailureInfo);
        await Client(any, MacClient("whatever")).EnrollAsync(Template(key), Token);
        await Client(any, MacClient()).EnrollAsync(Template(key), Token);
    }

    private static PkiBody Rr(byte[] issuerDer, byte[] serial)
    {
        var template = new CertTemplateBuilder()
            .SetIssuer(X509Name.GetInstance(Asn1Object.FromByteArray(issuerDer)))
            .SetSerialNumber(new DerInteger(new BigInteger(1, serial)))
            .Build();
        return new PkiBody(PkiBody.TYPE_REVOCATION_REQ, RevReqContent.GetInstance(new DerSequence(new RevDetails(template))));
    }

    private static CmpStatusInfo RpStatus(PkiMessage rp) => StatusInfos.ToCmp(RevRepContent.GetInstance(rp.Body.Content).GetStatus()[0]);

    [Fact]
    public async Task Rr_naming_the_issuer_with_another_string_type_case_and_spacing_revokes_the_certificate()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = await new RawPeer(server, Secret, Reference).EnrollAsync(key);
        // The mock CA's name is "CN=CmpKit Mock CA" as UTF8String; this is PrintableString, other case, more spaces.
        var issuer = new X509Name(false, "CN= cmpkit  MOCK ca", new PrintableOnlyConverter()).GetEncoded();
        Assert.NotEqual(issued.IssuerName.RawData, issuer);

        var rp = RpStatus(await new RawPeer(server, Secret, Reference).SendAsync(Rr(issuer, issued.SerialNumberBytes.ToArray())));

        Assert.Equal(PkiStatus.Accepted, rp.Status);
        Assert.True(server.IsRevoked(issued));
    }

    [Fact]
    public async Task Rr_naming_another_issuer_with_the_right_serial_is_badCertId()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = await new RawPeer(server, Secret, Reference).EnrollAsync(key);
        var issuer = new X509Name(false, "CN=CmpKit Mock CB", new PrintableOnlyConverter()).GetEncoded();

        var rp = RpStatus(await new RawPeer(server, Secret, Reference).SendAsync(Rr(issuer, issued.SerialNumberBytes.ToArray())));

        Assert.Equal(PkiStatus.Rejection, rp.Status);
        Assert.True(rp.FailureInfo.HasFlag(PkiFailureInfo.BadCertId));
        Assert.False(server.IsRevoked(issued));
    }

    /// <summary>root -> intermediate -> leaf, the leaf valid from <paramref name="leafFrom"/> to <paramref name="leafTo"/>.</summary>
    private sealed class Chain
    {
        public Chain(DateTimeOffset? leafFrom = null, DateTimeOffset? leafTo = null, string rootName = "CN=CmpKit Test Root")
        {
            var now = DateTimeOffset.UtcNow;
            Pki = new TestPki(rootName);
            IntermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var ica = new CertificateRequest("CN=CmpKit Test Intermediate", IntermediateKey, HashAlgorithmName.SHA256);
            ica.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            ica.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            ica.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(ica.PublicKey, false));
            using (var c = ica.Create(Pki.Root.SubjectName, X509SignatureGenerator.CreateForECDsa(Pki.RootKey), now.AddDays(-5), now.AddYears(2), [0x21]))
            {
                Intermediate = X509CertificateLoader.LoadCertificate(c.RawData);
            }
            LeafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var leaf = new CertificateRequest("CN=chained client", LeafKey, HashAlgorithmName.SHA256);
            leaf.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            leaf.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(leaf.PublicKey, false));
            using (var c = leaf.Create(Intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(IntermediateKey),
                       leafFrom ?? now.AddDays(-1), leafTo ?? now.AddYears(1), [0x31]))
            {
                Leaf = X509CertificateLoader.LoadCertificate(c.RawData);
            }
            OtherLeafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var other = new CertificateRequest("CN=other chained client", OtherLeafKey, HashAlgorithmName.SHA256);
            other.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            other.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(other.PublicKey, false));
            using (var c = other.Create(Intermediate.SubjectName, X509SignatureGenerator.CreateForECDsa(IntermediateKey), now.AddDays(-1), now.AddYears(1), [0x32]))
            {
                OtherLeaf = X509CertificateLoader.LoadCertificate(c.RawData);
            }
        }

        /// <summary>A second client certificate of the same intermediate CA.</summary>
        public X509Certificate2 OtherLeaf { get; }
        public ECDsa OtherLeafKey { get; }

        public CmpClientOptions OtherClientOptions(CmpServer server) => new()
        {
            SignatureCredentials = new CmpSignatureCredentials(OtherLeaf, OtherLeafKey, []),
            TrustAnchors = [server.SigningCertificate!],
        };

        public TestPki Pki { get; }
        public ECDsa IntermediateKey { get; }
        public X509Certificate2 Intermediate { get; }
        public ECDsa LeafKey { get; }
        public X509Certificate2 Leaf { get; }

        public CmpClientOptions ClientOptions(CmpServer server, bool sendChain) => new()
        {
            SignatureCredentials = new CmpSignatureCredentials(Leaf, LeafKey, sendChain ? [Intermediate] : []),
            TrustAnchors = [server.SigningCertificate!],
        };
    }

    [Fact]
    public async Task ExtraCerts_of_a_verified_request_serve_later_requests_that_leave_the_chain_out()
    {
        var chain = new Chain();
        var server = new CmpServer(new MockCaOptions { SrvTrusted = [chain.Pki.Root] });

        await Client(server, chain.ClientOptions(server, sendChain: true)).GetCaCertificatesAsync(Token);
        Assert.Contains(server.CachedExtraCertificates, c => c.RawData.AsSpan().SequenceEqual(chain.Intermediate.RawData));

        var caCerts = await Client(server, chain.ClientOptions(server, sendChain: false)).GetCaCertificatesAsync(Token);
        Assert.Single(caCerts);
    }

    [Fact]
    public async Task With_NoCacheExtraCerts_only_the_signer_itself_is_remembered()
    {
        var chain = new Chain();
        var server = new CmpServer(new MockCaOptions { SrvTrusted = [chain.Pki.Root], NoCacheExtraCerts = true });

        await Client(server, chain.ClientOptions(server, sendChain: true)).GetCaCertificatesAsync(Token);
        Assert.Empty(server.CachedExtraCertificates);

        // Sender certificate caching (OpenSSL's server keeps the validated sender certificate): the same
        // signer needs no chain the second time ...
        await Client(server, chain.ClientOptions(server, sendChain: false)).GetCaCertificatesAsync(Token);
        // ... but another certificate of the same CA does: the intermediate was not kept.
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, chain.OtherClientOptions(server)).GetCaCertificatesAsync(Token));
        Assert.Equal(CmpFailureReason.ServerError, e.Reason);
        Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.SignerNotTrusted));
    }

    [Fact]
    public async Task Without_NoCacheExtraCerts_another_certificate_of_the_same_CA_needs_no_chain()
    {
        var chain = new Chain();
        var server = new CmpServer(new MockCaOptions { SrvTrusted = [chain.Pki.Root] });

        await Client(server, chain.ClientOptions(server, sendChain: true)).GetCaCertificatesAsync(Token);
        await Client(server, chain.OtherClientOptions(server)).GetCaCertificatesAsync(Token);
    }

    [Fact]
    public async Task ExtraCerts_of_a_request_whose_protection_fails_are_not_kept()
    {
        var chain = new Chain();
        var otherRoot = new TestPki("CN=Another Root");
        var server = new CmpServer(new MockCaOptions { SrvTrusted = [otherRoot.Root] });

        await Assert.ThrowsAsync<CmpException>(() => Client(server, chain.ClientOptions(server, sendChain: true)).GetCaCertificatesAsync(Token));

        Assert.Empty(server.CachedExtraCertificates);
    }

    [Fact]
    public async Task The_cache_is_bounded_and_forgets_the_oldest_first()
    {
        // Same intermediate and leaf names under two roots: the kept certificates of the first client must not
        // stand in for the second client's own chain.
        var first = new Chain(rootName: "CN=First Root");
        var second = new Chain(rootName: "CN=Second Root");
        var server = new CmpServer(new MockCaOptions { SrvTrusted = [first.Pki.Root, second.Pki.Root], MaxCachedExtraCerts = 2 });

        await Client(server, first.ClientOptions(server, sendChain: true)).GetCaCertificatesAsync(Token);
        await Client(server, second.ClientOptions(server, sendChain: true)).GetCaCertificatesAsync(Token);

        Assert.Equal([second.Leaf.RawData, second.Intermediate.RawData], server.CachedExtraCertificates.Select(c => c.RawData));
    }

    [Fact]
    public async Task An_expired_client_certificate_is_accepted_only_with_NoCheckTime()
    {
        var now = DateTimeOffset.UtcNow;
        var chain = new Chain(now.AddDays(-30), now.AddDays(-1));
        var strict = new CmpServer(new MockCaOptions { SrvTrusted = [chain.Pki.Root] });
        var lenient = new CmpServer(new MockCaOptions { SrvTrusted = [chain.Pki.Root], NoCheckTime = true });

        var e = await Assert.ThrowsAsync<CmpException>(() => Client(strict, chain.ClientOptions(strict, sendChain: true)).GetCaCertificatesAsync(Token));
        Assert.Equal(CmpFailureReason.ServerError, e.Reason);
        Assert.Contains("not valid now", e.ServerStatus!.Texts[0], StringComparison.Ordinal);

        Assert.Single(await Client(lenient, chain.ClientOptions(lenient, sendChain: true)).GetCaCertificatesAsync(Token));
    }

    [Fact]
    public void Names_compare_as_X509_NAME_cmp_does()
    {
        static byte[] Printable(string dn) => new X509Name(false, dn, new PrintableOnlyConverter()).GetEncoded();
        var utf8 = new X500DistinguishedName("CN=Test  CA, O=Example").RawData;

        Assert.Equal(Names.Canonical(utf8), Names.Canonical(Printable("O= example ,CN=test ca")));
        Assert.NotEqual(Names.Canonical(utf8), Names.Canonical(Printable("O=Example,CN=Test CB")));
        // Order matters (an RDN sequence), and so does the attribute type.
        Assert.NotEqual(Names.Canonical(utf8), Names.Canonical(Printable("CN=Test CA,O=Example")));
        Assert.NotEqual(Names.Canonical(Printable("CN=x")), Names.Canonical(Printable("OU=x")));
        // Only ASCII letters are folded, as OpenSSL does.
        Assert.NotEqual(Names.Canonical(new X500DistinguishedName("CN=Ä").RawData), Names.Canonical(new X500DistinguishedName("CN=ä").RawData));
        Assert.Null(Names.Canonical([0x30, 0x03, 0x02, 0x01, 0x05]));
    }

    /// <summary>Encodes every attribute value as PrintableString (the values used here are printable).</summary>
    private sealed class PrintableOnlyConverter : X509NameEntryConverter
    {
        public override Asn1Object GetConvertedValue(DerObjectIdentifier oid, string value) => new DerPrintableString(value);
    }
}
