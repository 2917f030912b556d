using System.Security.Cryptography;
using static CmpKit.Tests.Cli.CliRun;

namespace CmpKit.Tests.Cli;

/// <summary>
/// Bad input to the whole CLI: exit 1, exactly one error line starting with "cmpkit: ", no stack
/// trace, and the -secret value never echoed.
/// </summary>
public partial class CliBadInputTests
{
    private const string Secret = "Do-Not-Print-Me-42";

    /// <summary>A working ir with PBM against the mock; each case below spoils one thing.</summary>
    private static List<string> Base(TempDir dir, params string[] without)
    {
        var args = new List<string> { "-use_mock_srv", "-srv_secret", "pass:" + Secret, "-ref", "r", "-secret", "pass:" + Secret,
            "-cmd", "ir", "-subject", "/CN=bad", "-newkeyout", dir.File("k.pem"), "-certout", dir.File("c.pem") };
        foreach (var option in without)
        {
            int i = args.IndexOf(option);
            args.RemoveRange(i, 2);
        }
        return args;
    }

    private static async Task<string> FailsAsync(IEnumerable<string> args)
    {
        var r = await RunAsync([.. args]);
        return AssertOneError(r, Secret);
    }

    [Fact]
    public async Task BaseLineSucceeds()
    {
        using var dir = new TempDir();
        AssertSuccess(await RunAsync([.. Base(dir)]));
    }

    [Fact]
    public async Task NoCmd()
    {
        using var dir = new TempDir();
        Assert.Contains("-cmd", await FailsAsync(Base(dir, "-cmd")));
    }

    [Fact]
    public async Task UnknownCmd()
    {
        using var dir = new TempDir();
        Assert.Contains("xyz", await FailsAsync([.. Base(dir, "-cmd"), "-cmd", "xyz"]));
    }

    [Fact]
    public async Task RrWithoutTheCertificateToRevoke()
    {
        using var dir = new TempDir();
        Assert.Contains("missing -oldcert", await FailsAsync([.. Base(dir, "-cmd"), "-cmd", "rr"]));
    }

    [Fact]
    public async Task GenmWithUnknownInfoType()
    {
        using var dir = new TempDir();
        Assert.Contains("unknown OID name 'noSuchType'", await FailsAsync([.. Base(dir, "-cmd"), "-cmd", "genm", "-infotype", "noSuchType"]));
    }

    [Fact]
    public async Task MissingNewKeyAndNoNewKeyOut()
    {
        using var dir = new TempDir();
        Assert.Contains("-newkey", await FailsAsync(Base(dir, "-newkeyout")));
    }

    [Fact]
    public async Task NewKeyFileMissing()
    {
        using var dir = new TempDir();
        Assert.Contains("no-such.key", await FailsAsync([.. Base(dir, "-newkeyout"), "-newkey", dir.File("no-such.key")]));
    }

    [Fact]
    public async Task WrongNewKeyPass()
    {
        using var dir = new TempDir();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var file = dir.Write("enc.key", key.ExportEncryptedPkcs8PrivateKeyPem("right-pass",
            new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)));

        var line = await FailsAsync([.. Base(dir, "-newkeyout"), "-newkey", file, "-newkeypass", "pass:wrong-pass"]);

        Assert.DoesNotContain("wrong-pass", line);
        Assert.DoesNotContain("right-pass", line);
    }

    [Fact]
    public async Task DnWithoutLeadingSlash()
    {
        using var dir = new TempDir();
        Assert.Contains("-subject", await FailsAsync([.. Base(dir, "-subject"), "-subject", "CN=x"]));
    }

    [Fact]
    public async Task P10crWithoutCsr()
    {
        using var dir = new TempDir();
        Assert.Contains("-csr", await FailsAsync([.. Base(dir, "-cmd"), "-cmd", "p10cr"]));
    }

    [Fact]
    public async Task ServerAndUseMockSrv()
    {
        using var dir = new TempDir();
        Assert.Contains("-server", await FailsAsync([.. Base(dir), "-server", "127.0.0.1:1/pkix/"]));
    }

    [Fact]
    public async Task NeitherServerNorUseMockSrv()
    {
        using var dir = new TempDir();
        var args = Base(dir);
        args.Remove("-use_mock_srv");
        Assert.Contains("-server", await FailsAsync(args));
    }

    [Fact]
    public async Task KeepAliveOutOfRange()
    {
        using var dir = new TempDir();
        Assert.Contains("-keep_alive", await FailsAsync([.. Base(dir), "-keep_alive", "5"]));
    }

    [Fact]
    public async Task PopoOutOfRange()
    {
        using var dir = new TempDir();
        Assert.Contains("-popo", await FailsAsync([.. Base(dir), "-popo", "7"]));
    }

    [Fact]
    public async Task ReqextsWithoutConfig()
    {
        using var dir = new TempDir();
        Assert.Contains("-config", await FailsAsync([.. Base(dir), "-reqexts", "exts"]));
    }

    [Fact]
    public async Task UnknownExtensionInReqextsSection()
    {
        using var dir = new TempDir();
        var config = dir.Write("x.cnf", "[exts]\nnameConstraints = permitted;DNS:example.com\n");
        Assert.Contains("nameConstraints", await FailsAsync([.. Base(dir), "-config", config, "-reqexts", "exts"]));
    }

    [Fact]
    public async Task VerbosityOutOfRange()
    {
        using var dir = new TempDir();
        Assert.Contains("-verbosity", await FailsAsync([.. Base(dir), "-verbosity", "9"]));
    }

    [Fact]
    public async Task CertOutIsADirectory()
    {
        using var dir = new TempDir();
        var line = await FailsAsync([.. Base(dir, "-certout"), "-certout", dir.Path]);
        Assert.Contains("-certout", line);
    }

    [Fact]
    public async Task NewKeyOutUnwritableFailsBeforeAnythingIsSent()
    {
        using var dir = new TempDir();
        var r = await RunAsync([.. Base(dir, "-newkeyout"), "-newkeyout", dir.Path]);

        Assert.Contains("-newkeyout", AssertOneError(r, Secret));
        Assert.DoesNotContain("received ir", r.Err); // no certificate issued whose key would be lost
        Assert.False(File.Exists(dir.File("c.pem")));
    }

    [Theory]
    [InlineData("XYZ")]
    [InlineData("P12")]
    public async Task CertformNotPemOrDerFailsBeforeAnythingIsSent(string form)
    {
        using var dir = new TempDir();
        var r = await RunAsync([.. Base(dir), "-certform", form]);

        Assert.Contains("-certform", AssertOneError(r, Secret));
        Assert.DoesNotContain("received ir", r.Err);
        Assert.False(File.Exists(dir.File("c.pem")));
        Assert.False(File.Exists(dir.File("k.pem")));
    }

    [Fact]
    public async Task EmptyClientSecretWithMock()
    {
        using var dir = new TempDir();
        var args = Base(dir, "-secret", "-srv_secret");
        var line = await FailsAsync([.. args, "-secret", "pass:"]);
        Assert.Contains("secret", line);
        Assert.DoesNotContain("Parameter", line);
    }

    [Fact]
    public async Task EmptyServerSecret()
    {
        using var dir = new TempDir();
        var line = await FailsAsync([.. Base(dir, "-srv_secret"), "-srv_secret", "pass:"]);
        Assert.Contains("-srv_secret", line);
        Assert.DoesNotContain("Parameter", line);
    }

    [Fact]
    public async Task NoCertOut()
    {
        using var dir = new TempDir();
        var r = await RunAsync([.. Base(dir, "-certout")]);

        Assert.Contains("-certout", AssertOneError(r, Secret)); // as openssl cmp: refused before anything is sent
        Assert.DoesNotContain("received ir", r.Err);
        Assert.False(File.Exists(dir.File("k.pem")));
    }

    [Fact]
    public async Task UnknownOption()
    {
        using var dir = new TempDir();
        Assert.Contains("-nosuchoption", await FailsAsync([.. Base(dir), "-nosuchoption"]));
    }

    [Fact]
    public async Task PortTogetherWithUseMockSrv()
    {
        // -port serves; -use_mock_srv is a client against the in-process mock: not both.
        using var dir = new TempDir();
        Assert.Contains("cannot use both -port and -use_mock_srv", await FailsAsync([.. Base(dir), "-port", "8080"]));
    }

    [Fact]
    public async Task SecretsNeverLoggedEvenAtTraceVerbosity()
    {
        using var dir = new TempDir();
        var ok = await RunAsync([.. Base(dir), "-verbosity", "8"]);
        var wrong = await RunAsync([.. Base(dir, "-srv_secret", "-certout"), "-srv_secret", "pass:Server-Side-Secret-7",
            "-certout", dir.File("c2.pem"), "-verbosity", "8"]);

        AssertSuccess(ok);
        Assert.DoesNotContain(Secret, ok.Err);
        Assert.Contains("InvalidMac", AssertOneError(wrong, Secret, "Server-Side-Secret-7"));
    }

    [Fact]
    public async Task NoArgumentsAtAll()
    {
        var r = await RunAsync();
        AssertOneError(r);
    }

    [Fact]
    public async Task HelpListsGroups()
    {
        var r = await RunAsync("-help");

        Assert.Equal(0, r.Exit);
        Assert.Empty(r.Err);
        Assert.StartsWith("Usage: cmpkit", r.Out);
        foreach (var group in new[] { "Generic message options", "Certificate enrollment options", "Message transfer options",
                     "Server authentication options", "Client authentication options", "Mock server options" })
        {
            Assert.Contains(group, r.Out, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Contains("-use_mock_srv", r.Out);
    }
}
