namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>The <c>openssl</c> command-line tool found on PATH.</summary>
public static class OpenSsl
{
    private static readonly Lazy<string?> s_path = new(() => FindOnPath("openssl"));
    private static readonly Lazy<string> s_version = new(ReadVersion);

    /// <summary>Full path of the <c>openssl</c> executable, or null when it is not on PATH.</summary>
    public static string? ExecutablePath => s_path.Value;

    /// <summary>True when <c>openssl</c> is on PATH.</summary>
    public static bool IsAvailable => ExecutablePath is not null;

    /// <summary>The output of <c>openssl version</c>, e.g. "OpenSSL 3.0.19 27 Jan 2026 (...)".</summary>
    /// <exception cref="InvalidOperationException">openssl is not on PATH.</exception>
    public static string Version => s_version.Value;

    /// <summary>Skips the current test when <c>openssl</c> is not on PATH.</summary>
    public static void RequireOpenSsl()
    {
        if (!IsAvailable)
        {
            Assert.Skip("the openssl command-line tool is not on PATH (CI installs it; locally: apt-get install openssl)");
        }
    }

    /// <summary>
    /// Runs <c>openssl</c> with the given arguments (an argument list, never a shell), stdin closed.
    /// On timeout the process tree is killed and a <see cref="TimeoutException"/> carrying the
    /// output so far is thrown.
    /// </summary>
    /// <param name="args">Arguments after <c>openssl</c>, e.g. <c>["cmp", "-cmd", "ir", ...]</c>.</param>
    /// <param name="workingDir">Working directory; relative file names resolve against it.</param>
    /// <param name="timeout">Hard limit for the whole run.</param>
    /// <param name="cancellationToken">Cancels the run (the process tree is killed).</param>
    /// <exception cref="InvalidOperationException">openssl is not on PATH.</exception>
    public static Task<ProcessResult> RunAsync(
        IEnumerable<string> args, string workingDir, TimeSpan timeout, CancellationToken cancellationToken) =>
        ChildProcess.RunAsync(RequirePath(), args, workingDir, timeout, cancellationToken);

    internal static string RequirePath() =>
        ExecutablePath ?? throw new InvalidOperationException("openssl is not on PATH.");

    internal static string? FindOnPath(string name)
    {
        string? pathVariable = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(pathVariable))
        {
            return null;
        }

        foreach (string dir in pathVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string candidate in OperatingSystem.IsWindows()
                         ? new[] { Path.Combine(dir, name + ".exe"), Path.Combine(dir, name) }
                         : new[] { Path.Combine(dir, name) })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static string ReadVersion()
    {
        ProcessResult result = RunAsync(["version"], Environment.CurrentDirectory, TimeSpan.FromSeconds(10), CancellationToken.None)
            .GetAwaiter().GetResult();
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("'openssl version' failed:\n" + result);
        }

        return result.StdOut.Trim();
    }
}
