using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CmpKit.OpenSslSuite;

/// <summary>
/// The mock server the harness starts in Mock/: <c>&lt;server&gt; -config server.cnf</c> (server.cnf
/// has port = 0), which prints <c>ACCEPT host:port PID=n</c> once listening. Its stdout and stderr
/// go to a log file next to the result folder.
/// </summary>
public sealed partial class SuiteServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Task _pumpErr;
    private readonly Task _pumpOut;

    private SuiteServer(Process process, StreamWriter log, Task pumpOut, Task pumpErr, string host, int port)
    {
        _process = process;
        _log = log;
        _pumpOut = pumpOut;
        _pumpErr = pumpErr;
        Host = host;
        Port = port;
    }

    /// <summary>The host clients connect to (127.0.0.1 for a server listening on all addresses).</summary>
    public string Host { get; }

    /// <summary>The port from the ACCEPT line.</summary>
    public int Port { get; }

    /// <summary>
    /// Starts the server and waits for its ACCEPT line. Returns the server, or null and a one-line
    /// reason when it exits, prints something else first, or stays silent for <paramref name="timeout"/>.
    /// </summary>
    public static async Task<(SuiteServer? Server, string? Error)> StartAsync(
        Command command, string mockDir, string logPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var process = new Process { StartInfo = command.StartInfo(["-config", "server.cnf"], mockDir) };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            return (null, $"cannot start '{command} -config server.cnf': {e.Message}");
        }

        process.StandardInput.Close();
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var accept = new TaskCompletionSource<Match?>(TaskCreationOptions.RunContinuationsAsynchronously);
        string lastErr = "";
        Task pumpOut = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                lock (log)
                {
                    log.WriteLine("out: " + line);
                }

                Match m = AcceptLine().Match(line.TrimEnd());
                if (m.Success)
                {
                    accept.TrySetResult(m);
                }
            }

            accept.TrySetResult(null); // stdout closed without ACCEPT
        }, CancellationToken.None);
        Task pumpErr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                lock (log)
                {
                    log.WriteLine("err: " + line);
                }

                if (line.Trim().Length > 0)
                {
                    lastErr = line.Trim();
                }
            }
        }, CancellationToken.None);

        Task first = await Task.WhenAny(accept.Task, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        Match? match = first == accept.Task ? await accept.Task.ConfigureAwait(false) : null;
        if (match is null)
        {
            string what;
            if (first != accept.Task)
            {
                what = $"printed no 'ACCEPT host:port PID=n' line within {timeout.TotalSeconds:0} s";
            }
            else
            {
                await Task.WhenAny(Task.WhenAll(pumpErr, process.WaitForExitAsync(CancellationToken.None)), Task.Delay(5000, CancellationToken.None)).ConfigureAwait(false);
                what = process.HasExited
                    ? $"exited with code {process.ExitCode} before printing 'ACCEPT host:port PID=n'"
                    : "closed its stdout before printing 'ACCEPT host:port PID=n'";
            }

            ChildProcess.KillTree(process);
            process.Dispose();
            await log.DisposeAsync().ConfigureAwait(false);
            return (null, $"'{command} -config server.cnf' {what}" + (lastErr.Length > 0 ? $"; last stderr line: {lastErr}" : ""));
        }

        string host = match.Groups[1].Value;
        host = host is "0.0.0.0" or "[::]" or "*" or "" ? "127.0.0.1" : host;
        return (new SuiteServer(process, log, pumpOut, pumpErr, host, int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)), null);
    }

    /// <summary>True while the server process runs.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Kills the server (as the harness does) and closes the log.</summary>
    public async ValueTask DisposeAsync()
    {
        ChildProcess.KillTree(_process);
        await Task.WhenAny(Task.WhenAll(_pumpOut, _pumpErr), Task.Delay(5000)).ConfigureAwait(false);
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    [GeneratedRegex(@"^ACCEPT\s(.*?):(\d+) PID=(\d+)$")]
    private static partial Regex AcceptLine();
}
