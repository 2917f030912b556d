namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>
/// Our HTTP mock CA (<c>cmpkit -port 0 ...</c>, run as <c>dotnet CmpKit.Cli.dll</c>) as a child process: the
/// counterpart of <see cref="OpenSslMockServer"/>, so the same client arguments run against both servers.
/// </summary>
/// <remarks>
/// It listens on 127.0.0.1 only and serves the path <c>/pkix/</c> (<see cref="MockServerProcess.Url"/>). It is
/// started with <c>-config ""</c> unless the arguments contain <c>-config</c>. Dispose kills the process tree.
/// </remarks>
public sealed class CmpKitMockServer : MockServerProcess
{
    /// <summary>How long <see cref="StartAsync"/> waits for the <c>ACCEPT</c> line (the dotnet host starts slower than openssl).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private CmpKitMockServer(IEnumerable<string> args, string workingDir)
        : base(CmpKitCli.DotnetPath, args, workingDir, "cmpkit", StartTimeout)
    {
    }

    /// <summary>
    /// Starts <c>cmpkit -port 0 &lt;extraArgs&gt;</c> in <paramref name="workingDir"/> and waits (at most
    /// <see cref="StartTimeout"/>) for <c>ACCEPT host:port PID=n</c>.
    /// </summary>
    /// <param name="extraArgs">Mock-server options, e.g. <c>-srv_secret pass:x</c>.</param>
    /// <param name="workingDir">Working directory.</param>
    /// <param name="cancellationToken">Cancels the start (the process is killed).</param>
    /// <exception cref="InvalidOperationException">The server exited or did not listen in time; the message carries its output.</exception>
    public static Task<CmpKitMockServer> StartAsync(IEnumerable<string> extraArgs, string workingDir, CancellationToken cancellationToken)
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
        return StartAsync(new CmpKitMockServer(args, workingDir), cancellationToken);
    }
}
