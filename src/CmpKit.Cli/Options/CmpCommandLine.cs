namespace CmpKit.Cli.Options;

/// <summary>
/// The argument layer as <c>Program.Main</c> should use it: parse, print help or the one-line
/// error or the warnings, and tell the caller whether to go on.
/// </summary>
internal static class CmpCommandLine
{
    /// <summary>
    /// Parses <paramref name="args"/>. Returns 0 after printing -help to <paramref name="stdout"/>,
    /// 1 after printing <c>cmpkit: error</c> to <paramref name="stderr"/>, or null when
    /// <paramref name="arguments"/> is ready to use (warnings already printed as
    /// <c>cmpkit: warning: ...</c>).
    /// </summary>
    public static int? TryParse(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, out CmpArguments? arguments)
    {
        arguments = null;
        CmpArguments parsed;
        try
        {
            parsed = CmpArgumentParser.Parse(args);
        }
        catch (CliException e)
        {
            stderr.WriteLine(e.UserMessage);
            return e.ExitCode;
        }

        if (parsed.HelpRequested)
        {
            CmpHelpWriter.Write(stdout);
            return 0;
        }

        foreach (string warning in parsed.Warnings)
        {
            stderr.WriteLine("cmpkit: warning: " + warning);
        }

        arguments = parsed;
        return null;
    }
}
