using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using CmpKit.Bench;
using CmpKit.Server;
using CmpKit.Server.Http;

namespace CmpKit.Scale;

/// <summary>What a mock server is configured with; the same for every server kind.</summary>
/// <param name="Protection">PBM or signature (the PKI's key type).</param>
/// <param name="PkiDirectory">Where the PKI's PEM files are (for child processes).</param>
/// <param name="Pki">The PKI.</param>
/// <param name="FixedCertificate">Return the PKI's enrolled certificate (-rsp_cert) instead of issuing one.</param>
/// <param name="PollCount">-poll_count (0: no polling).</param>
/// <param name="CheckAfter">-check_after.</param>
/// <param name="Verbosity">-verbosity (3: errors only).</param>
/// <param name="MaxTransactions">How many transactions CmpServer keeps (MockCaOptions.MaxTransactions; `cmpkit -port` has
/// no option for it and keeps 1000, so more open transactions than that fail there).</param>
internal sealed record ServerConfig(ProtectionKind Protection, string PkiDirectory, BenchPki Pki, bool FixedCertificate, int PollCount, int CheckAfter,
    int Verbosity = 3, int MaxTransactions = 1000)
{
    public const string Secret = "CmpKit scale shared secret";
    public const string ServerReference = "scale-server";

    /// <summary>The mock-server options as <c>openssl cmp</c> (and <c>cmpkit</c>) spell them.</summary>
    public List<string> OpenSslArguments()
    {
        var args = new List<string> { "-config", "", "-port", "0", "-verbosity", Verbosity.ToString(CultureInfo.InvariantCulture) };
        args.AddRange(Protection == ProtectionKind.Pbm
            ? ["-srv_ref", ServerReference, "-srv_secret", "pass:" + Secret]
            : ["-srv_cert", "server.crt", "-srv_key", "server.key", "-srv_trusted", "root.crt"]);
        if (FixedCertificate)
        {
            args.AddRange(["-rsp_cert", "enrolled.crt"]);
        }
        if (PollCount > 0)
        {
            args.AddRange(["-poll_count", PollCount.ToString(CultureInfo.InvariantCulture), "-check_after", CheckAfter.ToString(CultureInfo.InvariantCulture)]);
        }
        return args;
    }

    /// <summary>The same configuration for an in-process CmpServer (as CmpKit.Cli's MockServerSetup makes it from those options).</summary>
    public MockCaOptions MockCaOptions() => new()
    {
        SrvRef = Protection == ProtectionKind.Pbm ? System.Text.Encoding.UTF8.GetBytes(ServerReference) : (ReadOnlyMemory<byte>?)null,
        SrvSecret = Protection == ProtectionKind.Pbm ? System.Text.Encoding.UTF8.GetBytes(Secret) : (ReadOnlyMemory<byte>?)null,
        SrvCert = Protection == ProtectionKind.Pbm ? null : Pki.Server.Certificate,
        SrvKey = Protection == ProtectionKind.Pbm ? null : Pki.Server.Key,
        SrvTrusted = Protection == ProtectionKind.Pbm ? [] : [Pki.Root.Certificate],
        RspCert = FixedCertificate ? Pki.Enrolled : null,
        PollCount = PollCount,
        CheckAfter = CheckAfter,
        MaxTransactions = MaxTransactions,
    };

    /// <summary>The arguments of this tool's own server mode (<c>--serve</c>, see <see cref="HostServer"/>).</summary>
    public List<string> ServeArguments() =>
    [
        "--serve", PkiDirectory, Protection.ToString(), FixedCertificate ? "1" : "0",
        PollCount.ToString(CultureInfo.InvariantCulture), CheckAfter.ToString(CultureInfo.InvariantCulture),
        MaxTransactions.ToString(CultureInfo.InvariantCulture),
    ];

    /// <summary>Parses <see cref="ServeArguments"/> (without "--serve").</summary>
    public static ServerConfig FromServeArguments(string[] a)
    {
        var protection = Enum.Parse<ProtectionKind>(a[1]);
        var pki = BenchPki.ReadPem(a[0], protection == ProtectionKind.Rsa ? KeyKind.Rsa2048 : KeyKind.EcP256);
        int Int(int i) => int.Parse(a[i], CultureInfo.InvariantCulture);
        return new ServerConfig(protection, a[0], pki, a[2] == "1", Int(3), Int(4), 3, Int(5));
    }
}

/// <summary>
/// This tool's server mode (<c>CmpKit.Scale --serve ...</c>): CmpKit.Server's CmpHttpHost (Kestrel) with a CmpServer
/// configured as <c>cmpkit -port 0</c> would be from the same options, in its own process, so that the client's
/// memory and CPU are measured alone. Prints <c>ACCEPT 127.0.0.1:port PID=n</c> and serves until killed.
/// </summary>
internal static class HostServer
{
    public static async Task<int> RunAsync(string[] args)
    {
        var config = ServerConfig.FromServeArguments(args);
        await using var host = new CmpHttpHost(new CmpServer(config.MockCaOptions()), IPAddress.Loopback, 0);
        await host.StartAsync().ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ACCEPT 127.0.0.1:{host.Port} PID={Environment.ProcessId}"));
        await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
        return 0;
    }
}

/// <summary>A running mock server the load goes to.</summary>
internal abstract class ServerTarget : IAsyncDisposable
{
    /// <summary>A short description, e.g. <c>child `openssl cmp -port 0` (pid 1234)</c>.</summary>
    public abstract string Description { get; }

    /// <summary>The CMP endpoint.</summary>
    public Uri Uri { get; protected set; } = null!;

    /// <summary>The server's own process, when it runs in one (for its CPU time).</summary>
    public virtual int? ProcessId => null;

    public abstract ValueTask DisposeAsync();
}

/// <summary>CmpKit.Server's CmpHttpHost (Kestrel) in this process.</summary>
internal sealed class InProcessTarget : ServerTarget
{
    private readonly CmpHttpHost _host;

    private InProcessTarget(CmpHttpHost host)
    {
        _host = host;
        Uri = host.Uri;
    }

    public override string Description => "CmpHttpHost in this process";

    public static async Task<InProcessTarget> StartAsync(ServerConfig config, CancellationToken ct)
    {
        var host = new CmpHttpHost(new CmpServer(config.MockCaOptions()), IPAddress.Loopback, 0);
        await host.StartAsync(ct).ConfigureAwait(false);
        return new InProcessTarget(host);
    }

    public override ValueTask DisposeAsync() => _host.DisposeAsync();
}

/// <summary>
/// A mock server in a child process that prints <c>ACCEPT host:port PID=n</c> once it listens
/// (<c>openssl cmp -port 0</c>, <c>cmpkit -port 0</c>). Its output is read (and kept for error messages),
/// never left to fill a pipe.
/// </summary>
internal sealed partial class ChildTarget : ServerTarget
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly string _name;
    private readonly bool _echo;
    private readonly Queue<string> _lastLines = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildTarget(string name, string fileName, IEnumerable<string> args, string workingDirectory, bool echo)
    {
        _name = name;
        _echo = echo;
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
    }

    public override string Description => $"{_name} (pid {_process.Id})";

    public override int? ProcessId => _process.Id;

    /// <summary>Starts <c>openssl cmp -port 0 ...</c>.</summary>
    public static Task<ChildTarget> StartOpenSslAsync(string openssl, ServerConfig config, bool echo, CancellationToken ct) =>
        StartAsync(new ChildTarget("child `openssl cmp -port 0`", openssl, ["cmp", .. config.OpenSslArguments()], config.PkiDirectory, echo), ct);

    /// <summary>Starts this tool in its server mode (<see cref="HostServer"/>).</summary>
    public static Task<ChildTarget> StartHostAsync(ServerConfig config, bool echo, CancellationToken ct) =>
        StartAsync(new ChildTarget("child CmpHttpHost (CmpKit.Scale --serve)", DotnetHost(),
            [typeof(HostServer).Assembly.Location, .. config.ServeArguments()], config.PkiDirectory, echo), ct);

    /// <summary>Starts <c>cmpkit -port 0 ...</c>: CmpKit.Cli.dll with the dotnet host, or an executable (e.g. a NativeAOT build).</summary>
    public static Task<ChildTarget> StartCmpkitAsync(string cmpkit, ServerConfig config, bool echo, CancellationToken ct)
    {
        var args = config.OpenSslArguments();
        return cmpkit.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? StartAsync(new ChildTarget("child `cmpkit -port 0`", DotnetHost(), [cmpkit, .. args], config.PkiDirectory, echo), ct)
            : StartAsync(new ChildTarget("child `cmpkit -port 0`", cmpkit, args, config.PkiDirectory, echo), ct);
    }

    private static async Task<ChildTarget> StartAsync(ChildTarget target, CancellationToken ct)
    {
        try
        {
            await target.StartCoreAsync(ct).ConfigureAwait(false);
            return target;
        }
        catch
        {
            await target.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => _port.TrySetException(new InvalidOperationException($"{_name} exited (code {_process.ExitCode}) before listening"));
        try
        {
            _process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start {_process.StartInfo.FileName}: {e.Message}", e);
        }
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        int port;
        try
        {
            port = await _port.Task.WaitAsync(StartTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"{_name} printed no ACCEPT line within {StartTimeout.TotalSeconds:0} s{Output()}");
        }
        catch (InvalidOperationException e)
        {
            await Task.Delay(500, CancellationToken.None).ConfigureAwait(false); // let the output readers catch up
            throw new InvalidOperationException(e.Message + Output(), e);
        }
        // OpenSSL 3.0's mock server listens on all addresses ([::]); clients always use 127.0.0.1.
        Uri = new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + "/pkix/");
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > 40)
            {
                _lastLines.Dequeue();
            }
        }
        if (_echo)
        {
            Console.Error.WriteLine($"[{_name}] {line}");
        }
        if (AcceptLine().Match(line) is { Success: true } m)
        {
            _port.TrySetResult(int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The server's last output lines, for error messages.</summary>
    public string Output()
    {
        lock (_lastLines)
        {
            return _lastLines.Count == 0 ? "" : "; its last output:\n  " + string.Join("\n  ", _lastLines);
        }
    }

    /// <summary>Whether the process has ended (a crashed server explains failed enrollments).</summary>
    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }
        var fromRuntime = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        return File.Exists(fromRuntime) ? fromRuntime : "dotnet";
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // never started, or already gone
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"^ACCEPT (?<host>\S+):(?<port>\d+) PID=(?<pid>\d+)\s*$")]
    private static partial Regex AcceptLine();
}
