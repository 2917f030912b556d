using System.Globalization;

namespace CmpKit.Scale;

/// <summary>Which server the load goes to.</summary>
internal enum ServerKind
{
    /// <summary>
    /// CmpKit.Server's CmpHttpHost (Kestrel) in a child process: this tool's server mode, configured as <c>cmpkit -port 0</c>
    /// would be, but keeping as many open transactions as there are enrollments in flight.
    /// </summary>
    Cmpkit,

    /// <summary>The CLI's mock server in a child process: <c>cmpkit -port 0</c> (it keeps at most 1000 open transactions).</summary>
    CmpkitCli,

    /// <summary>CmpKit.Server's CmpHttpHost inside this process (then peak memory includes the server).</summary>
    CmpkitInProcess,

    /// <summary>OpenSSL's mock server in a child process: <c>openssl cmp -port 0</c>.</summary>
    OpenSsl,

    /// <summary>The same load against the child cmpkit server, then against OpenSSL's; prints the throughput ratio.</summary>
    Compare,
}

/// <summary>Request protection.</summary>
internal enum ProtectionKind
{
    /// <summary>PasswordBasedMac with a shared secret (cheaper).</summary>
    Pbm,

    /// <summary>Signatures with EC P-256 keys.</summary>
    Ec,

    /// <summary>Signatures with RSA-2048 keys.</summary>
    Rsa,
}

/// <summary>The command line of CmpKit.Scale.</summary>
internal sealed record ScaleOptions
{
    public int Transactions { get; init; } = 1000;
    public int? Concurrency { get; init; }
    public ProtectionKind Protection { get; init; } = ProtectionKind.Pbm;
    public double PollFraction { get; init; } = 0.1;
    public int PollCount { get; init; } = 2;
    public int CheckAfter { get; init; } = 1;
    public ServerKind Server { get; init; } = ServerKind.Cmpkit;
    public int? Connections { get; init; }
    public bool? Affinity { get; init; }
    public bool AffinityReuse { get; init; }
    public bool? FixedCertificate { get; init; }
    public int Warmup { get; init; } = 20;
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(600);
    public string? CmpkitPath { get; init; }
    public string OpenSslPath { get; init; } = "openssl";
    public bool Verbose { get; init; }
    public int ServerVerbosity { get; init; } = 3;

    /// <summary>Transactions in flight at once (default: all of them).</summary>
    public int InFlight => Math.Min(Concurrency ?? Transactions, Transactions);

    public const string Usage = """
        CmpKit.Scale: many concurrent ir + certConf enrollments from one client process over HTTP on 127.0.0.1.

        Usage: dotnet run -c Release --project bench/CmpKit.Scale -- [options]

          --transactions N     enrollments to run (default 1000)
          --concurrency N      enrollments in flight at once (default: all of them)
          --protection P       pbm (default), ec (EC P-256 signatures) or rsa (RSA-2048 signatures)
          --poll-fraction F    share of enrollments sent to a second server that makes them poll (default 0.1)
          --poll-count N       that server's -poll_count (default 2: one waiting ip, one pollRep, then the ip)
          --check-after S      that server's -check_after in seconds (default 1)
          --server S           cmpkit (default: CmpKit.Server's CmpHttpHost in a child process, configured as
                               `cmpkit -port 0` would be but keeping every open transaction), cmpkit-cli (child
                               `cmpkit -port 0` itself; it keeps at most 1000 open transactions, so more in flight
                               fail), cmpkit-inprocess (CmpHttpHost in this process: memory and CPU then include
                               the server), openssl (child `openssl cmp -port 0`), or compare (cmpkit, then
                               openssl, same load; prints the throughput ratio)
          --connections N      HTTP connections per server (default 256; 16 for openssl and compare)
          --affinity on|off    each enrollment keeps one connection for all its messages (default: on for
                               openssl and compare, which OpenSSL's one-transaction-at-a-time mock needs; off
                               otherwise: all enrollments share the connection pool, a polling one holds none)
          --affinity-reuse     with affinity, keep each of the N HttpClients for the next enrollment instead of
                               a new one per enrollment (shows .NET's connection-reuse race with OpenSSL's
                               HTTP/1.0 mock server: some enrollments fail with "connection reset by peer")
          --fixed-cert on|off  the server returns one fixed certificate (-rsp_cert) instead of issuing one
                               (default: on for openssl and compare, which OpenSSL's mock needs; off otherwise)
          --warmup N           enrollments run one by one before measuring (default 20)
          --time-limit S       abort with a message after S seconds (default 600)
          --cmpkit PATH        the cmpkit server: CmpKit.Cli.dll (run with dotnet) or an executable
                               (default: CmpKit.Cli.dll next to this tool)
          --openssl PATH       the openssl executable (default: openssl on PATH)
          --verbose            print the servers' output and every failure
          --server-verbosity N the servers' -verbosity (default 3: errors only; 6 logs every message)
        """;

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a one-line message.</summary>
    public static ScaleOptions Parse(string[] args)
    {
        var o = new ScaleOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Int(int min) => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min
                ? v : throw new ArgumentException($"{name} needs a whole number of at least {min}");
            bool OnOff() => Value() switch
            {
                "on" or "true" or "1" => true,
                "off" or "false" or "0" => false,
                var v => throw new ArgumentException($"{name} takes on or off, not '{v}'"),
            };
            o = name switch
            {
                "--transactions" => o with { Transactions = Int(1) },
                "--concurrency" => o with { Concurrency = Int(1) },
                "--protection" => o with
                {
                    Protection = Value() switch
                    {
                        "pbm" => ProtectionKind.Pbm,
                        "ec" => ProtectionKind.Ec,
                        "rsa" => ProtectionKind.Rsa,
                        var v => throw new ArgumentException($"--protection takes pbm, ec or rsa, not '{v}'"),
                    },
                },
                "--poll-fraction" => o with
                {
                    PollFraction = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f is >= 0 and <= 1
                        ? f : throw new ArgumentException("--poll-fraction needs a number from 0 to 1"),
                },
                "--poll-count" => o with { PollCount = Int(1) },
                "--check-after" => o with { CheckAfter = Int(0) },
                "--server" => o with
                {
                    Server = Value() switch
                    {
                        "cmpkit" => ServerKind.Cmpkit,
                        "cmpkit-cli" => ServerKind.CmpkitCli,
                        "cmpkit-inprocess" => ServerKind.CmpkitInProcess,
                        "openssl" => ServerKind.OpenSsl,
                        "compare" => ServerKind.Compare,
                        var v => throw new ArgumentException($"--server takes cmpkit, cmpkit-cli, cmpkit-inprocess, openssl or compare, not '{v}'"),
                    },
                },
                "--connections" => o with { Connections = Int(1) },
                "--affinity" => o with { Affinity = OnOff() },
                "--affinity-reuse" => o with { AffinityReuse = true },
                "--fixed-cert" => o with { FixedCertificate = OnOff() },
                "--warmup" => o with { Warmup = Int(0) },
                "--time-limit" => o with { TimeLimit = TimeSpan.FromSeconds(Int(1)) },
                "--cmpkit" => o with { CmpkitPath = Value() },
                "--openssl" => o with { OpenSslPath = Value() },
                "--verbose" => o with { Verbose = true },
                "--server-verbosity" => o with { ServerVerbosity = Int(0) },
                _ => throw new ArgumentException($"unknown option '{name}' (see --help)"),
            };
        }
        if ((o.Server is ServerKind.OpenSsl or ServerKind.Compare) && o.FixedCertificate == false)
        {
            throw new ArgumentException("OpenSSL's mock server can only return a fixed certificate: --fixed-cert off does not go with --server openssl or compare");
        }
        if ((o.Server is ServerKind.OpenSsl or ServerKind.Compare) && o.Affinity == false)
        {
            throw new ArgumentException("OpenSSL's mock server handles one transaction at a time: --affinity off does not go with --server openssl or compare");
        }
        return o;
    }
}
