using System.Diagnostics;
using System.Text;

namespace CmpKit.OpenSslSuite;

/// <summary>A program and its leading arguments (e.g. <c>openssl cmp</c> or <c>dotnet CmpKit.Cli.dll</c>).</summary>
/// <param name="FileName">The executable.</param>
/// <param name="Prefix">Arguments before the row's own.</param>
public sealed record Command(string FileName, IReadOnlyList<string> Prefix)
{
    /// <summary>A start info with no shell, stdin redirected (and closed by the caller), stdout/stderr captured.</summary>
    public ProcessStartInfo StartInfo(IEnumerable<string> args, string workingDir)
    {
        var psi = new ProcessStartInfo(FileName)
        {
            WorkingDirectory = workingDir,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in Prefix.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    /// <inheritdoc/>
    public override string ToString() => ShellWords.Describe(Prefix.Prepend(FileName));
}

/// <summary>The outcome of one bounded child process.</summary>
/// <param name="ExitCode">Exit code; null when it was killed on timeout.</param>
/// <param name="Stdout">Everything it wrote to stdout.</param>
/// <param name="Stderr">Everything it wrote to stderr.</param>
public sealed record ChildResult(int? ExitCode, string Stdout, string Stderr)
{
    /// <summary>The last non-blank stderr line (else stdout's), for one-line failure reports.</summary>
    public string LastLine =>
        LastNonBlank(Stderr) ?? LastNonBlank(Stdout) ?? "(no output)";

    private static string? LastNonBlank(string s) =>
        s.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);
}

/// <summary>Runs child processes with a hard time limit (the whole process tree is killed).</summary>
public static class ChildProcess
{
    /// <summary>Runs to completion or until <paramref name="timeout"/>; never throws for the child's behaviour.</summary>
    public static async Task<ChildResult> RunAsync(
        Command command, IEnumerable<string> args, string workingDir, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = new Process { StartInfo = command.StartInfo(args, workingDir) };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new ChildResult(127, "", $"cannot start {command.FileName}: {e.Message}");
        }

        process.StandardInput.Close(); // batch mode: anything reading stdin sees EOF at once
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        bool timedOut = false;
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            KillTree(process);
        }

        string o = await DrainAsync(stdout).ConfigureAwait(false);
        string e2 = await DrainAsync(stderr).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return new ChildResult(timedOut ? null : process.ExitCode, o, e2);
    }

    /// <summary>Kills the process and its descendants; never throws.</summary>
    public static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // already gone
        }
    }

    private static async Task<string> DrainAsync(Task<string> reader)
    {
        Task done = await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        return done == reader ? await reader.ConfigureAwait(false) : "(output not drained)";
    }
}
