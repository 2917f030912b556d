using System.Formats.Asn1;
using CmpKit.Messages;
using CmpKit.Tests.Support;
using static CmpKit.Tests.Cli.CliRun;

namespace CmpKit.Tests.Cli;

/// <summary>
/// cmpkit -cmd rr and -cmd genm, -geninfo, -profile, -repeat, -srvcertout and the message files
/// (-reqout, -rspout, -rspin, -reqout_only), in process against the embedded mock CA.
/// </summary>
public class CliRrGenmTests
{
    private const string Secret = "pass:rr-genm-secret";

    private static string[] Pbm => ["-srv_secret", Secret, "-srv_ref", "srv", "-secret", Secret, "-ref", "cli"];

    /// <summary>An ir against the mock with a key file kept for later runs; returns (key, cert) paths.</summary>
    private static async Task<(string Key, string Cert)> EnrollAsync(TempDir dir, string name = "ee")
    {
        string key = dir.File(name + ".key"), cert = dir.File(name + ".pem");
        AssertSuccess(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=" + name, "-newkeyout", key, "-certout", cert]));
        return (key, cert);
    }

    [Fact]
    public async Task RrRevokesTheOldCertWithAndWithoutReason()
    {
        using var dir = new TempDir();
        var (_, cert) = await EnrollAsync(dir);

        AssertSuccess(await RunAsync(["-use_mock_srv", .. Pbm, "-ref_cert", cert, "-cmd", "rr", "-oldcert", cert]));
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-ref_cert", cert, "-cmd", "rr", "-oldcert", cert, "-revreason", "1"]);
        AssertSuccess(r);
        Assert.Contains("revocation accepted", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RrRejectedFailsWithTheServerStatus()
    {
        using var dir = new TempDir();
        var (_, cert) = await EnrollAsync(dir);

        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "rr", "-oldcert", cert]); // not known to this mock
        Assert.Contains("badCertId", AssertOneError(r), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4)] // revocationWarning
    [InlineData(5)] // revocationNotification
    public async Task RrWarningStatusSucceedsWithAlreadyRevokedWarning(int status)
    {
        using var dir = new TempDir();
        var (_, cert) = await EnrollAsync(dir);

        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-ref_cert", cert, "-pkistatus", status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-cmd", "rr", "-oldcert", cert]);

        AssertSuccess(r);
        Assert.Contains(r.ErrLines, l => l.StartsWith("cmpkit: warning: ", StringComparison.Ordinal) && l.Contains("already revoked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RrByIssuerAndSerialNamesThemInTheRequest()
    {
        using var dir = new TempDir();
        var rr = dir.File("rr.der");
        AssertSuccess(await RunAsync(["-server", "127.0.0.1:9", .. Pbm[4..], "-cmd", "rr", "-issuer", "/CN=Some CA", "-serial", "0x1F2e", "-reqout_only", rr]));

        var body = Org.BouncyCastle.Asn1.Cmp.RevReqContent.GetInstance(Org.BouncyCastle.Asn1.Cmp.PkiMessage.GetInstance(File.ReadAllBytes(rr)).Body.Content);
        var template = body.ToRevDetailsArray()[0].CertDetails;
        Assert.Equal(0x1F2E, template.SerialNumber.IntValueExact);
        Assert.Equal("CN=Some CA", template.Issuer.ToString());
    }

    [Theory]
    [InlineData("-revreason", "7")]
    [InlineData("-revreason", "11")]
    [InlineData("-issuer", "/CN=x")]
    [InlineData("-serial", "12")]
    public async Task RrBadOptions(string option, string value)
    {
        using var dir = new TempDir();
        var (_, cert) = await EnrollAsync(dir);
        AssertOneError(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "rr", "-oldcert", cert, option, value]));
    }

    [Fact]
    public async Task RepeatRrSecondRevocationSucceedsWithAlreadyRevokedWarning()
    {
        using var dir = new TempDir();
        var (_, cert) = await EnrollAsync(dir);

        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-ref_cert", cert, "-cmd", "rr", "-oldcert", cert, "-repeat", "2"]);

        // The mock revokes once, then answers revocationNotification, which is success with a warning (C35).
        Assert.Equal(0, r.Exit);
        Assert.Contains("transaction 2 of 2", r.Err, StringComparison.Ordinal);
        Assert.Contains("already revoked", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepeatIrRunsTwoTransactions()
    {
        using var dir = new TempDir();
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=twice", "-newkeyout", dir.File("k.pem"),
            "-certout", dir.File("c.pem"), "-repeat", "2", "-reqout", $"{dir.File("ir1.der")},{dir.File("cc1.der")} {dir.File("ir2.der")},{dir.File("cc2.der")}"]);

        AssertSuccess(r);
        var tid1 = Header(dir.File("ir1.der")).TransactionID.GetOctets();
        var tid2 = Header(dir.File("ir2.der")).TransactionID.GetOctets();
        Assert.NotEqual(tid1, tid2);
        Assert.Equal(tid2, Header(dir.File("cc2.der")).TransactionID.GetOctets());
    }

    [Fact]
    public async Task GenmWithoutInfoType()
    {
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm"]);
        AssertSuccess(r);
        Assert.Contains("genp contains no ITAV", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenmWithGenericInfoTypeIsEchoed()
    {
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-infotype", "signKeyPairTypes"]);
        AssertSuccess(r);
        Assert.Contains("genp contains InfoType 'signKeyPairTypes'", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenmCaCertsSavesTheCaCertificates()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-rsp_capubs", pki.RootPem, "-cmd", "genm", "-infotype", "caCerts", "-cacertsout", dir.File("ca.pem")]);
        AssertSuccess(r);
        Assert.Equal(pki.Root.Certificate.RawData, LoadPem(dir.File("ca.pem")).RawData);

        Assert.Contains("-cacertsout", AssertOneError(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-infotype", "caCerts"])));
    }

    [Theory]
    [InlineData("rootCaCert", "-newwithnew")]
    [InlineData("certReqTemplate", "-template")]
    [InlineData("crlStatusList", "-crlout")]
    public async Task GenmTypedInfoTypesNeedTheirOutputFile(string infoType, string option)
    {
        Assert.Contains(option, AssertOneError(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-infotype", infoType])));
    }

    [Fact]
    public async Task GenmCertReqTemplateSavesTemplateAndKeySpecOverStaleFiles()
    {
        using var dir = new TempDir();
        var template = dir.Write("template.der", "stale");
        var keySpec = dir.Write("keyspec.der", "stale");
        // The mock answers as OpenSSL's: a template naming the issuer, and keySpec EC or RSA 4096.
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-infotype", "certReqTemplate", "-template", template, "-keyspec", keySpec]);

        AssertSuccess(r);
        var certTemplate = Org.BouncyCastle.Asn1.Crmf.CertTemplate.GetInstance(File.ReadAllBytes(template));
        Assert.NotNull(certTemplate.Issuer);
        var controls = Org.BouncyCastle.Asn1.Asn1Sequence.GetInstance(File.ReadAllBytes(keySpec));
        Assert.Equal(2, controls.Count);
    }

    [Fact]
    public async Task GenmCrlStatusListReadsOldCrlAndGetsTheNewerOneFromRspCrl()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        var builder = new System.Security.Cryptography.X509Certificates.CertificateRevocationListBuilder();
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        byte[] Crl(int number, DateTimeOffset thisUpdate) =>
            builder.Build(pki.Root.WithKey(), number, now.AddDays(1), System.Security.Cryptography.HashAlgorithmName.SHA256, thisUpdate: thisUpdate);
        var oldCrl = dir.Write("old.crl", System.Security.Cryptography.PemEncoding.WriteString("X509 CRL", Crl(1, now.AddHours(-2))));
        var latest = Crl(2, now.AddHours(-1));
        var newCrl = dir.Write("latest.crl", System.Security.Cryptography.PemEncoding.WriteString("X509 CRL", latest));

        // The mock server (-rsp_crl) has a newer CRL than -oldcrl: it is sent and saved.
        AssertSuccess(await RunAsync(["-use_mock_srv", .. Pbm, "-rsp_crl", newCrl, "-cmd", "genm", "-infotype", "crlStatusList",
            "-oldcrl", oldCrl, "-crlout", dir.File("got.crl"), "-crlform", "DER"]));
        Assert.Equal(latest, File.ReadAllBytes(dir.File("got.crl")));

        // The client has the latest one: no CRL, and no -crlout file.
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-rsp_crl", newCrl, "-cmd", "genm", "-infotype", "crlStatusList",
            "-oldcrl", newCrl, "-crlout", dir.File("none.crl")]);
        AssertSuccess(r);
        Assert.Contains("no CRL update available", r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("none.crl")));

        Assert.Contains("-oldcrl", AssertOneError(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-infotype", "crlStatusList",
            "-oldcrl", pki.RootPem, "-crlout", dir.File("new.crl")])));
        Assert.Contains("CRL to be returned by the mock server", AssertOneError(await RunAsync(["-use_mock_srv", .. Pbm, "-rsp_crl", pki.RootPem, "-cmd", "genm",
            "-infotype", "crlStatusList", "-oldcrl", oldCrl, "-crlout", dir.File("new.crl")])));
    }

    [Fact]
    public async Task GenInfoAndProfileGoIntoTheRequestHeader()
    {
        using var dir = new TempDir();
        var req = dir.File("genm.der");
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-geninfo", "1.2.3.4:int:987,1.2.3.5:str:hello", "-profile", "tls-server", "-reqout", req]);

        AssertSuccess(r);
        var items = Header(req).GetGeneralInfo().Select(i => (i.InfoType.Id, Der: i.InfoValue?.ToAsn1Object().GetEncoded("DER"))).ToList();
        Assert.Contains(items, i => i.Id == "1.2.3.4" && new AsnReader(i.Der, AsnEncodingRules.DER).ReadInteger() == 987);
        Assert.Contains(items, i => i.Id == "1.2.3.5" && new AsnReader(i.Der, AsnEncodingRules.DER).ReadCharacterString(UniversalTagNumber.UTF8String) == "hello");
        Assert.Contains(items, i => i.Id == InfoTypes.CertProfile);
    }

    [Theory]
    [InlineData("1.2.3.4:int:x")]
    [InlineData("1.2.3.4:bool:1")]
    [InlineData("name:int:1")]
    public async Task BadGenInfo(string spec)
    {
        Assert.Contains("-geninfo", AssertOneError(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-geninfo", spec])));
    }

    [Fact]
    public async Task SavedTransactionReplaysWithoutServer()
    {
        using var dir = new TempDir();
        string key = dir.File("k.pem"), cert1 = dir.File("c1.pem"), cert2 = dir.File("c2.pem");
        string ir = dir.File("ir.der"), ip = dir.File("ip.der"), cc = dir.File("certConf.der"), pc = dir.File("pkiConf.der");
        AssertSuccess(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=replay", "-newkeyout", key, "-certout", cert1,
            "-reqout", $"{ir},{cc}", "-rspout", $"{ip},{pc}"]));
        Assert.All(new[] { ir, ip, cc, pc }, f => Assert.True(File.Exists(f), f));

        // No server at all: the responses come from the files; their transactionID and nonces are adopted.
        var r = await RunAsync(["-secret", Secret, "-ref", "cli", "-cmd", "ir", "-subject", "/CN=replay", "-newkey", key, "-certout", cert2,
            "-rspin", $"{ip},{pc}"]);
        AssertSuccess(r);
        Assert.Equal(LoadPem(cert1).RawData, LoadPem(cert2).RawData);

        // Too few response files and no server: a clear error.
        Assert.Contains("-rspin", AssertOneError(await RunAsync(["-secret", Secret, "-ref", "cli", "-cmd", "ir", "-subject", "/CN=replay",
            "-newkey", key, "-certout", dir.File("c3.pem"), "-rspin", ip])));
        // A wrong secret still fails: protection is checked on replayed responses.
        AssertOneError(await RunAsync(["-secret", "pass:wrong", "-ref", "cli", "-cmd", "ir", "-subject", "/CN=replay", "-newkey", key,
            "-certout", dir.File("c4.pem"), "-rspin", $"{ip},{pc}"]));
    }

    [Fact]
    public async Task ReqinSendsTheSavedRequestAndTheClientFollowsItsTransaction()
    {
        using var dir = new TempDir();
        string key = dir.File("k.pem"), ir = dir.File("ir.der");
        AssertSuccess(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=reqin", "-newkeyout", key, "-certout", dir.File("c1.pem"),
            "-reqout_only", ir]));

        // A fresh mock gets the saved ir; the client's own certConf follows in the saved request's transaction.
        var rspOut = $"{dir.File("ip.der")},{dir.File("pkiConf.der")}";
        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=other", "-newkey", key, "-certout", dir.File("c2.pem"),
            "-reqin", ir, "-reqout", $"{dir.File("sent-ir.der")},{dir.File("certConf.der")}", "-rspout", rspOut]);

        AssertSuccess(r);
        Assert.Equal("CN=reqin", LoadPem(dir.File("c2.pem")).Subject); // the saved request was sent, not the one built
        var tid = Header(ir).TransactionID.GetOctets();
        Assert.Equal(tid, Header(dir.File("ip.der")).TransactionID.GetOctets());
        Assert.Equal(tid, Header(dir.File("certConf.der")).TransactionID.GetOctets());
        Assert.NotEqual(tid, Header(dir.File("sent-ir.der")).TransactionID.GetOctets()); // -reqout saves the request built
    }

    [Fact]
    public async Task ReqinNewTidSendsTheSavedRequestInAFreshTransaction()
    {
        using var dir = new TempDir();
        string key = dir.File("k.pem"), ir = dir.File("ir.der");
        AssertSuccess(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=newtid", "-newkeyout", key, "-certout", dir.File("c1.pem"),
            "-reqout_only", ir]));

        var r = await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "ir", "-subject", "/CN=other", "-newkey", key, "-certout", dir.File("c2.pem"),
            "-reqin", ir, "-reqin_new_tid", "-rspout", $"{dir.File("ip.der")},{dir.File("pkiConf.der")}"]);

        AssertSuccess(r);
        Assert.Equal("CN=newtid", LoadPem(dir.File("c2.pem")).Subject);
        var saved = Header(ir);
        var answered = Header(dir.File("ip.der"));
        Assert.NotEqual(saved.TransactionID.GetOctets(), answered.TransactionID.GetOctets());
        Assert.Equal(saved.SenderNonce.GetOctets(), answered.RecipNonce.GetOctets()); // the same request, re-protected
    }

    [Fact]
    public async Task ReqoutOnlySavesTheFirstRequestAndSendsNothing()
    {
        using var dir = new TempDir();
        var only = dir.File("only.der");
        var r = await RunAsync(["-server", "127.0.0.1:9", "-secret", Secret, "-ref", "cli", "-cmd", "ir", "-subject", "/CN=only",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"), "-reqout_only", only]);

        AssertSuccess(r);
        Assert.Equal((int)BodyType.Ir, Org.BouncyCastle.Asn1.Cmp.PkiMessage.GetInstance(File.ReadAllBytes(only)).Body.Type);
        Assert.False(File.Exists(dir.File("c.pem")));
    }

    [Fact]
    public async Task SrvCertOutSavesTheSigningCertificateOrDeletesTheFile()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        var srvOut = dir.File("srv.pem");
        AssertSuccess(await RunAsync(["-use_mock_srv", "-srv_cert", pki.ServerPem, "-srv_key", pki.ServerKey, "-srv_trusted", pki.RootPem,
            "-cert", pki.ClientPem, "-key", pki.ClientKey, "-trusted", pki.RootPem, "-cmd", "genm", "-srvcertout", srvOut]));
        Assert.Equal(pki.Server.Certificate.RawData, LoadPem(srvOut).RawData);

        AssertSuccess(await RunAsync(["-use_mock_srv", .. Pbm, "-cmd", "genm", "-srvcertout", srvOut])); // MAC-protected
        Assert.False(File.Exists(srvOut));
    }

    private static Org.BouncyCastle.Asn1.Cmp.PkiHeader Header(string path) =>
        Org.BouncyCastle.Asn1.Cmp.PkiMessage.GetInstance(File.ReadAllBytes(path)).Header;
}
