namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>
/// OpenSSL's HTTP CMP mock server (<c>openssl cmp -port 0 ...</c>) as a child process.
/// </summary>
/// <remarks>
/// <para>
/// <c>-port 0</c> lets the OS choose a free port, so any number of servers can run in parallel.
/// OpenSSL 3.0's <c>-port</c> takes a port only (<c>-port 127.0.0.1:0</c> fails with "malformed
/// host or service"), so the server listens on all interfaces (it prints <c>ACCEPT [::]:PORT</c>);
/// clients are pointed at 127.0.0.1 (<see cref="MockServerProcess.Host"/>) and tests never use another address.
/// </para>
/// <para>
/// The server is started with <c>-config ""</c> (no OpenSSL configuration file) unless the
/// arguments contain <c>-config</c>, so a machine's openssl.cnf cannot change its behaviour.
/// </para>
/// </remarks>
public sealed class OpenSslMockServer : MockServerProcess
{
    /// <summary>How long <see cref="StartAsync"/> waits for the <c>ACCEPT</c> line.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private OpenSslMockServer(IEnumerable<string> args, string workingDir)
        : base(OpenSsl.RequirePath(), args, workingDir, "The OpenSSL mock server", StartTimeout)
    {
    }

    /// <summary>
    /// Starts <c>openssl cmp -port 0 &lt;extraArgs&gt;</c> in <paramref name="workingDir"/> and waits
    /// (at most <see cref="StartTimeout"/>) until it prints <c>ACCEPT host:port PID=n</c>.
    /// </summary>
    /// <param name="extraArgs">Mock-server options, e.g. <c>-srv_secret pass:x -rsp_cert c.pem</c>.</param>
    /// <param name="workingDir">Working directory; the server only reads files there.</param>
    /// <param name="cancellationToken">Cancels the start (the process is killed).</param>
    /// <exception cref="InvalidOperationException">openssl is missing, or the server exited or did not
    /// listen in time; the message carries the server's output.</exception>
    public static Task<OpenSslMockServer> StartAsync(IEnumerable<string> extraArgs, string workingDir, CancellationToken cancellationToken)
    {
        List<string> extra = extraArgs.ToList();
        var args = new List<string> { "cmp" };
        if (!extra.Contains("-config"))
        {
            args.AddRange(["-config", ""]);
        }
        args.AddRange(["-port", "0"]);
        args.AddRange(extra);
        return StartAsync(new OpenSslMockServer(args, workingDir), cancellationToken);
    }
}
