using System.Text;
using CmpKit.Cli.Commands;

namespace CmpKit.Tests.Cli;

public class OutputFileTests
{
    [Fact]
    public void CreatesAMissingFile()
    {
        using var dir = new TempDir();
        var path = dir.File("new.pem");

        OutputFile.Write(path, "first"u8);

        Assert.Equal("first", File.ReadAllText(path));
    }

    [Theory]
    [InlineData("an old content that is much longer than the new one")]
    [InlineData("same length!")]
    [InlineData("short")]
    public void LeavesExactlyTheNewContent(string old)
    {
        using var dir = new TempDir();
        var path = dir.File("cert.pem");
        File.WriteAllText(path, old);

        OutputFile.Write(path, "new content!"u8);

        Assert.Equal("new content!", File.ReadAllText(path, Encoding.UTF8));
        Assert.Equal(12, new FileInfo(path).Length);
    }

    [Fact]
    public void EmptyContentEmptiesTheFile()
    {
        using var dir = new TempDir();
        var path = dir.File("cert.der");
        File.WriteAllText(path, "something");

        OutputFile.Write(path, []);

        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public void WritesToADevice()
    {
        if (!File.Exists("/dev/null"))
        {
            Assert.Skip("no /dev/null on this system");
        }
        OutputFile.Write("/dev/null", "discarded"u8);
    }

    [Fact]
    public void ADirectoryIsAnError()
    {
        using var dir = new TempDir();

        // The CLI turns exactly these two into its one-line error.
        var e = Record.Exception(() => OutputFile.Write(dir.Path, "x"u8));
        Assert.True(e is IOException or UnauthorizedAccessException, $"unexpected {e?.GetType().Name ?? "no exception"}");
    }
}
