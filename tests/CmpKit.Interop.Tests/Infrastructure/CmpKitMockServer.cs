using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>
/// Our HTTP mock CA (<c>cmpkit -port 0 ...</c>, run as <c>dotnet CmpKit.Cli.dll</c>) as a child process: the
/// counterpart of <see cref="OpenSslMockServer"/>, so the same client arguments run against both servers.
/// </summary>
/// <remarks>
/// It listens on 127.0.0.1 only and serves the path <c>/pkix/</c> (<see cref="Url"/>). It is started with
/// <c>-config ""</c> unless the arguments contain <c>-config</c>. Dispose kills the process tree.
/// </remarks>
public sealed partial class CmpKitMockServer : IAsyncDisposable
{
    /// <summary>How long <see cref="StartAsync"/> waits for the <c>ACCEPT</c> line (the dotnet host starts slower than openssl).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Match> _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;
    private volatile bool _exited;

    private CmpKitMockServer(Process process, string command)
    {
        _process = process;
        Command = command;
    }

    /// <summary>The address clients connect to: 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The listening port chosen by the OS.</summary>
    public int Port { get; private set; }

    /// <summary>The address as the server printed it in its ACCEPT line.</summary>
    public string AcceptAddress { get; private set; } = "";

    /// <summary>The server's process id (as printed in its ACCEPT line).</summary>
    public int ProcessId { get; private set; }

    /// <summary>The command that started the server.</summary>
    public string Command { get; }

    /// <summary>True once the server process has ended.</summary>
    public bool HasExited => _exited;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the server printed so far (stdout and stderr interleaved).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The value for a client's <c>-server</c> option, e.g. <c>127.0.0.1:PORT/pkix/</c>.</summary>
    /// <param name="path">HTTP path; leading slashes are dropped.</param>
    public string Url(string path = "pkix/") =>
        string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}/{path.TrimStart('/')}");

    /// <summary>
    /// Starts <c>cmpkit -port 0 &lt;extraArgs&gt;</c> in <paramref name="workingDir"/> and waits (at most
    /// <see cref="StartTimeout"/>) for <c>ACCEPT host:port PID=n</c>.
    /// </summary>
    /// <param name="extraArgs">Mock-server options, e.g. <c>-srv_secret pass:x</c>.</param>
    /// <param name="workingDir">Working directory.</param>
    /// <param name="cancellationToken">Cancels the start (the process is killed).</param>
    /// <exception cref="InvalidOperationException">The server exited or did not listen in time; the message carries its output.</exception>
    public static async Task<CmpKitMockServer> StartAsync(IEnumerable<string> extraArgs, string workingDir, CancellationToken cancellationToken)
    {
        List<string> extra = extraArgs.ToList();
        var args = new List<string> { CmpKitCli.DllPath };
        if (!extra.Contains("-config"))
        {
            args.AddRange(["-config", ""]);
        }
        if (!extra.Contains("-port"))
        {
            args.AddRange(["-port", "0"]);
        }
        args.AddRange(extra);

        ProcessStartInfo psi = ChildProcess.CreateStartInfo(CmpKitCli.DotnetPath, args, workingDir);
        var server = new CmpKitMockServer(new Process { StartInfo = psi, EnableRaisingEvents = true }, ChildProcess.Describe(psi));
        try
        {
            await server.StartCoreAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) =>
        {
            _exited = true;
            _accepted.TrySetException(new InvalidOperationException("exited"));
        };
        _process.Start();
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        Match accept;
        try
        {
            accept = await _accepted.Task.WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"cmpkit printed no ACCEPT line within {StartTimeout.TotalSeconds:0} s.\n{Diagnostics()}");
        }
        catch (InvalidOperationException)
        {
            await WaitForExitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            throw new InvalidOperationException($"cmpkit exited (code {_process.ExitCode}) before listening.\n{Diagnostics()}");
        }

        AcceptAddress = accept.Groups["host"].Value;
        Port = int.Parse(accept.Groups["port"].Value, CultureInfo.InvariantCulture);
        ProcessId = int.Parse(accept.Groups["pid"].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the process ends by itself (e.g. after <c>-max_msgs</c>); true if it did within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            _exited = true;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits until the server's output contains <paramref name="text"/> (its log lines arrive through a pipe, a little
    /// after the client saw the response); true if it did within <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var end = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow >= end)
            {
                return false;
            }
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Sends SIGTERM (a graceful stop, as a service manager would).</summary>
    public void Terminate()
    {
        if (!_exited && !OperatingSystem.IsWindows())
        {
            _ = Kill(_process.Id, 15);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
        Match m = AcceptLine().Match(line);
        if (m.Success)
        {
            _accepted.TrySetResult(m);
        }
    }

    /// <summary>Command and output so far, for exception and assertion messages.</summary>
    public string Diagnostics() => $"server command: {Command}\n--- server output ---\n{Output.TrimEnd()}";

    /// <summary>Kills the server process (tree) and waits briefly for it to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            ChildProcess.KillTree(_process);
            try
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // never started
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    [GeneratedRegex(@"^ACCEPT (?<host>\S+):(?<port>\d+) PID=(?<pid>\d+)\s*$")]
    private static partial Regex AcceptLine();
}
