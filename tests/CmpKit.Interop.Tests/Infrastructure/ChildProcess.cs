using System.Diagnostics;
using System.Text;

namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>
/// Runs a program with an argument list (never through a shell), no stdin, bounded in time.
/// </summary>
internal static class ChildProcess
{
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The start information; <paramref name="environment"/> sets variables for the child (a null value removes one).
    /// </summary>
    public static ProcessStartInfo CreateStartInfo(
        string fileName, IEnumerable<string> args, string workingDir, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDir,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(name);
            }
            else
            {
                psi.Environment[name] = value;
            }
        }

        return psi;
    }

    public static string Describe(ProcessStartInfo psi) =>
        string.Join(' ', new[] { psi.FileName }.Concat(psi.ArgumentList).Select(Quote));

    public static async Task<ProcessResult> RunAsync(
        string fileName, IEnumerable<string> args, string workingDir, TimeSpan timeout, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ProcessStartInfo psi = CreateStartInfo(fileName, args, workingDir, environment);
        string command = Describe(psi);

        using var process = new Process { StartInfo = psi };
        process.Start();
        process.StandardInput.Close(); // no interactive prompts: reading stdin sees EOF at once

        Task<string> stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            string partial = $"--- stdout ---\n{await DrainAsync(stdout)}\n--- stderr ---\n{await DrainAsync(stderr)}";
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"'{command}' did not finish within {timeout.TotalSeconds:0.#} s and was killed.\n{partial}");
        }

        return new ProcessResult(process.ExitCode, await DrainAsync(stdout), await DrainAsync(stderr))
        {
            Command = command,
        };
    }

    /// <summary>Kills the process and its descendants; never throws.</summary>
    public static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // already gone or not ours to kill
        }
    }

    private static async Task<string> DrainAsync(Task<string> reader)
    {
        try
        {
            return await reader.WaitAsync(s_drainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return "<output not closed: a descendant process may still hold the pipe>";
        }
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./:=@+,".Contains(c))
            ? arg
            : "'" + arg.Replace("'", "'\\''") + "'";
}
