using CmpKit.Cli.Options;

namespace CmpKit.Tests.Cli;

public class CmpCommandLineFrontEndTests
{
    private static (int? Exit, string Out, string Err, CmpArguments? Args) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int? exit = CmpCommandLine.TryParse(args, stdout, stderr, out var parsed);
        return (exit, stdout.ToString(), stderr.ToString(), parsed);
    }

    [Fact]
    public void HelpExitsZeroOnStdout()
    {
        var r = Run("-help");

        Assert.Equal(0, r.Exit);
        Assert.StartsWith("Usage: cmpkit [options]", r.Out);
        Assert.Empty(r.Err);
        Assert.Null(r.Args);
    }

    [Fact]
    public void ErrorIsOneLineOnStderrExitOne()
    {
        var r = Run("-nosuch");

        Assert.Equal(1, r.Exit);
        Assert.Empty(r.Out);
        Assert.Equal("cmpkit: unknown option -nosuch; see 'cmpkit -help'" + Environment.NewLine, r.Err);
    }

    [Fact]
    public void NotSupportedYet()
    {
        var r = Run("-cmd", "genm", "-engine", "x");

        Assert.Equal(1, r.Exit);
        Assert.Equal("cmpkit: option -engine is not supported yet" + Environment.NewLine, r.Err);
    }

    [Fact]
    public void SuccessPrintsWarningsAndHandsOverArguments()
    {
        var r = Run("-cmd", "ir", "-recipient", "", "-ref", "-x");

        Assert.Null(r.Exit);
        Assert.NotNull(r.Args);
        Assert.Equal("ir", r.Args!.GetString("cmd"));
        string[] lines = r.Err.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["cmpkit: warning: -recipient option argument is empty string, resetting option",
             "cmpkit: warning: -ref option argument starts with hyphen"],
            lines);
    }
}
