using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>
/// OpenSSL's HTTP CMP mock server (<c>openssl cmp -port 0 ...</c>) as a child process.
/// </summary>
/// <remarks>
/// <para>
/// <c>-port 0</c> lets the OS choose a free port, so any number of servers can run in parallel.
/// OpenSSL 3.0's <c>-port</c> takes a port only (<c>-port 127.0.0.1:0</c> fails with "malformed
/// host or service"), so the server listens on all interfaces (it prints <c>ACCEPT [::]:PORT</c>);
/// clients are pointed at 127.0.0.1 (<see cref="Host"/>) and tests never use another address.
/// </para>
/// <para>
/// The server is started with <c>-config ""</c> (no OpenSSL configuration file) unless the
/// arguments contain <c>-config</c>, so a machine's openssl.cnf cannot change its behaviour.
/// </para>
/// </remarks>
public sealed partial class OpenSslMockServer : IAsyncDisposable
{
    /// <summary>How long <see cref="StartAsync"/> waits for the <c>ACCEPT</c> line.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Match> _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;
    private volatile bool _exited;

    private OpenSslMockServer(Process process, string command)
    {
        _process = process;
        Command = command;
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
    /// <param name="path">HTTP path (the mock server ignores it); leading slashes are dropped.</param>
    public string Url(string path = "pkix/") =>
        string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}/{path.TrimStart('/')}");

    /// <summary>
    /// Starts <c>openssl cmp -port 0 &lt;extraArgs&gt;</c> in <paramref name="workingDir"/> and waits
    /// (at most <see cref="StartTimeout"/>) until it prints <c>ACCEPT host:port PID=n</c>.
    /// </summary>
    /// <param name="extraArgs">Mock-server options, e.g. <c>-srv_secret pass:x -rsp_cert c.pem</c>.</param>
    /// <param name="workingDir">Working directory; the server only reads files there.</param>
    /// <param name="cancellationToken">Cancels the start (the process is killed).</param>
    /// <exception cref="InvalidOperationException">openssl is missing, or the server exited or did not
    /// listen in time; the message carries the server's output.</exception>
    public static async Task<OpenSslMockServer> StartAsync(
        IEnumerable<string> extraArgs, string workingDir, CancellationToken cancellationToken)
    {
        List<string> extra = extraArgs.ToList();
        var args = new List<string> { "cmp" };
        if (!extra.Contains("-config"))
        {
            args.AddRange(["-config", ""]);
        }

        args.AddRange(["-port", "0"]);
        args.AddRange(extra);

        ProcessStartInfo psi = ChildProcess.CreateStartInfo(OpenSsl.RequirePath(), args, workingDir);
        var server = new OpenSslMockServer(new Process { StartInfo = psi, EnableRaisingEvents = true }, ChildProcess.Describe(psi));
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
            throw new InvalidOperationException(
                $"The OpenSSL mock server printed no ACCEPT line within {StartTimeout.TotalSeconds:0} s.\n{Diagnostics()}");
        }
        catch (InvalidOperationException)
        {
            using (var drain = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            {
                try
                {
                    await _process.WaitForExitAsync(drain.Token).ConfigureAwait(false); // let the output readers catch up
                }
                catch (OperationCanceledException)
                {
                }
            }

            throw new InvalidOperationException(
                $"The OpenSSL mock server exited (code {_process.ExitCode}) before listening.\n{Diagnostics()}");
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
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                _exited = true;
            }
            catch (OperationCanceledException)
            {
                // leave it; nothing more we can do
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
