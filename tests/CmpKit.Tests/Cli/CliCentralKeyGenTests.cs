using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using Org.BouncyCastle.Asn1.Crmf;
using static CmpKit.Tests.Cli.CliRun;

namespace CmpKit.Tests.Cli;

/// <summary>
/// cmpkit's -centralkeygen, -popo -1 and -newkeyout (OpenSSL master's openssl-cmp) against the embedded
/// mock CA. OpenSSL 3.0.19 has no central key generation, so these runs have no OpenSSL peer.
/// </summary>
public class CliCentralKeyGenTests
{
    private static string[] OpenSslMockServer(params string[] more) =>
        ["-use_mock_srv", "-srv_cert", Mock("server.crt"), "-srv_key", Mock("server.key"), "-srv_trusted", Mock("root.crt"),
         "-rsp_cert", Mock("signer_only.crt"), "-rsp_key", Mock("new.key"), .. more];

    private static string[] SignerClient(string certOut) =>
        ["-cert", Mock("signer.crt"), "-key", Mock("signer.key"), "-trusted", Mock("trusted.crt"), "-subject", "/CN=leaf", "-certout", certOut];

    [Fact]
    public async Task Ephemeral_mock_with_pbm_saves_the_generated_key()
    {
        using var dir = new TempDir();
        var keyOut = dir.File("k.pem");
        var certOut = dir.File("c.pem");

        var r = await RunAsync("-use_mock_srv", "-cmd", "ir", "-subject", "/CN=central", "-centralkeygen", "-newkeyout", keyOut, "-certout", certOut);

        AssertSuccess(r);
        var pem = File.ReadAllText(keyOut);
        Assert.Contains("-----BEGIN PRIVATE KEY-----", pem);
        using var key = ECDsa.Create();
        key.ImportFromPem(pem);
        Assert.Equal(LoadPem(certOut).PublicKey.ExportSubjectPublicKeyInfo(), key.ExportSubjectPublicKeyInfo());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyOut));
        }
        Assert.Contains("centrally generated private key", r.Err);
    }

    [Theory]
    [InlineData("ir", "-centralkeygen")]
    [InlineData("cr", "-popo")]
    [InlineData("kur", "-popo")]
    public async Task Signature_protected_request_gets_rsp_key_encrypted_with_newkeypass(string cmd, string how)
    {
        using var dir = new TempDir();
        var keyOut = dir.File("k.pem");
        var certOut = dir.File("c.pem");
        string[] central = how == "-popo" ? ["-popo", "-1"] : ["-centralkeygen"];

        var r = await RunAsync([.. OpenSslMockServer(), "-cmd", cmd, .. SignerClient(certOut), .. central,
            "-newkey", Mock("signer.key"), "-newkeyout", keyOut, "-newkeypass", "pass:12345"]);

        AssertSuccess(r);
        Assert.DoesNotContain("12345", r.Err);
        Assert.Equal(how == "-popo", r.Err.Contains("which implies -centralkeygen", StringComparison.Ordinal));
        var pem = File.ReadAllText(keyOut);
        Assert.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", pem);
        using var key = RSA.Create();
        key.ImportFromEncryptedPem(pem, "12345");
        using var expected = RSA.Create();
        expected.ImportFromPem(File.ReadAllText(Mock("new.key")));
        Assert.Equal(expected.ExportSubjectPublicKeyInfo(), key.ExportSubjectPublicKeyInfo());
        Assert.Equal(X509CertificateLoader.LoadCertificateFromFile(Mock("signer_only.crt")).Thumbprint, LoadPem(certOut).Thumbprint);
    }

    [Fact]
    public async Task Missing_newkeyout_is_refused_before_sending()
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-cmd", "cr", "-subject", "/CN=x", "-centralkeygen", "-certout", dir.File("c.pem"));

        Assert.Contains("-newkeyout not given", AssertOneError(r));
        Assert.False(File.Exists(dir.File("c.pem")));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    public async Task Popo_other_than_minus_one_contradicts_centralkeygen(string popo)
    {
        using var dir = new TempDir();
        var r = await RunAsync("-use_mock_srv", "-cmd", "cr", "-subject", "/CN=x", "-centralkeygen", "-popo", popo,
            "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem"));

        Assert.Contains($"-popo value {popo} is inconsistent with -centralkeygen", AssertOneError(r));
    }

    [Fact]
    public async Task Reqout_only_with_popo_minus_one_writes_a_central_key_request()
    {
        using var dir = new TempDir();
        var only = dir.File("ir.der");

        var r = await RunAsync(["-cmd", "ir", "-server", "127.0.0.1:1", .. SignerClient(dir.File("c.pem")), "-newkey", Mock("signer.key"),
            "-popo", "-1", "-newkeyout", dir.File("unused.pem"), "-reqout_only", only]);

        AssertSuccess(r);
        var request = PkiMessageCodec.Decode(File.ReadAllBytes(only));
        var msg = CertReqMessages.GetInstance(request.Body.Content).ToCertReqMsgArray()[0];
        Assert.Null(msg.Pop);
        Assert.Equal("1.2.840.113549.1.1.1", msg.CertReq.CertTemplate.PublicKey.Algorithm.Algorithm.Id);
        Assert.Empty(msg.CertReq.CertTemplate.PublicKey.PublicKey.GetBytes());
        Assert.False(File.Exists(dir.File("unused.pem")));
    }

    [Fact]
    public async Task Pinned_server_certificate_vouches_for_the_key_it_signed()
    {
        using var dir = new TempDir();
        var keyOut = dir.File("k.pem");
        // No -trusted: the pinned -srvcert (server.crt, with id-kp-cmKGA) both protects the responses and signs the key.
        var r = await RunAsync([.. OpenSslMockServer(), "-cmd", "cr", "-cert", Mock("signer.crt"), "-key", Mock("signer.key"),
            "-srvcert", Mock("server.crt"), "-subject", "/CN=leaf", "-certout", dir.File("c.pem"), "-centralkeygen", "-newkeyout", keyOut]);

        AssertSuccess(r);
        using var key = RSA.Create();
        key.ImportFromPem(File.ReadAllText(keyOut));
        Assert.Equal(LoadPem(dir.File("c.pem")).PublicKey.ExportSubjectPublicKeyInfo(), key.ExportSubjectPublicKeyInfo());
    }
}
