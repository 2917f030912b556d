using System.Globalization;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Reports;

namespace CmpKit.Benchmarks;

/// <summary>
/// The report the issue asks for: each CmpKit benchmark's mean as a multiple of its class's <c>Floor</c>
/// (same protection case), and the bytes it allocates per operation (per ir, per ip, per transaction).
/// Made from the summaries at the end of a run, or (<c>--report</c>) from the JSON files of an earlier run.
/// </summary>
internal static class FloorReport
{
    /// <summary>One measured benchmark case.</summary>
    public sealed record Row(string Type, string Method, string Protection, double MeanNs, double? StdDevNs, long? AllocatedBytes);

    /// <summary>The rows of a run's summaries.</summary>
    public static IEnumerable<Row> FromSummary(Summary summary)
    {
        foreach (var report in summary.Reports)
        {
            var bc = report.BenchmarkCase;
            if (report.ResultStatistics is not { } stats)
            {
                continue; // failed or not run
            }
            yield return new Row(bc.Descriptor.Type.Name, bc.Descriptor.WorkloadMethod.Name,
                bc.Parameters["Protection"]?.ToString() ?? "", stats.Mean, stats.StandardDeviation,
                report.GcStats.GetBytesAllocatedPerOperation(bc));
        }
    }

    /// <summary>The rows of the "full" JSON exports (*-report-full.json) in <paramref name="directory"/>.</summary>
    public static IEnumerable<Row> FromJson(string directory)
    {
        var files = Directory.Exists(directory) ? Directory.GetFiles(directory, "*-report-full*.json") : [];
        if (files.Length == 0)
        {
            throw new FileNotFoundException($"no *-report-full*.json in '{directory}': run the benchmarks first (they export it there)");
        }
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var b in doc.RootElement.GetProperty("Benchmarks").EnumerateArray())
            {
                if (!b.TryGetProperty("Statistics", out var stats) || stats.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                var parameters = b.GetProperty("Parameters").GetString() ?? "";
                var protection = parameters.Split('&').Select(p => p.Split('=')).FirstOrDefault(p => p[0] == "Protection")?[1] ?? "";
                long? allocated = b.TryGetProperty("Memory", out var mem) && mem.TryGetProperty("BytesAllocatedPerOperation", out var bytes)
                    && bytes.ValueKind == JsonValueKind.Number ? bytes.GetInt64() : null;
                yield return new Row(b.GetProperty("Type").GetString() ?? "", b.GetProperty("Method").GetString() ?? "", protection,
                    stats.GetProperty("Mean").GetDouble(), stats.TryGetProperty("StandardDeviation", out var sd) ? sd.GetDouble() : null, allocated);
            }
        }
    }

    /// <summary>A Markdown table: benchmark, case, mean, floor, multiple of the floor, allocated bytes per operation.</summary>
    public static string Format(IEnumerable<Row> rows)
    {
        var all = rows.ToList();
        var floors = all.Where(r => r.Method == "Floor").ToDictionary(r => (r.Type, r.Protection), r => r);
        var sb = new StringBuilder();
        sb.AppendLine("| Benchmark | Protection | Mean | Crypto floor | x floor | Allocated per op |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var r in all.Where(r => r.Method != "Floor").OrderBy(r => Order(r.Type)).ThenBy(r => r.Type).ThenBy(r => r.Method).ThenBy(r => r.Protection))
        {
            floors.TryGetValue((r.Type, r.Protection), out var floor);
            var ratio = floor is { MeanNs: > 0 } ? (r.MeanNs / floor.MeanNs).ToString("0.00", CultureInfo.InvariantCulture) : "?";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {Name(r)} | {r.Protection} | {Time(r.MeanNs)} | {(floor is null ? "?" : Time(floor.MeanNs))} | {ratio} | {Bytes(r.AllocatedBytes)} |");
        }
        return sb.ToString();
    }

    private static int Order(string type) => type switch
    {
        nameof(IrBenchmarks) => 0,
        nameof(IpBenchmarks) => 1,
        nameof(TransactionBenchmarks) => 2,
        _ => 3,
    };

    private static string Name(Row r) => r.Type switch
    {
        nameof(IrBenchmarks) => "build + protect ir",
        nameof(IpBenchmarks) => "decode + validate ip",
        nameof(TransactionBenchmarks) => "ir + certConf transaction (client and in-process server)",
        _ => r.Type + "." + r.Method,
    };

    private static string Time(double ns) => ns switch
    {
        >= 1e6 => (ns / 1e6).ToString("0.000", CultureInfo.InvariantCulture) + " ms",
        >= 1e3 => (ns / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " us",
        _ => ns.ToString("0", CultureInfo.InvariantCulture) + " ns",
    };

    private static string Bytes(long? bytes) => bytes switch
    {
        null => "?",
        >= 1024 * 1024 => (bytes.Value / (1024.0 * 1024)).ToString("0.00", CultureInfo.InvariantCulture) + " MB",
        >= 1024 => (bytes.Value / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        _ => bytes.Value.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
