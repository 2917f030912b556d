using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Cli.Options;
using CmpKit.Messages;
using CmpKit.Tests.Support;
using Org.BouncyCastle.Asn1.Cmp;
using static CmpKit.Tests.Cli.CliRun;

namespace CmpKit.Tests.Cli;

/// <summary>
/// Behaviours OpenSSL's CMP suite rows need from the client, each positive and negative: -geninfo with
/// OID names, -reqout/-rspout with fewer names than messages, -reqin (old and new transactionID),
/// output folders of -template/-keyspec, -sans against a subjectAltName of -reqexts, -certout equal to
/// -chainout, -partial_chain, -crl_check/-crl_check_all with -crls.
/// </summary>
public class CliSuiteRowTests
{
    private const string Secret = "pass:suite-row-secret";

    private static string[] Pbm => ["-srv_secret", Secret, "-srv_ref", "srv", "-secret", Secret, "-ref", "cli"];

    private static PkiMessage Message(string path) => PkiMessage.GetInstance(File.ReadAllBytes(path));

    // ---- -geninfo ------------------------------------------------------------------------------

    [Fact]
    public async Task GenInfoTakesOidNamesAndItemsSeparatedBySpacesOrCommas()
    {
        using var dir = new TempDir();
        var req = dir.File("genm.der");
        // as OpenSSL's rows: a short name with a string, an empty string, a dotted OID with an int; plus a long name
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-geninfo", "id-kp:str:name 1.3:int:987, id-it:str:,commonName:int:-5", "-reqout", req]);

        AssertSuccess(r);
        var items = Message(req).Header.GetGeneralInfo().Select(i => (i.InfoType.Id, Der: i.InfoValue?.ToAsn1Object().GetEncoded("DER"))).ToList();
        Assert.Equal(4, items.Count);
        Assert.Equal(("1.3.6.1.5.5.7.3", "name"), (items[0].Id, new AsnReader(items[0].Der, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String)));
        Assert.Equal(("1.3", new BigInteger(987)), (items[1].Id, new AsnReader(items[1].Der, AsnEncodingRules.DER).ReadInteger()));
        Assert.Equal(("1.3.6.1.5.5.7.4", ""), (items[2].Id, new AsnReader(items[2].Der, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String)));
        Assert.Equal(("2.5.4.3", new BigInteger(-5)), (items[3].Id, new AsnReader(items[3].Der, AsnEncodingRules.DER).ReadInteger()));
    }

    [Theory]
    [InlineData("id-kp_:int:987", "id-kp_")] // OpenSSL's row: trailing '_'
    [InlineData("ID-KP:str:x", "ID-KP")] // names are case-sensitive, as in OpenSSL
    [InlineData("id-kp", "id-kp")]
    [InlineData("1.2.3:int::987", "is not an integer")]
    [InlineData("id-kp:str:a 1.2.3:xyz:1", "unknown type 'xyz'")]
    public async Task BadGenInfoIsOneLineNamingTheItem(string spec, string expected)
    {
        using var dir = new TempDir();
        var req = dir.File("genm.der");
        var line = AssertOneError(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-geninfo", spec, "-reqout", req]));
        Assert.Contains("-geninfo", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.False(File.Exists(req)); // refused before anything was sent
    }

    [Theory]
    [InlineData("id-kp", "1.3.6.1.5.5.7.3")]
    [InlineData("id-it-caCerts", "1.3.6.1.5.5.7.4.17")]
    [InlineData("serverAuth", "1.3.6.1.5.5.7.3.1")]
    [InlineData("TLS Web Client Authentication", "1.3.6.1.5.5.7.3.2")]
    [InlineData("subjectAltName", "2.5.29.17")]
    [InlineData("X509v3 Subject Alternative Name", "2.5.29.17")]
    [InlineData("1.2.3.4", "1.2.3.4")]
    [InlineData("id-kp_", null)]
    [InlineData("Id-kp", null)]
    [InlineData("1", null)]
    [InlineData("", null)]
    public void OidNamesResolveShortLongAndDottedNames(string text, string? oid)
    {
        Assert.Equal(oid, OidNames.Resolve(text));
    }

    // ---- -reqout / -rspout with fewer names than messages --------------------------------------

    [Fact]
    public async Task ReqoutAndRspoutSaveAsManyMessagesAsNamesAreGiven()
    {
        using var dir = new TempDir();
        string ir = dir.File("ir.der"), ip = dir.File("ip.der");
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=few", "-newkeyout", dir.File("k.pem"),
            "-certout", dir.File("c.pem"), "-reqout", ir, "-rspout", ip]);

        AssertSuccess(r);
        Assert.Equal(PkiBody.TYPE_INIT_REQ, Message(ir).Body.Type); // the first message of each list is saved,
        Assert.Equal(PkiBody.TYPE_INIT_REP, Message(ip).Body.Type); // certConf and pkiConf are not
        Assert.Equal(["c.pem", "ip.der", "ir.der", "k.pem"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task ReqoutIntoAMissingFolderFails()
    {
        using var dir = new TempDir();
        var line = AssertOneError(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=few", "-newkeyout", dir.File("k.pem"),
            "-certout", dir.File("c.pem"), "-reqout", dir.File("nodir/ir.der")]));
        Assert.Contains("-reqout", line, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("c.pem")));
    }

    // ---- -reqin with the saved transaction's requests -----------------------------------------

    /// <summary>
    /// Runs an ir against a mock that returns a fixed certificate (as OpenSSL's mock with -rsp_cert: a saved
    /// certConf's certHash then fits every later run), saving ir and certConf; returns (key, ir, certConf, mock options).
    /// </summary>
    private static async Task<(string Key, string Ir, string CertConf, string[] Mock)> SaveTransactionAsync(TempDir dir)
    {
        var ca = TestPki.CreateRoot("CN=Reqin CA");
        var leaf = TestPki.IssueWithKey(ca, "CN=saved");
        string key = dir.Write("k.pem", leaf.Key.ExportPkcs8PrivateKeyPem()), ir = dir.File("ir.der"), cc = dir.File("certConf.der");
        string[] mock = ["-use_mock_srv", .. Pbm, "-rsp_cert", dir.Write("rsp.pem", leaf.Certificate.ExportCertificatePem())];
        AssertSuccess(await RunAsync([.. mock, "-cmd", "ir", "-subject", "/CN=saved", "-newkey", key, "-certout", dir.File("c0.pem"),
            "-reqout", $"{ir} {cc}"]));
        return (key, ir, cc, mock);
    }

    [Fact]
    public async Task ReqinWithTheOldTransactionIdSendsBothSavedRequestsWithTheCurrentRecipNonce()
    {
        using var dir = new TempDir();
        var (key, ir, cc, mock) = await SaveTransactionAsync(dir);
        string ip = dir.File("ip.der"), pkiConf = dir.File("pkiConf.der");

        // A fresh mock gets the saved ir and then the saved certConf, whose recipNonce must be the new ip's senderNonce.
        var r = await RunAsync([.. mock, "-cmd", "ir", "-subject", "/CN=other", "-newkey", key, "-certout", dir.File("c1.pem"),
            "-reqin", $"{ir} {cc}", "-rspout", $"{ip},{pkiConf}"]);

        AssertSuccess(r);
        Assert.Equal("CN=saved", LoadPem(dir.File("c1.pem")).Subject);
        var tid = Message(ir).Header.TransactionID.GetOctets();
        Assert.Equal(tid, Message(ip).Header.TransactionID.GetOctets());
        Assert.Equal(tid, Message(pkiConf).Header.TransactionID.GetOctets());
        Assert.Equal(PkiBody.TYPE_CONFIRM, Message(pkiConf).Body.Type); // the mock accepted the saved certConf
    }

    [Fact]
    public async Task ReqinNewTidGivesAllSavedRequestsTheClientsOneFreshTransactionId()
    {
        using var dir = new TempDir();
        var (key, ir, cc, mock) = await SaveTransactionAsync(dir);
        string ip = dir.File("ip.der"), pkiConf = dir.File("pkiConf.der");

        var r = await RunAsync([.. mock, "-cmd", "ir", "-subject", "/CN=other", "-newkey", key, "-certout", dir.File("c1.pem"),
            "-reqin", $"{ir},{cc}", "-reqin_new_tid", "-rspout", $"{ip} {pkiConf}"]);

        AssertSuccess(r);
        var oldTid = Message(ir).Header.TransactionID.GetOctets();
        var newTid = Message(ip).Header.TransactionID.GetOctets();
        Assert.NotEqual(oldTid, newTid);
        Assert.Equal(newTid, Message(pkiConf).Header.TransactionID.GetOctets()); // the certConf went in the same new transaction
        Assert.Equal(Message(ir).Header.SenderNonce.GetOctets(), Message(ip).Header.RecipNonce.GetOctets()); // the saved ir, re-protected
    }

    [Fact]
    public async Task ReqinFileThatIsNotAMessageFails()
    {
        using var dir = new TempDir();
        var (key, ir, _, mock) = await SaveTransactionAsync(dir);
        var junk = dir.Write("junk.der", "not a PKIMessage");
        var line = AssertOneError(await RunAsync([.. mock, "-cmd", "ir", "-subject", "/CN=other", "-newkey", key,
            "-certout", dir.File("c1.pem"), "-reqin", $"{ir} {junk}"]));
        Assert.False(File.Exists(dir.File("c1.pem")));
        Assert.DoesNotContain("rejected", line, StringComparison.Ordinal);
    }

    // ---- -template / -keyspec into a folder that does not exist -----------------------------

    [Theory]
    [InlineData("-template")]
    [InlineData("-keyspec")]
    public async Task CertReqTemplateOutputInAMissingFolderFailsBeforeSending(string option)
    {
        using var dir = new TempDir();
        string template = dir.File("t.der"), keySpec = dir.File("k.der");
        if (option == "-template")
        {
            template = dir.File("idontexist/idontexist");
        }
        else
        {
            keySpec = dir.File("idontexist/idontexist");
        }
        // a server that does not listen: the check must come before any connection attempt
        var line = AssertOneError(await RunAsync(["-server", "127.0.0.1:9", "-secret", Secret, "-ref", "cli", "-cmd", "genm",
            "-infotype", "certReqTemplate", "-template", template, "-keyspec", keySpec]));
        Assert.Contains(option + ":", line, StringComparison.Ordinal);
        Assert.Contains("does not exist", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertReqTemplateOutputInAnExistingFolderRuns()
    {
        using var dir = new TempDir();
        AssertSuccess(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-infotype", "certReqTemplate",
            "-template", dir.File("t.der"), "-keyspec", dir.File("k.der")]));
    }

    // ---- -sans against -reqexts -----------------------------------------------------------------

    private static string ExtConfig(TempDir dir) => dir.Write("ext.cnf", """
        [with_san]
        keyUsage = critical, digitalSignature
        subjectAltName = DNS:a.example

        [without_san]
        keyUsage = critical, digitalSignature
        """);

    [Fact]
    public async Task SansWithASubjectAltNameInReqextsFails()
    {
        using var dir = new TempDir();
        var line = AssertOneError(await RunAsync(["-config", ExtConfig(dir), "-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=s",
            "-reqexts", "with_san", "-sans", "localhost", "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem")]));
        Assert.Contains("-sans", line, StringComparison.Ordinal);
        Assert.Contains("-reqexts", line, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("c.pem")));
    }

    [Fact]
    public async Task SansWithReqextsWithoutSubjectAltNameWorks()
    {
        using var dir = new TempDir();
        AssertSuccess(await RunAsync(["-config", ExtConfig(dir), "-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=s",
            "-reqexts", "without_san", "-sans", "localhost", "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem")]));
        var cert = LoadPem(dir.File("c.pem"));
        Assert.Equal(["localhost"], cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.True(cert.Extensions.OfType<X509KeyUsageExtension>().Single().Critical);
    }

    // ---- -certout equal to -chainout ------------------------------------------------------------

    [Fact]
    public async Task CertoutEqualToChainoutHoldsTheCertificateThenTheChainAndServesAsCert()
    {
        using var dir = new TempDir();
        string key = dir.File("k.pem"), both = dir.File("both.pem");
        // ephemeral mock (no credentials on either side): its ip carries the CA certificate, so there is a chain
        AssertSuccess(await RunAsync(["-use_mock_srv", "-cmd", "ir", "-subject", "/CN=both", "-newkeyout", key,
            "-certout", both, "-chainout", Path.Combine(dir.Path, ".", "both.pem")]));

        var certs = LoadPemAll(both);
        Assert.True(certs.Count >= 2, "certificate and chain expected");
        Assert.Equal("CN=both", certs[0].Subject);
        Assert.Equal(certs[0].Issuer, certs[1].Subject);

        // as OpenSSL's next row: the file works as -cert with the new key
        AssertSuccess(await RunAsync(["-use_mock_srv", "-secret", Secret, "-cmd", "cr", "-cert", both, "-key", key, "-subject", "/CN=next",
            "-newkeyout", dir.File("k2.pem"), "-certout", dir.File("c2.pem")]));
    }

    [Fact]
    public async Task CertoutAndChainoutInDifferentFilesStaySeparate()
    {
        using var dir = new TempDir();
        AssertSuccess(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=apart", "-newkeyout", dir.File("k.pem"),
            "-certout", dir.File("c.pem"), "-chainout", dir.File("chain.pem")]));
        Assert.Single(LoadPemAll(dir.File("c.pem")));
        Assert.DoesNotContain(LoadPemAll(dir.File("chain.pem")).Cast<X509Certificate2>(), c => c.Subject == "CN=apart");
    }

    // ---- -partial_chain, -crl_check, -crl_check_all, -crls ------------------------------------

    /// <summary>Root → intermediate → CMP server; the client certificate comes from the root.</summary>
    private sealed class ChainPki
    {
        public ChainPki(TempDir dir)
        {
            Root = TestPki.CreateRoot("CN=Row Root");
            Intermediate = TestPki.IssueWithKey(Root, "CN=Row Intermediate", keyUsage: X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, ca: true);
            Server = TestPki.IssueWithKey(Intermediate, "CN=Row Server");
            Client = TestPki.IssueWithKey(Root, "CN=Row Client");
            RootPem = dir.Write("root.pem", Root.Certificate.ExportCertificatePem());
            IntermediatePem = dir.Write("intermediate.pem", Intermediate.Certificate.ExportCertificatePem());
            ServerPem = dir.Write("server.pem", Server.Certificate.ExportCertificatePem());
            var serverKey = dir.Write("server.key", Server.Key.ExportPkcs8PrivateKeyPem());
            var clientPem = dir.Write("client.pem", Client.Certificate.ExportCertificatePem());
            var clientKey = dir.Write("client.key", Client.Key.ExportPkcs8PrivateKeyPem());
            MockAndClient = ["-use_mock_srv", "-srv_cert", ServerPem, "-srv_key", serverKey, "-srv_trusted", RootPem,
                "-cert", clientPem, "-key", clientKey, "-cmd", "genm"];
        }

        public TestPki.Issued Root { get; }
        public TestPki.Issued Intermediate { get; }
        public TestPki.Issued Server { get; }
        public TestPki.Issued Client { get; }
        public string RootPem { get; }
        public string IntermediatePem { get; }
        public string ServerPem { get; }
        public string[] MockAndClient { get; }

        public byte[] Crl(TestPki.Issued ca, params X509Certificate2[] revoked)
        {
            var b = new CertificateRevocationListBuilder();
            foreach (var c in revoked)
            {
                b.AddEntry(c, DateTimeOffset.UtcNow.AddMinutes(-5), X509RevocationReason.Superseded);
            }
            return b.Build(ca.WithKey(), BigInteger.One, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256,
                thisUpdate: DateTimeOffset.UtcNow.AddMinutes(-1));
        }
    }

    [Fact]
    public async Task PartialChainAcceptsAnIntermediateAsTrustAnchor()
    {
        using var dir = new TempDir();
        var pki = new ChainPki(dir);
        string[] args = [.. pki.MockAndClient, "-trusted", pki.IntermediatePem, "-srv_untrusted", pki.IntermediatePem];

        Assert.Contains("not trusted", AssertOneError(await RunAsync(args)), StringComparison.Ordinal);
        AssertSuccess(await RunAsync([.. args, "-partial_chain"]));
    }

    [Fact]
    public async Task OwnTrustedChecksTheClientCertificateBeforeAnythingIsSent()
    {
        using var dir = new TempDir();
        var pki = new ChainPki(dir);
        var otherRoot = dir.Write("other-root.pem", TestPki.CreateRoot("CN=Other Root").Certificate.ExportCertificatePem());
        string[] args = [.. pki.MockAndClient, "-trusted", pki.RootPem, "-untrusted", pki.IntermediatePem];

        AssertSuccess(await RunAsync([.. args, "-own_trusted", pki.RootPem]));
        Assert.Contains("-own_trusted: the -cert certificate does not chain to these trust anchors",
            AssertOneError(await RunAsync([.. args, "-own_trusted", otherRoot])), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyDepthLimitsTheIntermediatesOfTheServersChain()
    {
        using var dir = new TempDir();
        var pki = new ChainPki(dir);
        string[] args = [.. pki.MockAndClient, "-trusted", pki.RootPem, "-untrusted", pki.IntermediatePem];

        AssertSuccess(await RunAsync([.. args, "-verify_depth", "1"])); // one intermediate: allowed
        Assert.Contains("intermediate CA certificates, more than the limit of 0", AssertOneError(await RunAsync([.. args, "-verify_depth", "0"])), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrlCheckWithTheCrlsOfTheChain()
    {
        using var dir = new TempDir();
        var pki = new ChainPki(dir);
        string[] args = [.. pki.MockAndClient, "-trusted", pki.RootPem, "-untrusted", pki.IntermediatePem];
        var intermediateCrlPem = dir.Write("intermediate.crl.pem", PemEncoding.WriteString("X509 CRL", pki.Crl(pki.Intermediate)));
        var rootCrlDer = dir.File("root.crl");
        File.WriteAllBytes(rootCrlDer, pki.Crl(pki.Root));
        var revokingCrlDer = dir.File("revoking.crl");
        File.WriteAllBytes(revokingCrlDer, pki.Crl(pki.Intermediate, pki.Server.Certificate));

        AssertSuccess(await RunAsync(args)); // no status check asked for
        Assert.Contains("no CRL", AssertOneError(await RunAsync([.. args, "-crl_check"])), StringComparison.Ordinal); // fails closed
        AssertSuccess(await RunAsync([.. args, "-crl_check", "-crls", intermediateCrlPem]));
        Assert.Contains("CN=Row Intermediate", AssertOneError(await RunAsync([.. args, "-crl_check_all", "-crls", intermediateCrlPem])), StringComparison.Ordinal);
        AssertSuccess(await RunAsync([.. args, "-crl_check_all", "-crls", $"{intermediateCrlPem},{rootCrlDer}"]));
        Assert.Contains("revoked", AssertOneError(await RunAsync([.. args, "-crl_check", "-crls", revokingCrlDer])), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CrlCheckDoesNotApplyToSrvcertNorToOutTrusted()
    {
        using var dir = new TempDir();
        var pki = new ChainPki(dir);
        // as OpenSSL's row "out_trusted accept issuing ca cert even with CRL check enabled": the mock returns a certificate
        // of the intermediate, which -out_trusted trusts with -partial_chain; no CRL anywhere, yet success
        var leaf = TestPki.IssueWithKey(pki.Intermediate, "CN=new");
        var leafPem = dir.Write("leaf.pem", leaf.Certificate.ExportCertificatePem());
        var leafKey = dir.Write("leaf.key", leaf.Key.ExportPkcs8PrivateKeyPem());
        string[] args = [.. pki.MockAndClient.SkipLast(2), "-cmd", "ir", "-srvcert", pki.ServerPem, "-crl_check",
            "-out_trusted", pki.IntermediatePem, "-rsp_cert", leafPem, "-newkey", leafKey];
        AssertSuccess(await RunAsync([.. args, "-partial_chain", "-certout", dir.File("c.pem")]));
        Assert.Equal(leaf.Certificate.RawData, LoadPem(dir.File("c.pem")).RawData);
        // without -partial_chain the intermediate is no trust anchor: the new certificate is rejected
        AssertOneError(await RunAsync([.. args, "-certout", dir.File("c2.pem")]));
        Assert.False(File.Exists(dir.File("c2.pem")));
    }

    [Fact]
    public async Task CrlsThatAreNotCrlsFailWithOneLine()
    {
        using var dir = new TempDir();
        var pki = new ChainPki(dir);
        var notCrl = dir.Write("cert-not-crl.pem", pki.Root.Certificate.ExportCertificatePem());
        Assert.Contains("-crls", AssertOneError(await RunAsync([.. pki.MockAndClient, "-trusted", pki.RootPem, "-crl_check", "-crls", notCrl])), StringComparison.Ordinal);
        var junk = dir.Write("junk.crl", "garbage");
        Assert.Contains("CRL", AssertOneError(await RunAsync([.. pki.MockAndClient, "-trusted", pki.RootPem, "-crl_check", "-crls", junk])), StringComparison.Ordinal);
        Assert.Contains("-crls", AssertOneError(await RunAsync([.. pki.MockAndClient, "-trusted", pki.RootPem, "-crl_check", "-crls", dir.File("missing.crl")])), StringComparison.Ordinal);
    }
}
