using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Running;
using CmpKit.Benchmarks;

// Usage (see bench/README.md):
//   dotnet run -c Release --project bench/CmpKit.Benchmarks -- [BenchmarkDotNet options, e.g. --job short --filter '*Ir*']
//   dotnet run -c Release --project bench/CmpKit.Benchmarks -- --report [results directory]
//   dotnet run -c Release --project bench/CmpKit.Benchmarks -- --loop ir|ip|transaction ec|rsa|pbm COUNT
//     runs one CmpKit method COUNT times in a plain loop (no BenchmarkDotNet), for profilers
//   dotnet run -c Release --project bench/CmpKit.Benchmarks -- --ratio ir|ip|transaction ec|rsa|pbm ROUNDS
//     alternates batches of the floor and the CmpKit method, ROUNDS times, and prints the median multiple of the floor
// Without --filter every benchmark runs. After a run, and with --report, prints each benchmark's mean
// as a multiple of its crypto floor and its allocations per operation.
// Artifacts (BenchmarkDotNet's reports and cmpkit-floor-report.md) go to artifacts/benchmarks/ in the repository
// (ignored by git), wherever the command runs from; --artifacts PATH overrides it.
var artifacts = ArtifactsDirectory(args);
var defaultResults = Path.Combine(artifacts, "results");

if (args.Length > 0 && args[0] == "--report")
{
    var directory = args.Length > 1 ? args[1] : defaultResults;
    try
    {
        Console.Write(FloorReport.Format(FloorReport.FromJson(directory)));
        return 0;
    }
    catch (Exception e) when (e is IOException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
    {
        Console.Error.WriteLine("cmpkit benchmarks: " + e.Message);
        return 1;
    }
}

if (args.Length > 0 && args[0] == "--loop")
{
    return ProfileLoop.Run(args.Skip(1).ToArray());
}

if (args.Length > 0 && args[0] == "--ratio")
{
    return ProfileLoop.Ratio(args.Skip(1).ToArray());
}

var arguments = args.Contains("--filter") || args.Contains("-f") || args.Contains("--list") ? args : [.. args, "--filter", "*"];
var config = DefaultConfig.Instance.AddExporter(JsonExporter.Full).WithArtifactsPath(artifacts);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(arguments, config).ToList();
var rows = summaries.SelectMany(FloorReport.FromSummary).ToList();
if (rows.Count == 0)
{
    Console.Error.WriteLine("cmpkit benchmarks: nothing was measured");
    return 1;
}
var table = FloorReport.Format(rows);
Console.WriteLine();
Console.WriteLine("CmpKit: mean as a multiple of the crypto floor, allocations per operation");
Console.WriteLine();
Console.Write(table);
var output = Path.Combine(summaries.FirstOrDefault()?.ResultsDirectoryPath ?? defaultResults, "cmpkit-floor-report.md");
File.WriteAllText(output, table);
Console.WriteLine();
Console.WriteLine("(also written to " + output + ")");
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;

static string ArtifactsDirectory(string[] args)
{
    int i = Array.IndexOf(args, "--artifacts");
    if (i >= 0 && i + 1 < args.Length)
    {
        return Path.GetFullPath(args[i + 1]);
    }
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "CmpKit.slnx")))
        {
            return Path.Combine(dir.FullName, "artifacts", "benchmarks");
        }
    }
    return Path.GetFullPath("BenchmarkDotNet.Artifacts");
}
