namespace CmpKit.Cli.Options;

/// <summary>
/// A user-facing error of the command-line tool: bad option, bad config file, unreadable
/// credential. <see cref="Exception.Message"/> is exactly one line, without the "cmpkit: "
/// prefix, and never contains a secret; the caller prints <c>cmpkit: {Message}</c> and exits 1.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException(string message)
        : base(OneLine(message))
    {
    }

    public CliException(string message, Exception inner)
        : base(OneLine(message), inner)
    {
    }

    /// <summary>Exit code the tool returns for this error.</summary>
    public int ExitCode => 1;

    /// <summary>The message as printed to stderr.</summary>
    public string UserMessage => "cmpkit: " + Message;

    private static string OneLine(string message) =>
        message.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
