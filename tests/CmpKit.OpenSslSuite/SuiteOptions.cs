using System.Reflection;

namespace CmpKit.OpenSslSuite;

/// <summary>The runner's settings (command line: see <see cref="Usage"/>).</summary>
public sealed record SuiteOptions
{
    /// <summary>Folder with test_&lt;aspect&gt;.csv files and Mock/.</summary>
    public required string SuiteDir { get; init; }

    /// <summary><c>cmpkit</c> or <c>openssl</c>.</summary>
    public required string Client { get; init; }

    /// <summary><c>cmpkit</c> or <c>openssl</c>.</summary>
    public required string Server { get; init; }

    /// <summary>cmpkit to run: an executable or a CmpKit.Cli.dll (run with dotnet); null = find it.</summary>
    public string? CmpKitPath { get; init; }

    /// <summary>The openssl executable.</summary>
    public string OpenSslPath { get; init; } = "openssl";

    /// <summary>Limit per client run; a row that takes longer is killed and fails.</summary>
    public TimeSpan RowTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Limit for the whole run; rows not run by then fail.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Limit for the server to print its ACCEPT line.</summary>
    public TimeSpan ServerStartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Only these aspects (empty = all CSV files in <see cref="SuiteDir"/>).</summary>
    public IReadOnlyList<string> Aspects { get; init; } = [];

    /// <summary>Keep the temporary Mock/ copy, results and server log.</summary>
    public bool Keep { get; init; }

    /// <summary>Also print passing rows and the full command of failing ones.</summary>
    public bool Verbose { get; init; }

    /// <summary>The command-line help.</summary>
    public const string Usage = """
        usage: CmpKit.OpenSslSuite [--suite DIR] --client cmpkit|openssl --server cmpkit|openssl
                                   [--cmpkit PATH] [--openssl PATH] [--aspect NAME]...
                                   [--row-timeout SECONDS] [--timeout SECONDS] [--keep] [--verbose]
          --suite DIR      test_<aspect>.csv files and Mock/ (default: $CMPKIT_SHARED_DIR/openssl-cmp-tests,
                           else ../shared/openssl-cmp-tests relative to the repository root)
          --cmpkit PATH    the cmpkit executable or CmpKit.Cli.dll (default: CmpKit.Cli.dll next to this
                           runner, else src/CmpKit.Cli/bin/<configuration>/net10.0/cmpkit)
          --row-timeout    per client run, default 30; --timeout: whole run, default 1200
        Prints one line per failed or skipped row, then per CSV
          openssl-suite <client>-<server> <aspect>: N passed, N failed, N skipped
        Exit code 0 when no row failed, 1 when some failed (or the server did not start),
        2 for bad arguments or a --suite folder without CSV files and Mock/.
        """;

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> with a one-line message.</summary>
    public static SuiteOptions Parse(IReadOnlyList<string> args)
    {
        string? suite = null, client = null, server = null, cmpkit = null, openssl = null;
        double rowTimeout = 30, total = 1200;
        var aspects = new List<string>();
        bool keep = false, verbose = false;
        for (int i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double Seconds()
            {
                string name = args[i];
                return double.TryParse(Next(), System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0
                    ? s
                    : throw new ArgumentException($"{name} needs a positive number of seconds");
            }

            switch (args[i])
            {
                case "--suite": suite = Next(); break;
                case "--client": client = Next(); break;
                case "--server": server = Next(); break;
                case "--cmpkit": cmpkit = Next(); break;
                case "--openssl": openssl = Next(); break;
                case "--aspect": aspects.Add(Next()); break;
                case "--row-timeout": rowTimeout = Seconds(); break;
                case "--timeout": total = Seconds(); break;
                case "--keep": keep = true; break;
                case "--verbose": verbose = true; break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }

        foreach ((string name, string? value) in new[] { ("--client", client), ("--server", server) })
        {
            if (value is not ("cmpkit" or "openssl"))
            {
                throw new ArgumentException($"{name} must be cmpkit or openssl");
            }
        }

        return new SuiteOptions
        {
            SuiteDir = Path.GetFullPath(suite ?? DefaultSuiteDir()),
            Client = client!,
            Server = server!,
            CmpKitPath = cmpkit,
            OpenSslPath = openssl ?? "openssl",
            RowTimeout = TimeSpan.FromSeconds(rowTimeout),
            TotalTimeout = TimeSpan.FromSeconds(total),
            Aspects = aspects,
            Keep = keep,
            Verbose = verbose,
        };
    }

    /// <summary>$CMPKIT_SHARED_DIR/openssl-cmp-tests, else &lt;repository root&gt;/../shared/openssl-cmp-tests.</summary>
    public static string DefaultSuiteDir()
    {
        string? shared = Environment.GetEnvironmentVariable("CMPKIT_SHARED_DIR");
        if (!string.IsNullOrWhiteSpace(shared))
        {
            return Path.Combine(shared, "openssl-cmp-tests");
        }

        string root = FindRepoRoot() ?? Directory.GetCurrentDirectory();
        return Path.Combine(root, "..", "shared", "openssl-cmp-tests");
    }

    /// <summary>The folder holding CmpKit.slnx above the current directory or this assembly, or null.</summary>
    public static string? FindRepoRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CmpKit.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    /// <summary>How to run cmpkit: --cmpkit, else CmpKit.Cli.dll beside the runner, else the built apphost.</summary>
    public Command CmpKitCommand()
    {
        if (CmpKitPath is not null)
        {
            return CmpKitPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                ? new Command(DotnetHost(), [Path.GetFullPath(CmpKitPath)])
                : new Command(Path.GetFullPath(CmpKitPath), []);
        }

        string beside = Path.Combine(AppContext.BaseDirectory, "CmpKit.Cli.dll");
        if (File.Exists(beside))
        {
            return new Command(DotnetHost(), [beside]);
        }

        string configuration = typeof(SuiteOptions).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        string built = Path.Combine(FindRepoRoot() ?? ".", "src", "CmpKit.Cli", "bin", configuration, "net10.0", "cmpkit");
        return new Command(built, []);
    }

    /// <summary>The command for a peer name.</summary>
    public Command CommandFor(string peer) =>
        peer == "cmpkit" ? CmpKitCommand() : new Command(OpenSslPath, ["cmp"]);

    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
