using CmpKit.Cli.Options;

namespace CmpKit.Tests.Cli;

public class CmpArgumentParserTests
{
    private static CmpArguments Parse(params string[] args) => CmpArgumentParser.Parse(args);

    private static string Error(params string[] args) =>
        Assert.Throws<CliException>(() => CmpArgumentParser.Parse(args)).Message;

    // What OpenSSL's test harness passes: -config ../Mock/test.cnf -section 'Mock enrollment'
    [Fact]
    public void MockEnrollmentSectionOfTestCnf()
    {
        string cnf = SharedTestData.Mock("test.cnf");

        var a = Parse("-config", cnf, "-section", "Mock enrollment");

        Assert.False(a.IsSet("cmd"));                              // [enrollment] cmd = (empty) resets [default] ir
        Assert.Null(a.GetString("cmd"));
        Assert.Equal(CmpValueSource.ConfigFile, a.GetSource("cmd"));
        Assert.Equal("trusted.crt", a.GetString("trusted"));      // from [default]
        Assert.Equal("/CN=Root CA", a.GetString("recipient"));    // [Mock] recipient = $ca_dn
        Assert.Equal("pkix/", a.GetString("path"));               // [Mock] path = $server_path
        Assert.Equal("/CN=server.example", a.GetString("expect_sender"));
        Assert.Equal("/C=AU/ST=Some-State/O=Internet Widgits Pty Ltd/CN=leaf", a.GetString("subject"));
        Assert.Equal("signer.crt", a.GetString("cert"));
        Assert.Equal("signer.p12", a.GetString("key"));
        Assert.Equal("pass:12345", a.GetString("keypass"));
        Assert.False(a.IsSet("newkey"));                           // [enrollment] newkey = (empty)
        Assert.False(a.IsSet("out_trusted"));                      // [enrollment] out_trusted = (empty)
        Assert.True(a.GetFlag("batch"));                           // [default] batch = 1 # comment
        Assert.Equal(120, a.GetInt("total_timeout"));
        Assert.False(a.GetFlag("ignore_keyusage"));                // [Mock] ignore_keyusage = 0
        Assert.False(a.GetFlag("implicit_confirm"));
        Assert.Null(a.GetInt("days"));
        Assert.Equal("certificatePolicies", a.GetString("policies"));
        Assert.False(a.IsSet("server"));                           // server_host etc. are not options
        Assert.Equal(["Mock", "enrollment"], a.Sections);
        Assert.Empty(a.Warnings);
        Assert.Equal($"-trusted (config file '{cnf}' section [default])", a.Describe("trusted"));
        Assert.Equal($"-recipient (config file '{cnf}' section [Mock])", a.Describe("recipient"));
    }

    [Fact]
    public void CommandLineBeatsConfigAndEmptyStringUnsets()
    {
        string cnf = SharedTestData.Mock("test.cnf");

        var a = Parse("-config", cnf, "-section", "Mock enrollment",
            "-cmd", "cr", "-recipient", "", "-newkey", "new.key", "-server", "127.0.0.1:1234");

        Assert.Equal("cr", a.GetString("cmd"));
        Assert.Equal(CmpValueSource.CommandLine, a.GetSource("cmd"));
        Assert.False(a.IsSet("recipient"));                        // "" resets even though config has it
        Assert.Equal(CmpValueSource.CommandLine, a.GetSource("recipient"));
        Assert.Contains("-recipient option argument is empty string, resetting option", a.Warnings);
        Assert.Equal("new.key", a.GetString("newkey"));
        Assert.Equal("127.0.0.1:1234", a.GetString("server"));
        Assert.Equal("-server (command line)", a.Describe("server"));
    }

    [Fact]
    public void DefaultSectionIsCmp()
    {
        string cnf = SharedTestData.Mock("server.cnf");

        var a = CmpArgumentParser.Parse(["-config", cnf]);

        Assert.Equal(["cmp"], a.Sections);
        Assert.Equal("0", a.GetString("port"));
        Assert.Equal("server.crt", a.GetString("srv_cert"));
        Assert.Equal("pass:test", a.GetString("srv_secret"));
        Assert.True(a.GetFlag("no_check_time"));
        Assert.True(a.GetFlag("no_cache_extracerts"));
        Assert.Equal(7, a.GetInt("verbosity"));
        Assert.Equal("new.key", a.GetString("rsp_key"));
        Assert.Equal("newcrl.pem", a.GetString("rsp_crl"));
        Assert.Equal("newWithNew.pem", a.GetString("rsp_newwithnew"));
        Assert.Equal("oldWithNew.pem", a.GetString("rsp_oldwithnew"));
        Assert.DoesNotContain(a.Warnings, w => w.Contains("not supported yet", StringComparison.Ordinal));
    }

    [Fact]
    public void LaterSectionsWinAndEachLookupFallsBackToDefault()
    {
        using var dir = new TempDir();
        string cnf = dir.Write("t.cnf", """
            only_default = d
            [A]
            cmd = ir
            path = a-path
            only_default = a
            [B]
            cmd = cr
            """);

        var a = Parse("-config", cnf, "-section", "A,B");
        var reversed = Parse("-config", cnf, "-section", "B  A");

        Assert.Equal("cr", a.GetString("cmd"));
        Assert.Equal("a-path", a.GetString("path"));
        Assert.Equal("ir", reversed.GetString("cmd"));
        Assert.Equal(["A", "B"], a.Sections);
    }

    [Fact]
    public void DefaultValueReachedThroughLaterSectionBeatsEarlierSection()
    {
        // OpenSSL looks up each section with NCONF_get_string, which falls back to [default]
        // before the earlier sections are tried.
        using var dir = new TempDir();
        string cnf = dir.Write("t.cnf", "digest = sha384\n[A]\ndigest = sha512\n[B]\nx = 1\n");

        Assert.Equal("sha384", Parse("-config", cnf, "-section", "A B").GetString("digest"));
        Assert.Equal("sha512", Parse("-config", cnf, "-section", "A").GetString("digest"));
    }

    [Fact]
    public void EmptySectionArgumentMeansDefault()
    {
        using var dir = new TempDir();
        string cnf = dir.Write("t.cnf", "cmd = genm\n[cmp]\ncmd = ir\n");

        Assert.Equal("genm", Parse("-config", cnf, "-section", "").GetString("cmd"));
        Assert.Equal("ir", Parse("-config", cnf).GetString("cmd"));
    }

    [Fact]
    public void MissingSectionWarns()
    {
        using var dir = new TempDir();
        string cnf = dir.Write("t.cnf", "cmd = ir\n");

        var a = Parse("-config", cnf, "-section", "nope");

        Assert.Equal("ir", a.GetString("cmd"));
        Assert.Contains(a.Warnings, w => w.Contains("no [nope] section", StringComparison.Ordinal));
    }

    [Fact]
    public void ConfigFlagsAndNumbers()
    {
        using var dir = new TempDir();
        string cnf = dir.Write("t.cnf", "[cmp]\nbatch = 1\nimplicit_confirm = 0\nunprotected_errors = 2\ndays = 30\npopo = -1\nmsg_timeout =\n");

        var a = Parse("-config", cnf);

        Assert.True(a.GetFlag("batch"));
        Assert.False(a.GetFlag("implicit_confirm"));
        Assert.False(a.IsSet("implicit_confirm"));
        Assert.True(a.GetFlag("unprotected_errors"));                 // any non-zero number is on
        Assert.Equal(30, a.GetInt("days"));
        Assert.Equal(-1, a.GetInt("popo"));
        Assert.Null(a.GetInt("msg_timeout"));
        Assert.Equal(CmpValueSource.ConfigFile, a.GetSource("msg_timeout"));
    }

    [Fact]
    public void CommandLineFlagBeatsConfigZero()
    {
        using var dir = new TempDir();
        string cnf = dir.Write("t.cnf", "[cmp]\nimplicit_confirm = 0\n");

        Assert.True(Parse("-config", cnf, "-implicit_confirm").GetFlag("implicit_confirm"));
    }

    [Theory]
    [InlineData("days = abc", "section [cmp]: option -days: 'abc' is not a number")]
    [InlineData("days = -5", "section [cmp]: option -days: -5 must not be negative")]
    [InlineData("popo = 7", "section [cmp]: option -popo: 7 is out of range -1..2")]
    [InlineData("batch = yes", "section [cmp]: option -batch: 'yes' is not 0 or 1")]
    [InlineData("verbosity = 99999999999", "section [cmp]: option -verbosity: 99999999999 is out of range")]
    public void BadConfigNumbers(string line, string expected)
    {
        using var dir = new TempDir();
        string cnf = dir.Write("t.cnf", "[cmp]\n" + line + "\n");

        string message = Error("-config", cnf);

        Assert.Equal($"config file '{cnf}' {expected}", message);
    }

    [Fact]
    public void ConfigFileErrorsPropagate()
    {
        using var dir = new TempDir();

        Assert.StartsWith("cannot read config file", Error("-config", dir.File("none.cnf")));
        Assert.Contains("line 1: missing equal sign", Error("-config", dir.Write("bad.cnf", "garbage\n")));
    }

    [Fact]
    public void EmptyConfigArgumentMeansNoConfig()
    {
        var a = Parse("-config", "", "-cmd", "ir");

        Assert.Null(a.ConfigFile);
        Assert.Equal("ir", a.GetString("cmd"));
    }

    [Fact]
    public void TlsUsedFromConfig()
    {
        using var dir = new TempDir();

        Assert.False(Parse("-config", dir.Write("a.cnf", "tls_used = 0\n")).GetFlag("tls_used"));
        Assert.False(Parse("-config", dir.Write("b.cnf", "tls_used =\n")).GetFlag("tls_used"));
        Assert.True(Parse("-config", dir.Write("c.cnf", "tls_used = 1\n")).GetFlag("tls_used"));
    }
}
