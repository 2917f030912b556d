using System.Text;

namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>The outcome of a child process that ran to completion.</summary>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="StdOut">Everything it wrote to standard output.</param>
/// <param name="StdErr">Everything it wrote to standard error.</param>
public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>The command that was run, for diagnostics (not a shell command line).</summary>
    public string Command { get; init; } = "";

    /// <summary>Exit code, command and both output streams, for assertion messages.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("exit code ").Append(ExitCode).Append(" from: ").AppendLine(Command);
        sb.AppendLine("--- stdout ---").AppendLine(StdOut.TrimEnd());
        sb.AppendLine("--- stderr ---").Append(StdErr.TrimEnd());
        return sb.ToString();
    }
}
