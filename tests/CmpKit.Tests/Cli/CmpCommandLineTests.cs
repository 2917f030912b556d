using CmpKit.Cli.Options;

namespace CmpKit.Tests.Cli;

public class CmpCommandLineTests
{
    private static CmpArguments Parse(params string[] args) => CmpArgumentParser.Parse(args);

    private static string Error(params string[] args) =>
        Assert.Throws<CliException>(() => CmpArgumentParser.Parse(args)).Message;

    [Fact]
    public void SingleDashOptionsWithValues()
    {
        var a = Parse("-server", "localhost:80", "-cmd", "ir", "-subject", "/CN=x", "-batch", "-days", "7");

        Assert.Equal("localhost:80", a.GetString("server"));
        Assert.Equal("ir", a.GetString("cmd"));
        Assert.Equal("/CN=x", a.GetString("subject"));
        Assert.True(a.GetFlag("batch"));
        Assert.True(a.IsSet("batch"));
        Assert.False(a.GetFlag("unprotected_requests"));
        Assert.Equal(7, a.GetInt("days"));
        Assert.False(a.HelpRequested);
        Assert.Null(a.ConfigFile);
        Assert.Equal(CmpValueSource.None, a.GetSource("path"));
    }

    [Fact]
    public void DoubleDashIsAcceptedLikeOpenSsl()
    {
        Assert.Equal("ir", Parse("--cmd", "ir").GetString("cmd"));
    }

    [Fact]
    public void RepeatedOptionLastWins()
    {
        var a = Parse("-cmd", "ir", "-cmd", "cr", "-days", "1", "-days", "2", "-batch", "-batch");

        Assert.Equal("cr", a.GetString("cmd"));
        Assert.Equal(2, a.GetInt("days"));
        Assert.True(a.GetFlag("batch"));
    }

    [Fact]
    public void RepeatedOptionEndingInEmptyStringIsUnset()
    {
        Assert.False(Parse("-cmd", "ir", "-cmd", "").IsSet("cmd"));
        Assert.Equal("ir", Parse("-cmd", "", "-cmd", "ir").GetString("cmd"));
    }

    [Fact]
    public void SectionValueMayContainSpaces()
    {
        using var dir = new TempDir();
        string cnf = dir.Write("t.cnf", "[Mock]\npath = p\n[enrollment]\ncmd = cr\n");

        var a = Parse("-config", cnf, "-section", "Mock enrollment");

        Assert.Equal("Mock enrollment", a.GetString("section"));
        Assert.Equal("p", a.GetString("path"));
        Assert.Equal("cr", a.GetString("cmd"));
    }

    [Fact]
    public void ValuesStartingWithDashAreValues()
    {
        Assert.Equal(-1, Parse("-popo", "-1").GetInt("popo"));
        Assert.Equal("-weird", Parse("-ref", "-weird").GetString("ref"));
    }

    [Fact]
    public void NoResponseFileExpansion()
    {
        using var dir = new TempDir();
        string rsp = dir.Write("args.rsp", "-cmd ir\n");

        Assert.Equal($"unexpected argument '@{rsp}'; see 'cmpkit -help'", Error("@" + rsp));
        Assert.Equal("@" + rsp, Parse("-secret", "@" + rsp).GetString("secret"));
    }

    [Fact]
    public void NoPosixBundling()
    {
        // "-bi" must not be read as -b -i (or -batch -ignore_keyusage)
        Assert.Equal("unknown option -bi; see 'cmpkit -help'", Error("-bi"));
    }

    [Theory]
    [InlineData("-nosuch")]
    [InlineData("-Server")]
    [InlineData("-trace")]
    [InlineData("-h")]
    public void UnknownOption(string option)
    {
        Assert.Equal($"unknown option {option}; see 'cmpkit -help'", Error("-batch", option, "-cmd", "ir"));
    }

    [Fact]
    public void StrayArgument()
    {
        Assert.Equal("unexpected argument 'extra'; see 'cmpkit -help'", Error("-cmd", "ir", "extra"));
    }

    [Fact]
    public void StrayPassPhraseIsNotEchoed()
    {
        Assert.Equal("unexpected argument 'pass:...'; see 'cmpkit -help'", Error("-batch", "pass:TopSecret"));
    }

    [Fact]
    public void FlagsTakeNoArgument()
    {
        Assert.Equal("unexpected argument '1'; see 'cmpkit -help'", Error("-batch", "1"));
    }

    [Theory]
    [InlineData("-newkey")]
    [InlineData("-days")]
    [InlineData("-section")]
    public void MissingArgument(string option)
    {
        Assert.Equal($"option {option} needs a value; see 'cmpkit -help'", Error("-batch", option));
    }

    [Theory]
    [InlineData(new[] { "-days", "abc" }, "option -days: 'abc' is not a number")]
    [InlineData(new[] { "-days", "" }, "option -days: empty value is not a number")]
    [InlineData(new[] { "-days", "-1" }, "option -days: -1 must not be negative")]
    [InlineData(new[] { "-days", "2147483648" }, "option -days: 2147483648 is out of range")]
    [InlineData(new[] { "-popo", "3" }, "option -popo: 3 is out of range -1..2")]
    [InlineData(new[] { "-verbosity", "9" }, "option -verbosity: 9 is out of range 0..8")]
    [InlineData(new[] { "-keep_alive", "3" }, "option -keep_alive: 3 is out of range 0..2")]
    [InlineData(new[] { "-msg_timeout", "1.5" }, "option -msg_timeout: '1.5' is not a number")]
    public void BadNumbers(string[] args, string expected)
    {
        Assert.Equal(expected, Error(args));
    }

    [Fact]
    public void NumberAccessorsRejectWrongKind()
    {
        var a = Parse("-cmd", "ir");

        Assert.Throws<ArgumentException>(() => a.GetInt("cmd"));
        Assert.Throws<ArgumentException>(() => a.GetFlag("cmd"));
        Assert.Throws<ArgumentException>(() => a.GetString("no_such_option"));
    }

    [Theory]
    [InlineData("-provider", "x")]
    [InlineData("-engine", "x")]
    [InlineData("-x509_strict", null)] // -crl_check is supported now (CliSuiteRowTests)
    public void RecognisedButNotSupported(string option, string? value)
    {
        string[] args = value is null ? ["-cmd", "ir", option] : ["-cmd", "ir", option, value];

        Assert.Equal($"option {option} is not supported yet", Error(args));
    }

    [Fact]
    public void UnsupportedOptionResetWithEmptyStringIsFine()
    {
        Assert.False(Parse("-engine", "").IsSet("engine"));
    }

    [Fact]
    public void NoProxyAndProxyAreAccepted()
    {
        var a = Parse("-no_proxy", "localhost,127.0.0.1", "-proxy", "http://proxy:8080");
        Assert.Equal("localhost,127.0.0.1", a.GetString("no_proxy"));
        Assert.Equal("http://proxy:8080", a.GetString("proxy"));
    }

    [Fact]
    public void HelpWinsAndPrintsGroups()
    {
        Assert.True(Parse("-cmd", "ir", "-help").HelpRequested);

        var writer = new StringWriter();
        CmpHelpWriter.Write(writer);
        string help = writer.ToString();

        Assert.StartsWith("Usage: cmpkit [options]", help);
        string[] headings =
        [
            "Generic message options:", "Certificate enrollment options:", "Certificate enrollment and revocation options:",
            "Message transfer options:", "Server authentication options:", "Client authentication options:",
            "Credentials format options:", "Random state options:", "TLS connection options:",
            "Client-side debugging options:", "Mock server options:",
        ];
        int last = -1;
        foreach (string h in headings)
        {
            int at = help.IndexOf("\n" + h + "\n", StringComparison.Ordinal);
            Assert.True(at > last, $"heading '{h}' missing or out of order");
            last = at;
        }

        foreach (var spec in CmpOptionTable.All)
        {
            Assert.Contains("\n " + spec.DashName + " ", help);
        }

        Assert.Contains(" -engine val", help);
        Assert.Matches(@"\n -engine val +.*\[not supported yet\]", help);
        Assert.DoesNotContain("[not supported yet]", help.Split('\n').Single(l => l.StartsWith(" -server ", StringComparison.Ordinal)));
        Assert.DoesNotContain("not supported yet", help.Split('\n').Single(l => l.StartsWith(" -tls_used ", StringComparison.Ordinal)));
    }
}
