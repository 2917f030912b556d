using System.Diagnostics;

namespace CmpKit.Tests.Cli;

/// <summary>Runs the installed openssl binary for cross-checks (tests skip if it is missing).</summary>
internal static class OpenSslProcess
{
    public static void Run(string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(SharedTestData.OpenSsl())
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            Assert.Fail($"openssl {string.Join(' ', args)} timed out");
        }

        _ = stdout.Result;
        Assert.True(p.ExitCode == 0, $"openssl {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}");
    }
}
