using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Tests.Support;
using static CmpKit.Tests.Cli.CliRun;

namespace CmpKit.Tests.Cli;

/// <summary>End-to-end runs of the cmpkit CLI (in process) against the embedded mock CA (-use_mock_srv).</summary>
public class UseMockSrvTests
{
    private const string Secret = "s3cr3t-Pbm-value";

    [Fact]
    public async Task ReadmeQuickStartEnrollsGeneratedKey()
    {
        using var dir = new TempDir();
        var keyOut = dir.File("demo.key");
        var certOut = dir.File("demo.crt");

        var r = await RunAsync("-use_mock_srv", "-cmd", "ir", "-subject", "/CN=demo", "-newkeyout", keyOut, "-certout", certOut);

        AssertSuccess(r);
        var cert = LoadPem(certOut);
        Assert.Equal("CN=demo", cert.Subject);
        var pem = File.ReadAllText(keyOut);
        Assert.Contains("-----BEGIN PRIVATE KEY-----", pem);
        using var key = ECDsa.Create();
        key.ImportFromPem(pem);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), cert.PublicKey.ExportSubjectPublicKeyInfo());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyOut));
        }
    }

    [Fact]
    public async Task NewKeyOutWithPassphraseWritesEncryptedPkcs8()
    {
        using var dir = new TempDir();
        var keyOut = dir.File("k.pem");
        var certOut = dir.File("c.pem");

        var r = await RunAsync("-use_mock_srv", "-cmd", "ir", "-subject", "/CN=enc", "-newkeyout", keyOut, "-newkeypass", "pass:kp", "-certout", certOut);

        AssertSuccess(r);
        var pem = File.ReadAllText(keyOut);
        Assert.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", pem);
        using var key = ECDsa.Create();
        key.ImportFromEncryptedPem(pem, "kp");
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), LoadPem(certOut).PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Theory]
    [InlineData("ir")]
    [InlineData("cr")]
    [InlineData("p10cr")]
    public async Task PbmEnrollment(string cmd)
    {
        using var dir = new TempDir();
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyFile = dir.Write("new.key", newKey.ExportPkcs8PrivateKeyPem());
        var certOut = dir.File("out.crt");
        var args = new List<string> { "-use_mock_srv", "-srv_secret", "pass:" + Secret, "-srv_ref", "srv",
            "-cmd", cmd, "-ref", "client-ref", "-secret", "pass:" + Secret, "-certout", certOut };
        if (cmd == "p10cr")
        {
            var req = new CertificateRequest("CN=pkcs10", newKey, HashAlgorithmName.SHA256);
            args.AddRange(["-csr", dir.Write("req.csr", req.CreateSigningRequestPem())]);
        }
        else
        {
            args.AddRange(["-newkey", keyFile, "-subject", "/CN=pkcs10"]);
        }

        var r = await RunAsync([.. args]);

        AssertSuccess(r);
        Assert.DoesNotContain(Secret, r.Err);
        var cert = LoadPem(certOut);
        Assert.Equal("CN=pkcs10", cert.Subject);
        Assert.Equal(newKey.ExportSubjectPublicKeyInfo(), cert.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public async Task PbmWithWrongSecretFails()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-srv_secret", "pass:right-one", "-cmd", "ir", "-ref", "r", "-secret", "pass:" + Secret,
            "-newkeyout", dir.File("k"), "-subject", "/CN=x", "-certout", dir.File("c"));

        AssertOneError(r, Secret, "right-one");
        Assert.False(File.Exists(dir.File("c")));
    }

    [Fact]
    public async Task PbmKeyUpdateOfOldCert()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certOut = dir.File("kur.crt");

        var r = await RunAsync("-use_mock_srv", "-srv_secret", "pass:" + Secret, "-cmd", "kur", "-ref", "r", "-secret", "pass:" + Secret,
            "-oldcert", pki.ClientPem, "-newkey", dir.Write("new.key", newKey.ExportPkcs8PrivateKeyPem()), "-certout", certOut);

        AssertSuccess(r);
        var cert = LoadPem(certOut);
        Assert.Equal(pki.Client.Certificate.Subject, cert.Subject); // kur keeps the subject of the old certificate
        Assert.Equal(newKey.ExportSubjectPublicKeyInfo(), cert.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Theory]
    [InlineData("ir")]
    [InlineData("cr")]
    [InlineData("kur")]
    [InlineData("p10cr")]
    public async Task SignatureEnrollmentWithOwnPki(string cmd)
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certOut = dir.File("out.crt");
        var args = new List<string> { "-use_mock_srv", "-srv_cert", pki.ServerPem, "-srv_key", pki.ServerKey, "-srv_trusted", pki.RootPem,
            "-cmd", cmd, "-cert", pki.ClientPem, "-key", pki.ClientKey, "-trusted", pki.RootPem, "-certout", certOut };
        if (cmd == "p10cr")
        {
            var req = new CertificateRequest("CN=sig", newKey, HashAlgorithmName.SHA256);
            args.AddRange(["-csr", dir.Write("req.csr", req.CreateSigningRequestPem())]);
        }
        else
        {
            args.AddRange(["-newkey", dir.Write("new.key", newKey.ExportPkcs8PrivateKeyPem())]);
            if (cmd != "kur")
            {
                args.AddRange(["-subject", "/CN=sig"]);
            }
        }

        var r = await RunAsync([.. args]);

        AssertSuccess(r);
        var cert = LoadPem(certOut);
        Assert.Equal(cmd == "kur" ? pki.Client.Certificate.Subject : "CN=sig", cert.Subject);
        Assert.Equal(newKey.ExportSubjectPublicKeyInfo(), cert.PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public async Task SignatureWithSrvcertInsteadOfTrusted()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        var certOut = dir.File("out.crt");

        var r = await RunAsync("-use_mock_srv", "-srv_cert", pki.ServerPem, "-srv_key", pki.ServerKey, "-srv_trusted", pki.RootPem,
            "-cmd", "cr", "-cert", pki.ClientPem, "-key", pki.ClientKey, "-srvcert", pki.ServerPem,
            "-newkeyout", dir.File("k.pem"), "-subject", "/CN=pinned", "-certout", certOut);

        AssertSuccess(r);
        Assert.Equal("CN=pinned", LoadPem(certOut).Subject);
    }

    [Fact]
    public async Task SignatureWithUntrustedServerFails()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);

        var r = await RunAsync("-use_mock_srv", "-srv_cert", pki.ServerPem, "-srv_key", pki.ServerKey, "-srv_trusted", pki.RootPem,
            "-cmd", "cr", "-cert", pki.ClientPem, "-key", pki.ClientKey, "-trusted", pki.OtherRootPem,
            "-newkeyout", dir.File("k.pem"), "-subject", "/CN=x", "-certout", dir.File("c.pem"));

        var line = AssertOneError(r);
        Assert.Contains("[", line); // names the failed check
        Assert.False(File.Exists(dir.File("c.pem")));
    }

    [Fact]
    public async Task OutputsChainExtraCertsCaPubs()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        var extra = TestPki.CreateRoot("CN=Extra One");
        var extraPem = dir.Write("extra.pem", extra.Certificate.ExportCertificatePem());

        var r = await RunAsync("-use_mock_srv", "-srv_secret", "pass:" + Secret, "-cmd", "ir", "-ref", "r", "-secret", "pass:" + Secret,
            "-rsp_extracerts", extraPem, "-rsp_capubs", pki.RootPem,
            "-newkeyout", dir.File("k.pem"), "-subject", "/CN=outs",
            "-certout", dir.File("cert.pem"), "-chainout", dir.File("chain.pem"),
            "-extracertsout", dir.File("extra-out.pem"), "-cacertsout", dir.File("capubs.pem"));

        AssertSuccess(r);
        var cert = LoadPem(dir.File("cert.pem"));
        Assert.Equal("CN=outs", cert.Subject);
        var extraOut = LoadPemAll(dir.File("extra-out.pem"));
        Assert.Contains(extraOut.Cast<X509Certificate2>(), c => c.Thumbprint == extra.Certificate.Thumbprint);
        var caPubs = LoadPemAll(dir.File("capubs.pem"));
        Assert.Equal([pki.Root.Certificate.Thumbprint], caPubs.Cast<X509Certificate2>().Select(c => c.Thumbprint));
    }

    [Fact]
    public async Task ChainOutHoldsTheIssuingCa()
    {
        using var dir = new TempDir();

        var r = await RunAsync("-use_mock_srv", "-cmd", "ir", "-subject", "/CN=chain",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("cert.pem"), "-chainout", dir.File("chain.pem"));

        AssertSuccess(r);
        var cert = LoadPem(dir.File("cert.pem"));
        var chain = LoadPemAll(dir.File("chain.pem"));
        Assert.NotEmpty(chain);
        Assert.Equal(cert.Issuer, chain[0].Subject);
        Assert.DoesNotContain(chain.Cast<X509Certificate2>(), c => c.Thumbprint == cert.Thumbprint);
        Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(dir.File("chain.pem")));
    }

    [Fact]
    public async Task CertformDerWritesDer()
    {
        using var dir = new TempDir();
        var certOut = dir.File("out.der");

        var r = await RunAsync("-use_mock_srv", "-cmd", "ir", "-subject", "/CN=der", "-newkeyout", dir.File("k.pem"), "-certout", certOut, "-certform", "DER");

        AssertSuccess(r);
        var bytes = File.ReadAllBytes(certOut);
        Assert.Equal(0x30, bytes[0]);
        Assert.Equal("CN=der", X509CertificateLoader.LoadCertificate(bytes).Subject);
    }

    [Fact]
    public async Task ConfigFileSectionsSupplyOptions()
    {
        using var dir = new TempDir();
        var certOut = dir.File("cfg.crt");
        var config = dir.Write("cmp.cnf", $"""
            [default]
            cmd = cr
            subject = /CN=from-default

            [first]
            subject = /CN=from-first
            srv_secret = pass:{Secret}
            days = 5

            [second]
            cmd = ir
            ref = cfg-ref
            secret = pass:{Secret}
            """);

        var r = await RunAsync("-config", config, "-section", "first second", "-use_mock_srv",
            "-newkeyout", dir.File("k.pem"), "-certout", certOut);

        AssertSuccess(r);
        var cert = LoadPem(certOut);
        // As in openssl cmp (checked with 3.0): a later section wins, and its lookup falls back to
        // [default], so [second] (no subject) yields [default]'s subject over [first]'s.
        Assert.Equal("CN=from-default", cert.Subject);
        Assert.InRange((cert.NotAfter - cert.NotBefore).TotalDays, 4.9, 5.1); // days only in [first]
        Assert.Contains("received ir", r.Err); // the command came from [second]
    }

    [Fact]
    public async Task ReqextsAndPoliciesSectionsReachIssuedCertificate()
    {
        using var dir = new TempDir();
        var certOut = dir.File("ext.crt");
        var config = dir.Write("ext.cnf", """
            [reqexts]
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth, clientAuth
            subjectAltName = @alt_names

            [alt_names]
            DNS.1 = a.example
            DNS.2 = b.example
            IP.1 = 192.0.2.7

            [pols]
            certificatePolicies = 1.2.3.4, 1.3.6.1.4.1.99999.1
            """);

        var r = await RunAsync("-config", config, "-use_mock_srv", "-cmd", "ir", "-subject", "/CN=ext", "-reqexts", "reqexts", "-policies", "pols",
            "-newkeyout", dir.File("k.pem"), "-certout", certOut);

        AssertSuccess(r);
        var cert = LoadPem(certOut);
        var ku = cert.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(ku.Critical);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, ku.KeyUsages);
        var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value!).Order());
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["a.example", "b.example"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Parse("192.0.2.7")], san.EnumerateIPAddresses());
        Assert.Equal(["1.2.3.4", "1.3.6.1.4.1.99999.1"], PolicyOids(cert, out _));
    }

    [Fact]
    public async Task SansPolicyOidsAndDays()
    {
        using var dir = new TempDir();
        var certOut = dir.File("sans.crt");

        var r = await RunAsync("-use_mock_srv", "-cmd", "ir", "-subject", "/CN=sans", "-sans", "a.example 10.0.0.1 critical",
            "-policy_oids", "1.2.3.4", "-policy_oids_critical", "-days", "10",
            "-newkeyout", dir.File("k.pem"), "-certout", certOut);

        AssertSuccess(r);
        var cert = LoadPem(certOut);
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.True(san.Critical);
        Assert.Equal(["a.example"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Parse("10.0.0.1")], san.EnumerateIPAddresses());
        Assert.Equal(["1.2.3.4"], PolicyOids(cert, out bool critical));
        Assert.True(critical);
        var days = (cert.NotAfter - cert.NotBefore).TotalDays;
        Assert.InRange(days, 9.9, 10.1);
    }

    [Fact]
    public async Task RaVerifiedPopAcceptedWhenServerAllowsIt()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-accept_raverified", "-cmd", "ir", "-subject", "/CN=ra", "-popo", "0",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        AssertSuccess(r);
        Assert.Equal("CN=ra", LoadPem(dir.File("c.pem")).Subject);
    }

    [Fact]
    public async Task RaVerifiedPopRejectedWithoutAcceptRaVerified()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-cmd", "ir", "-subject", "/CN=ra", "-popo", "0",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        var line = AssertOneError(r);
        Assert.Contains("badPOP", line);
    }

    [Fact]
    public async Task ImplicitConfirmGrantedSkipsCertConf()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-grant_implicitconf", "-implicit_confirm", "-cmd", "ir", "-subject", "/CN=ic",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        AssertSuccess(r);
        Assert.DoesNotContain("received certConf", r.Err);
        Assert.Equal("CN=ic", LoadPem(dir.File("c.pem")).Subject);
    }

    [Fact]
    public async Task DisableConfirmSendsNoCertConf()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-disable_confirm", "-cmd", "ir", "-subject", "/CN=dc",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        AssertSuccess(r);
        Assert.DoesNotContain("received certConf", r.Err);
        Assert.Equal("CN=dc", LoadPem(dir.File("c.pem")).Subject);
    }

    [Fact]
    public async Task RejectionIsOneLineNamingTheFailure()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-pkistatus", "2", "-failure", "9", "-cmd", "ir", "-subject", "/CN=rej",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        var line = AssertOneError(r);
        Assert.Contains("badPOP", line);
        Assert.False(File.Exists(dir.File("c.pem")));
        Assert.False(File.Exists(dir.File("k.pem"))); // no key written for a certificate that was refused
    }

    [Fact]
    public async Task PollingThenSuccess()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-poll_count", "2", "-check_after", "0", "-cmd", "ir", "-subject", "/CN=poll",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        AssertSuccess(r);
        Assert.Equal("CN=poll", LoadPem(dir.File("c.pem")).Subject);
    }

    [Fact]
    public async Task SendErrorFails()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-send_error", "-cmd", "ir", "-subject", "/CN=err",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        AssertOneError(r);
        Assert.False(File.Exists(dir.File("c.pem")));
    }

    [Fact]
    public async Task OutTrustedWrongRootRejectsTheNewCertificate()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        var r = await RunAsync("-use_mock_srv", "-cmd", "ir", "-subject", "/CN=ot", "-out_trusted", pki.OtherRootPem,
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        AssertOneError(r);
        Assert.Contains("CMP server: the client rejected the certificate", r.Err); // negative certConf reached the server
        Assert.False(File.Exists(dir.File("c.pem")));
    }

    [Fact]
    public async Task OutTrustedRightRootAcceptsTheNewCertificate()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        var r = await RunAsync("-use_mock_srv", "-srv_cert", pki.ServerPem, "-srv_key", pki.ServerKey, "-srv_secret", "pass:" + Secret,
            "-rsp_cert", pki.ClientPem,
            "-cmd", "ir", "-ref", "r", "-secret", "pass:" + Secret, "-newkey", pki.ClientKey, "-subject", "/CN=CLI Test Client",
            "-trusted", pki.RootPem, "-out_trusted", pki.RootPem, "-certout", dir.File("c.pem"));

        AssertSuccess(r);
        Assert.Equal(pki.Client.Certificate.Thumbprint, LoadPem(dir.File("c.pem")).Thumbprint);
    }

    [Fact]
    public async Task ImplicitConfirmNotGrantedStillConfirms()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-implicit_confirm", "-cmd", "ir", "-subject", "/CN=ic2",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        AssertSuccess(r);
        Assert.Contains("received certConf", r.Err);
    }

    [Fact]
    public async Task GrantedWithModsSucceedsWithWarning()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-pkistatus", "1", "-cmd", "ir", "-subject", "/CN=mods",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        AssertSuccess(r);
        Assert.Contains(r.ErrLines, l => l.StartsWith("cmpkit: warning: ", StringComparison.Ordinal) && l.Contains("grantedWithMods"));
        Assert.Equal("CN=mods", LoadPem(dir.File("c.pem")).Subject);
    }

    [Fact]
    public async Task RejectionCarriesStatusString()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-pkistatus", "2", "-failure", "2", "-statusstring", "cmpkit test says no",
            "-cmd", "ir", "-subject", "/CN=rej", "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        var line = AssertOneError(r);
        Assert.Contains("badRequest", line);
        Assert.Contains("cmpkit test says no", line);
    }

    [Fact]
    public async Task UnprotectedIpIsRejectedEvenWithUnprotectedErrors()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-send_unprotected", "-unprotected_errors", "-cmd", "ir", "-subject", "/CN=u",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        Assert.Contains("MissingProtection", AssertOneError(r));
        Assert.False(File.Exists(dir.File("c.pem")));
    }

    [Fact]
    public async Task UnprotectedRejectionAcceptedWithUnprotectedErrors()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-send_unprot_err", "-unprotected_errors", "-pkistatus", "2", "-failure", "9",
            "-cmd", "ir", "-subject", "/CN=u", "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        Assert.Contains("badPOP", AssertOneError(r));
    }

    [Fact]
    public async Task UnexpectedSenderIsRejected()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-expect_sender", "/CN=nobody", "-cmd", "ir", "-subject", "/CN=s",
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        Assert.Contains("UnexpectedSender", AssertOneError(r));
    }

    [Fact]
    public async Task PollingBeyondTotalTimeoutFails()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-poll_count", "5", "-check_after", "1", "-total_timeout", "1",
            "-cmd", "ir", "-subject", "/CN=slow", "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        Assert.Contains("timeout", AssertOneError(r));
        Assert.False(File.Exists(dir.File("c.pem")));
    }

    private static string[] PolicyOids(X509Certificate2 cert, out bool critical)
    {
        var ext = cert.Extensions["2.5.29.32"] ?? throw new Xunit.Sdk.XunitException("no certificatePolicies extension");
        critical = ext.Critical;
        var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
        var oids = new List<string>();
        while (reader.HasData)
        {
            oids.Add(reader.ReadSequence().ReadObjectIdentifier());
        }
        return [.. oids];
    }
}
