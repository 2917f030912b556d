using CmpKit.Cli.Options;

namespace CmpKit.Tests.Cli;

public class PassphraseSourceTests
{
    private const string Secret = "s3cr3t-Do-Not-Leak";

    [Theory]
    [InlineData("pass:12345", "12345")]
    [InlineData("pass:", "")]
    [InlineData("pass::12345", ":12345")]          // OpenSSL test row: a wrong pass phrase, not an error
    [InlineData("12345", "12345")]                 // no prefix: the argument is the pass phrase
    [InlineData("pass", "pass")]
    [InlineData("fp:4", "fp:4")]
    [InlineData("PASS:x", "PASS:x")]               // prefixes are case-sensitive
    public void LiteralForms(string arg, string expected)
    {
        Assert.Equal(expected, PassphraseSource.Resolve(arg));
    }

    [Fact]
    public void EnvironmentVariable()
    {
        string name = "CMPKIT_PASS_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, Secret);
        try
        {
            Assert.Equal(Secret, PassphraseSource.Resolve("env:" + name));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        var e = Assert.Throws<CliException>(() => PassphraseSource.Resolve("env:" + name));
        Assert.Equal($"cannot read pass phrase: environment variable '{name}' is not set", e.Message);
    }

    [Theory]
    [InlineData("abc\nsecond line\n", "abc")]
    [InlineData("abc\r\n", "abc")]
    [InlineData("abc", "abc")]
    [InlineData("", "")]
    [InlineData("\nabc", "")]
    public void FileFirstLine(string content, string expected)
    {
        using var dir = new TempDir();
        string path = dir.Write("pw.txt", content);

        Assert.Equal(expected, PassphraseSource.Resolve("file:" + path));
    }

    [Fact]
    public void SharedMockPassFile()
    {
        Assert.Equal("12345", PassphraseSource.Resolve("file:" + SharedTestData.Mock("12345.txt")));
    }

    [Fact]
    public void MissingFileIsOneLineError()
    {
        using var dir = new TempDir();
        string path = dir.File("nope.txt");

        var e = Assert.Throws<CliException>(() => PassphraseSource.Resolve("file:" + path));

        Assert.Equal($"cannot read pass phrase from file '{path}': file not found", e.Message);
    }

    [Fact]
    public void StdinFirstLine()
    {
        Assert.Equal(Secret, PassphraseSource.Resolve("stdin", new StringReader(Secret + "\nmore")));
    }

    [Fact]
    public void FileDescriptor()
    {
        using var dir = new TempDir();
        string path = dir.Write("pw.txt", Secret + "\n");
        using var stream = File.OpenRead(path);
        int fd = (int)stream.SafeFileHandle.DangerousGetHandle();

        Assert.Equal(Secret, PassphraseSource.Resolve("fd:" + fd));
    }

    [Theory]
    [InlineData("fd:x")]
    [InlineData("fd:-1")]
    [InlineData("fd:")]
    public void BadDescriptorNumber(string arg)
    {
        var e = Assert.Throws<CliException>(() => PassphraseSource.Resolve(arg));

        Assert.Contains("does not name a file descriptor number", e.Message);
    }

    [Fact]
    public void ClosedDescriptorIsOneLineError()
    {
        var e = Assert.Throws<CliException>(() => PassphraseSource.Resolve("fd:987"));

        Assert.StartsWith("cannot read pass phrase from file descriptor 987: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
