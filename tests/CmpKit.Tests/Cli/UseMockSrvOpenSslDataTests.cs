using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using static CmpKit.Tests.Cli.CliRun;

namespace CmpKit.Tests.Cli;

/// <summary>
/// cmpkit -use_mock_srv with OpenSSL's Mock credentials (../shared/openssl-cmp-tests/Mock, read in
/// place; outputs go to a temp dir): server.crt/key sign responses, trusted.crt is their root,
/// signer.* is the client (chain up to root.crt), new.key is the key of signer_only.crt.
/// </summary>
public class UseMockSrvOpenSslDataTests
{
    private const string Secret = "test-pbm-Secret";

    private static string[] Server(params string[] more) =>
        ["-use_mock_srv", "-srv_cert", Mock("server.crt"), "-srv_key", Mock("server.key"), .. more];

    [Fact]
    public async Task PbmIrWithFixedResponseCertificate()
    {
        using var dir = new TempDir();
        var certOut = dir.File("out.crt");

        var r = await RunAsync([.. Server("-srv_secret", "pass:" + Secret, "-rsp_cert", Mock("signer_only.crt")),
            "-cmd", "ir", "-ref", "x", "-secret", "pass:" + Secret, "-newkey", Mock("new.key"), "-subject", "/CN=leaf",
            "-certout", certOut, "-trusted", Mock("trusted.crt")]);

        AssertSuccess(r);
        Assert.DoesNotContain(Secret, r.Err);
        Assert.Equal(X509CertificateLoader.LoadCertificateFromFile(Mock("signer_only.crt")).Thumbprint, LoadPem(certOut).Thumbprint);
    }

    [Theory]
    [InlineData("ir")]
    [InlineData("cr")]
    [InlineData("kur")]
    [InlineData("p10cr")]
    public async Task SignatureWithSignerCredentials(string cmd)
    {
        using var dir = new TempDir();
        var certOut = dir.File("out.crt");
        var args = new List<string>(Server("-srv_trusted", Mock("root.crt")))
        {
            "-cmd", cmd, "-cert", Mock("signer.crt"), "-key", Mock("signer.key"), "-trusted", Mock("trusted.crt"), "-certout", certOut,
        };
        args.AddRange(cmd == "p10cr" ? ["-csr", Mock("csr.pem")] : ["-newkey", Mock("new.key")]);
        if (cmd is "ir" or "cr")
        {
            args.AddRange(["-subject", "/CN=issued-by-mock"]);
        }

        var r = await RunAsync([.. args]);

        AssertSuccess(r);
        var cert = LoadPem(certOut);
        var signer = LoadPem(Mock("signer.crt"));
        if (cmd is "ir" or "cr")
        {
            Assert.Equal("CN=issued-by-mock", cert.Subject);
        }
        else if (cmd == "kur")
        {
            Assert.Equal(signer.Subject, cert.Subject); // kur of the -cert certificate
        }
        if (cmd != "p10cr")
        {
            Assert.Equal(signer.PublicKey.ExportSubjectPublicKeyInfo(), cert.PublicKey.ExportSubjectPublicKeyInfo()); // new.key == signer.key
        }
        else
        {
            var csr = CertificateRequest.LoadSigningRequestPem(File.ReadAllText(Mock("csr.pem")), HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
            Assert.Equal(csr.PublicKey.ExportSubjectPublicKeyInfo(), cert.PublicKey.ExportSubjectPublicKeyInfo());
        }
    }

    [Fact]
    public async Task KurWithPkcs12AndEncryptedNewKey()
    {
        using var dir = new TempDir();
        var certOut = dir.File("out.crt");

        var r = await RunAsync([.. Server("-srv_trusted", Mock("root.crt"), "-rsp_cert", Mock("signer_only.crt")),
            "-cmd", "kur", "-cert", Mock("signer.p12"), "-key", Mock("signer.p12"), "-keypass", "pass:12345",
            "-newkey", Mock("new_pass_12345.key"), "-newkeypass", "file:" + Mock("12345.txt"),
            "-trusted", Mock("trusted.crt"), "-certout", certOut]);

        AssertSuccess(r);
        Assert.Equal(X509CertificateLoader.LoadCertificateFromFile(Mock("signer_only.crt")).Thumbprint, LoadPem(certOut).Thumbprint);
    }

    [Fact]
    public async Task UntrustedResponderIsRejected()
    {
        using var dir = new TempDir();
        // root.crt is the client's root, not the root of server.crt.
        var r = await RunAsync([.. Server("-srv_trusted", Mock("root.crt")),
            "-cmd", "cr", "-cert", Mock("signer.crt"), "-key", Mock("signer.key"), "-trusted", Mock("root.crt"),
            "-newkey", Mock("new.key"), "-subject", "/CN=x", "-certout", dir.File("out.crt")]);

        var line = AssertOneError(r);
        Assert.Contains("[", line);
        Assert.False(File.Exists(dir.File("out.crt")));
    }

    [Fact]
    public async Task ResponseCertificateForAnotherKeyIsRejected()
    {
        using var dir = new TempDir();
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherKey = dir.Write("other.key", other.ExportPkcs8PrivateKeyPem());

        var r = await RunAsync([.. Server("-srv_secret", "pass:" + Secret, "-rsp_cert", Mock("signer_only.crt")),
            "-cmd", "ir", "-ref", "x", "-secret", "pass:" + Secret, "-newkey", otherKey, "-subject", "/CN=leaf",
            "-certout", dir.File("out.crt"), "-trusted", Mock("trusted.crt")]);

        var line = AssertOneError(r, Secret);
        Assert.Contains("PublicKeyMismatch", line);
        Assert.Contains("the client rejected the certificate", r.Err); // negative certConf, as openssl cmp sends
        Assert.False(File.Exists(dir.File("out.crt")));
    }

    [Fact]
    public async Task ExtraCertsCaPubsAndChainFromOpenSslData()
    {
        using var dir = new TempDir();

        var r = await RunAsync([.. Server("-srv_secret", "pass:" + Secret, "-rsp_cert", Mock("signer_only.crt"),
                "-rsp_extracerts", Mock("issuing.crt"), "-rsp_capubs", Mock("trusted.crt")),
            "-cmd", "ir", "-ref", "x", "-secret", "pass:" + Secret, "-newkey", Mock("new.key"), "-subject", "/CN=leaf",
            "-trusted", Mock("trusted.crt"), "-untrusted", Mock("signer.crt"),
            "-certout", dir.File("cert.pem"), "-chainout", dir.File("chain.pem"),
            "-extracertsout", dir.File("extra.pem"), "-cacertsout", dir.File("ca.pem")]);

        AssertSuccess(r);
        var issuing = LoadPemAll(Mock("issuing.crt")).Cast<X509Certificate2>().Select(c => c.Thumbprint).ToList();
        var extra = LoadPemAll(dir.File("extra.pem")).Cast<X509Certificate2>().Select(c => c.Thumbprint).ToList();
        Assert.All(issuing, t => Assert.Contains(t, extra));
        Assert.Equal([LoadPem(Mock("trusted.crt")).Thumbprint], LoadPemAll(dir.File("ca.pem")).Cast<X509Certificate2>().Select(c => c.Thumbprint));
        var chain = LoadPemAll(dir.File("chain.pem"));
        var cert = LoadPem(dir.File("cert.pem"));
        Assert.NotEmpty(chain);
        Assert.Equal(cert.Issuer, chain[0].Subject); // subinterCA first
    }

    [Fact]
    public async Task OutTrustedWithTheRightAndTheWrongRoot()
    {
        using var dir = new TempDir();
        string[] common = [.. Server("-srv_secret", "pass:" + Secret, "-rsp_cert", Mock("signer_only.crt")),
            "-cmd", "ir", "-ref", "x", "-secret", "pass:" + Secret, "-newkey", Mock("new.key"), "-subject", "/CN=leaf",
            "-trusted", Mock("trusted.crt"), "-untrusted", Mock("signer.crt")];

        var good = await RunAsync([.. common, "-out_trusted", Mock("root.crt"), "-certout", dir.File("good.crt")]);
        var bad = await RunAsync([.. common, "-out_trusted", Mock("trusted.crt"), "-certout", dir.File("bad.crt")]);

        AssertSuccess(good);
        Assert.True(File.Exists(dir.File("good.crt")));
        Assert.Contains("NewCertificateUntrusted", AssertOneError(bad, Secret));
        Assert.False(File.Exists(dir.File("bad.crt")));
    }
}
