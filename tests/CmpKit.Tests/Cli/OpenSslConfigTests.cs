using CmpKit.Cli.Options;

namespace CmpKit.Tests.Cli;

public class OpenSslConfigTests
{
    [Fact]
    public void ReadsOpenSslTestCnfInPlace()
    {
        var config = OpenSslConfig.Load(SharedTestData.Mock("test.cnf"));

        Assert.Equal("1", config.Get("default", "batch"));               // trailing comment cut
        Assert.Equal("120", config.Get("default", "total_timeout"));
        Assert.Equal("", config.Get("default", "newkeypass"));           // present but empty
        Assert.Equal("*", config.Get("Mock", "server_host"));            // '#' after value
        Assert.Equal("pkix/", config.Get("Mock", "path"));               // $server_path
        Assert.Equal("/CN=Root CA", config.Get("Mock", "recipient"));     // $ca_dn
        Assert.Equal("/CN=server.example", config.Get("Mock", "expect_sender"));
        Assert.Equal("/C=AU/ST=Some-State/O=Internet Widgits Pty Ltd/CN=leaf", config.Get("Mock", "subject")); // quotes removed
        Assert.Equal("signer.p12", config.Get("Mock", "key"));           // "key  = ..." extra blanks
        Assert.Equal("0", config.Get("Mock", "server_tls"));
        Assert.Equal("critical, @pkiPolicy", config.Get("certificatePolicies", "certificatePolicies"));
        Assert.Equal("critical, digitalSignature", config.Get("reqexts", "keyUsage"));
        Assert.Equal("xn--rksallad-0za.example.com", config.Get("alt_names_3", "DNS__3"));
        Assert.Null(config.Get("Mock", "certout"));                      // commented out everywhere
    }

    [Fact]
    public void LookupFallsBackToDefaultSection()
    {
        var config = OpenSslConfig.Load(SharedTestData.Mock("test.cnf"));

        Assert.Equal("trusted.crt", config.Get("Mock", "trusted"));      // only in [default]
        Assert.Equal("signer.key", config.Get("Mock", "newkey"));        // section overrides default
        Assert.Equal("new.key", config.Get("default", "newkey"));
        Assert.Equal("", config.Get("enrollment", "cmd"));               // empty overrides default "ir"
        Assert.Equal("ir", config.Get("no such section", "cmd"));
        Assert.False(config.HasSection("no such section"));
        Assert.True(config.HasSection("enrollment"));
    }

    [Fact]
    public void ReadsServerCnf()
    {
        var config = OpenSslConfig.Load(SharedTestData.Mock("server.cnf"));

        Assert.Equal("0", config.Get("cmp", "port"));
        Assert.Equal("pass:test", config.Get("cmp", "srv_secret"));
        Assert.Equal("newcrl.pem", config.Get("cmp", "rsp_crl"));
        Assert.Null(config.Get("cmp", "accept_unprotected"));
    }

    [Fact]
    public void KeysBeforeFirstHeaderBelongToDefault()
    {
        var config = OpenSslConfig.Parse("a = 1\n[s]\nb = 2\n");

        Assert.Equal("1", config.Get("default", "a"));
        Assert.Equal("1", config.Get("s", "a"));
        Assert.Equal("2", config.Get("s", "b"));
        Assert.Null(config.Get("default", "b"));
    }

    [Theory]
    [InlineData("v = \"a # not a comment\" # comment", "a # not a comment")]
    [InlineData("v = 'single  quoted' ", "single  quoted")]
    [InlineData("v =   spaced out   ", "spaced out")]
    [InlineData("v = a\\#b", "a#b")]
    [InlineData("v = tab\\there", "tab\there")]
    [InlineData("v = back\\\\slash", "back\\slash")]
    [InlineData("v = \"q\\\"uote\"", "q\"uote")]
    [InlineData("v = pre\"mid\"post", "premidpost")]
    [InlineData("v = 'no $expansion in quotes'", "no $expansion in quotes")]
    [InlineData("v =", "")]
    [InlineData("v = # only a comment", "")]
    public void ValueSyntax(string line, string expected)
    {
        Assert.Equal(expected, OpenSslConfig.Parse(line).Get("default", "v"));
    }

    [Fact]
    public void LineContinuationJoinsLines()
    {
        var config = OpenSslConfig.Parse("v = first \\\n  second\nw = x\\\\\ny = z\n");

        Assert.Equal("first   second", config.Get("default", "v"));
        Assert.Equal("x\\", config.Get("default", "w")); // escaped backslash is no continuation
        Assert.Equal("z", config.Get("default", "y"));
    }

    [Fact]
    public void VariableExpansionForms()
    {
        const string text = """
            base = /top
            [a]
            x = ax
            [s]
            x = sx
            v1 = $x/1
            v2 = ${x}2
            v3 = $a::x-3
            v4 = ${a::x}4
            v5 = $base/5
            v6 = $(x)6
            v7 = ${default::base}
            """;
        var config = OpenSslConfig.Parse(text);

        Assert.Equal("sx/1", config.Get("s", "v1"));
        Assert.Equal("sx2", config.Get("s", "v2"));
        Assert.Equal("ax-3", config.Get("s", "v3"));
        Assert.Equal("ax4", config.Get("s", "v4"));
        Assert.Equal("/top/5", config.Get("s", "v5")); // current section falls back to [default]
        Assert.Equal("sx6", config.Get("s", "v6"));
        Assert.Equal("/top", config.Get("s", "v7"));
    }

    [Fact]
    public void VariablesAreExpandedWhenRead()
    {
        var config = OpenSslConfig.Parse("x = 1\ny = $x\nx = 2\n");

        Assert.Equal("1", config.Get("default", "y"));
        Assert.Equal("2", config.Get("default", "x")); // later assignment wins
    }

    [Fact]
    public void SectionHeaderWithBlanksAndComment()
    {
        var config = OpenSslConfig.Parse("[ my_sect ] # comment\nk=v\n");

        Assert.Equal("v", config.Get("my_sect", "k"));
        Assert.Equal(["k"], config.GetSection("my_sect")!.Select(p => p.Key));
    }

    [Fact]
    public void CrLfLineEndings()
    {
        var config = OpenSslConfig.Parse("[s]\r\nk = v  \r\nm = 1\r\n");

        Assert.Equal("v", config.Get("s", "k"));
        Assert.Equal("1", config.Get("s", "m"));
    }

    [Theory]
    [InlineData("ok = 1\njust words\n", "line 2: missing equal sign")]
    [InlineData("[unclosed\n", "line 1: missing close square bracket")]
    [InlineData("\n\nv = $nope\n", "line 3: variable 'nope' has no value")]
    [InlineData("v = ${x\n", "line 1: missing closing '}'")]
    [InlineData("v = $s::nope\n", "line 1: variable 's::nope' has no value")]
    [InlineData("= value\n", "line 1: missing name")]
    public void SyntaxErrorsNameTheLine(string text, string expected)
    {
        var e = Assert.Throws<CliException>(() => OpenSslConfig.Parse(text, "my.cnf"));

        Assert.StartsWith("config file 'my.cnf' ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingFileIsOneLineError()
    {
        using var dir = new TempDir();
        string path = dir.File("absent.cnf");

        var e = Assert.Throws<CliException>(() => OpenSslConfig.Load(path));

        Assert.Equal($"cannot read config file '{path}': file not found", e.Message);
    }
}

public class OpenSslConfigEnvTests
{
    [Fact]
    public void EnvPseudoSectionReadsEnvironment()
    {
        string name = "CMPKIT_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "from-env");
        try
        {
            var config = OpenSslConfig.Parse($"v = $ENV::{name}/x\n");

            Assert.Equal("from-env/x", config.Get("default", "v"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }
}
