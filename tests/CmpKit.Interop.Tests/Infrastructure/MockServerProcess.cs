using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>
/// A CMP mock server running as a child process that prints <c>ACCEPT host:port PID=n</c> once it
/// listens (as <c>openssl cmp -port</c> and <c>cmpkit -port</c> do): start, wait for that line,
/// collect the output for diagnostics, stop. Clients always connect to 127.0.0.1.
/// </summary>
public abstract partial class MockServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _name;
    private readonly TimeSpan _startTimeout;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Match> _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;
    private volatile bool _exited;

    /// <summary>Wraps a not yet started process.</summary>
    /// <param name="fileName">The program.</param>
    /// <param name="args">Its arguments (given as an argument list, never through a shell).</param>
    /// <param name="workingDir">Its working directory.</param>
    /// <param name="name">How messages name the server, e.g. "the OpenSSL mock server".</param>
    /// <param name="startTimeout">How long to wait for the ACCEPT line.</param>
    private protected MockServerProcess(string fileName, IEnumerable<string> args, string workingDir, string name, TimeSpan startTimeout)
    {
        ProcessStartInfo psi = ChildProcess.CreateStartInfo(fileName, args, workingDir);
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        Command = ChildProcess.Describe(psi);
        _name = name;
        _startTimeout = startTimeout;
    }

    /// <summary>The address clients connect to: always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The listening port chosen by the OS.</summary>
    public int Port { get; private set; }

    /// <summary>The address as the server printed it (e.g. <c>[::]</c> with OpenSSL 3.0).</summary>
    public string AcceptAddress { get; private set; } = "";

    /// <summary>The server's process id (as printed in its ACCEPT line).</summary>
    public int ProcessId { get; private set; }

    /// <summary>The command that started the server (for diagnostics).</summary>
    public string Command { get; }

    /// <summary>True once the server process has ended.</summary>
    public bool HasExited => _exited;

    /// <summary>The exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the server printed so far (stdout and stderr interleaved), for assertion messages.</summary>
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

    /// <summary>Command and output so far, for exception and assertion messages.</summary>
    public string Diagnostics() => $"server command: {Command}\n--- server output ---\n{Output.TrimEnd()}";

    /// <summary>Starts <paramref name="server"/> and waits for its ACCEPT line; disposes it on failure.</summary>
    private protected static async Task<T> StartAsync<T>(T server, CancellationToken cancellationToken) where T : MockServerProcess
    {
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
            accept = await _accepted.Task.WaitAsync(_startTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"{_name} printed no ACCEPT line within {_startTimeout.TotalSeconds:0} s.\n{Diagnostics()}");
        }
        catch (InvalidOperationException)
        {
            await WaitForExitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); // let the output readers catch up
            throw new InvalidOperationException($"{_name} exited (code {_process.ExitCode}) before listening.\n{Diagnostics()}");
        }

        AcceptAddress = accept.Groups["host"].Value;
        Port = int.Parse(accept.Groups["port"].Value, CultureInfo.InvariantCulture);
        ProcessId = int.Parse(accept.Groups["pid"].Value, CultureInfo.InvariantCulture);
    }

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
        GC.SuppressFinalize(this);
    }

    [GeneratedRegex(@"^ACCEPT (?<host>\S+):(?<port>\d+) PID=(?<pid>\d+)\s*$")]
    private static partial Regex AcceptLine();
}
