using System.Reflection;
using System.Text.RegularExpressions;
using CmpKit.Interop.Tests.Infrastructure;

namespace CmpKit.Interop.Tests;

/// <summary>
/// Runs tests/CmpKit.OpenSslSuite (OpenSSL's own CMP-over-HTTP CSV suite, see docs/openssl-suite.md)
/// for the client/server combinations and checks two things: the runner works (one summary line per
/// CSV whose counts add up to the CSV's test rows, one FAIL/SKIP line per failed/skipped row), and
/// the rows that fail are exactly the ones listed in tests/CmpKit.OpenSslSuite/expected-failures.txt.
/// A new failure fails the test, and so does a listed row that now passes (update the list).
/// The openssl-openssl baseline must pass every row it does not skip for a named 3.0 limitation.
/// </summary>
public sealed partial class OpenSslSuiteTests
{
    private const int TestTimeoutMs = 600_000;
    private static readonly TimeSpan s_runnerTimeout = TimeSpan.FromSeconds(540);

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Baseline_OpenSslClientAgainstOpenSslServer_PassesEveryRowItDoesNotSkip()
    {
        SuiteRun run = await RunSuiteAsync("openssl", "openssl", TestContext.Current.CancellationToken);

        Assert.Null(run.ServerError);
        Assert.True(run.Failed.Count == 0, $"the openssl-openssl baseline has failing rows:\n{run.Output}");
        Assert.True(run.ExitCode == 0, $"the runner exited with {run.ExitCode}:\n{run.Output}");
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData("cmpkit", "openssl")]
    [InlineData("openssl", "cmpkit")]
    [InlineData("cmpkit", "cmpkit")]
    public async Task CmpKit_FailsExactlyTheRowsListedInExpectedFailures(string client, string server)
    {
        SuiteRun run = await RunSuiteAsync(client, server, TestContext.Current.CancellationToken);
        string combination = $"{client}-{server}";

        if (client == "cmpkit" && server == "cmpkit")
        {
            Assert.True(run.Skipped.Count == 0, $"no row may be skipped for cmpkit against cmpkit:\n{string.Join('\n', run.Skipped)}");
        }

        HashSet<string> expected = LoadExpectedFailures(combination);
        HashSet<string> actual = run.ServerError is not null
            ? ["server-does-not-start"]
            : [.. run.Failed];
        string[] newFailures = [.. actual.Except(expected).Order(StringComparer.Ordinal)];
        string[] nowPassing = [.. expected.Except(actual).Order(StringComparer.Ordinal)];
        Assert.True(newFailures.Length == 0 && nowPassing.Length == 0,
            $"{combination}: the failing rows differ from tests/CmpKit.OpenSslSuite/expected-failures.txt; update it.\n"
            + $"new failures ({newFailures.Length}):\n  {string.Join("\n  ", newFailures.Select(r => RowWithTitle(combination, r)))}\n"
            + $"listed but not failing ({nowPassing.Length}):\n  {string.Join("\n  ", nowPassing.Select(r => RowWithTitle(combination, r)))}\n"
            + $"runner output:\n{run.Output}");
        Assert.Equal(run.ServerError is null && run.Failed.Count == 0 ? 0 : 1, run.ExitCode);
    }

    [Fact(Timeout = 120_000)]
    public async Task Runner_TakesACsvFileItHasNeverSeen()
    {
        RepoPaths.RequireShared();
        OpenSsl.RequireOpenSsl();
        string dir = Directory.CreateTempSubdirectory("openssl-suite-new-csv-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "Mock"));
            foreach (string file in Directory.GetFiles(RepoPaths.MockDir))
            {
                string copy = Path.Combine(dir, "Mock", Path.GetFileName(file));
                File.Copy(file, copy);
                File.SetAttributes(copy, FileAttributes.Normal);
            }

            // A new aspect comes with its own section in test.cnf, as OpenSSL's aspects do.
            File.AppendAllText(Path.Combine(dir, "Mock", "test.cnf"), "\n[novel]\nsubject = /CN=novel\n");

            // Placeholders, BLANK, empty fields, a comment row and a TODO row, as OpenSSL writes them.
            File.WriteAllLines(Path.Combine(dir, "test_novel.csv"),
            [
                "expected,description, -section,val, -cmd,val, -opt1,arg1",
                ",,,,,,Misc,comment row",
                "1,ir with PBM, -section,, -cmd,ir,BLANK,, -ref,_PBM_REF, -secret,_PBM_SECRET, -cert,\"\"\"\", -key,\"\"\"\", -certout,_RESULT_DIR/novel.pem",
                "0,ir with wrong PBM secret, -section,, -cmd,ir,, -secret,pass:wrong, -cert,\"\"\"\", -key,\"\"\"\"",
                "1,cr with the signature credentials of [Mock], -section,, -cmd,cr, -certout,_RESULT_DIR/novel_cr.pem",
                "TODO,not a test row, -section,, -cmd,xx",
            ]);

            SuiteRun run = await RunSuiteAsync("openssl", "openssl", TestContext.Current.CancellationToken, dir);

            Assert.True(run.Failed.Count == 0 && run.Skipped.Count == 0 && run.ExitCode == 0, run.Output);
            Assert.Contains("openssl-suite openssl-openssl novel: 3 passed, 0 failed, 0 skipped", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Runs the runner and checks the shape of its output; the result for further asserts.</summary>
    private static async Task<SuiteRun> RunSuiteAsync(string client, string server, CancellationToken cancellationToken, string? suiteDir = null)
    {
        RepoPaths.RequireShared();
        OpenSsl.RequireOpenSsl();
        suiteDir ??= RepoPaths.OpenSslTestsDir;
        string combination = $"{client}-{server}";

        ProcessResult result = await ChildProcess.RunAsync(
            CmpKitCli.DotnetPath,
            [RunnerDll(), "--suite", suiteDir, "--client", client, "--server", server,
             "--row-timeout", "30", "--timeout", "480"],
            suiteDir, s_runnerTimeout, cancellationToken);
        string output = result.StdOut + (result.StdErr.Length > 0 ? "\n--- stderr ---\n" + result.StdErr : "");
        TestContext.Current.TestOutputHelper?.WriteLine(output);

        var failed = new List<string>();
        var skipped = new List<string>();
        var summaries = new Dictionary<string, (int Passed, int Failed, int Skipped)>();
        string? serverError = null;
        foreach (string line in result.StdOut.Split('\n', StringSplitOptions.TrimEntries))
        {
            Match row = RowLine().Match(line);
            Match summary = SummaryLine().Match(line);
            if (row.Success)
            {
                (row.Groups[1].Value == "FAIL" ? failed : skipped).Add(row.Groups[2].Value);
                Assert.True(row.Groups[3].Value.Trim().Length > 0, $"a {row.Groups[1].Value} line without a reason: {line}");
            }
            else if (summary.Success)
            {
                Assert.Equal(combination, summary.Groups[1].Value);
                summaries.Add(summary.Groups[2].Value, (int.Parse(summary.Groups[3].Value), int.Parse(summary.Groups[4].Value), int.Parse(summary.Groups[5].Value)));
            }
            else if (line.StartsWith($"openssl-suite {combination}: the {server} server did not start", StringComparison.Ordinal))
            {
                serverError = line;
            }
        }

        // One summary per CSV, and its counts add up to the CSV's test rows (counted here independently).
        string[] aspects = [.. Directory.GetFiles(suiteDir, "test_*.csv").Select(p => Path.GetFileNameWithoutExtension(p)["test_".Length..]).Order(StringComparer.Ordinal)];
        Assert.Equal(aspects, summaries.Keys.Order(StringComparer.Ordinal));
        foreach (string aspect in aspects)
        {
            (int p, int f, int s) = summaries[aspect];
            int rows = TestRowLines(Path.Combine(suiteDir, $"test_{aspect}.csv")).Count;
            Assert.True(p + f + s == rows, $"{aspect}: {p} passed + {f} failed + {s} skipped != {rows} test rows\n{output}");
            if (serverError is null)
            {
                Assert.Equal(f, failed.Count(r => r.StartsWith(aspect + ":", StringComparison.Ordinal)));
                Assert.Equal(s, skipped.Count(r => r.StartsWith(aspect + ":", StringComparison.Ordinal)));
            }
            else
            {
                Assert.True(p == 0 && s == 0, $"{aspect}: rows passed or were skipped although the server did not start\n{output}");
            }
        }

        return new SuiteRun(result.ExitCode, output, failed, skipped, serverError);
    }

    /// <summary>Line numbers (1-based) of the rows whose first non-blank field is 0 or 1, with their titles.</summary>
    private static Dictionary<int, string> TestRowLines(string csv)
    {
        var rows = new Dictionary<int, string>();
        string[] lines = File.ReadAllLines(csv);
        for (int i = 0; i < lines.Length; i++)
        {
            string[] fields = [.. lines[i].Split(',').Where(f => !string.IsNullOrWhiteSpace(f)).Select(f => f.Trim())];
            if (fields.Length > 0 && fields[0] is "0" or "1")
            {
                rows[i + 1] = fields.Length > 1 ? fields[1] : "";
            }
        }

        return rows;
    }

    /// <summary>
    /// The expected failures of one combination as "aspect:line" (or "server-does-not-start"); each
    /// listed title must still be the title of that CSV line, so a changed CSV cannot shift the list.
    /// </summary>
    private static HashSet<string> LoadExpectedFailures(string combination)
    {
        string path = Path.Combine(RepoPaths.Root, "tests", "CmpKit.OpenSslSuite", "expected-failures.txt");
        var rows = new HashSet<string>(StringComparer.Ordinal);
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Split(" #", 2)[0].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] parts = line.Split(' ', 3);
            if (parts[0] != combination)
            {
                continue;
            }

            if (parts[1] == "server-does-not-start")
            {
                rows.Add(parts[1]);
                continue;
            }

            Match id = RowId().Match(parts[1]);
            Assert.True(id.Success, $"expected-failures.txt: bad row id in '{raw}'");
            string csv = Path.Combine(RepoPaths.OpenSslTestsDir, $"test_{id.Groups[1].Value}.csv");
            Assert.True(File.Exists(csv), $"expected-failures.txt: no {csv} for '{raw}'");
            string? title = TestRowLines(csv).GetValueOrDefault(int.Parse(id.Groups[2].Value));
            string listed = parts.Length > 2 ? parts[2].Trim() : "";
            Assert.True(title == listed, $"expected-failures.txt: line {parts[1]} of test_{id.Groups[1].Value}.csv is '{title}', not '{listed}': '{raw}'");
            rows.Add(parts[1]);
        }

        return rows;
    }

    private static string RowWithTitle(string combination, string id)
    {
        Match m = RowId().Match(id);
        if (!m.Success)
        {
            return $"{combination} {id}";
        }

        string csv = Path.Combine(RepoPaths.OpenSslTestsDir, $"test_{m.Groups[1].Value}.csv");
        string title = File.Exists(csv) ? TestRowLines(csv).GetValueOrDefault(int.Parse(m.Groups[2].Value)) ?? "?" : "?";
        return $"{combination} {id} {title}";
    }

    /// <summary>tests/CmpKit.OpenSslSuite/bin/&lt;configuration of these tests&gt;/net10.0/CmpKit.OpenSslSuite.dll.</summary>
    private static string RunnerDll()
    {
        string configuration = typeof(OpenSslSuiteTests).Assembly
            .GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        string dll = Path.Combine(RepoPaths.Root, "tests", "CmpKit.OpenSslSuite", "bin", configuration, "net10.0", "CmpKit.OpenSslSuite.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing; build the solution first: dotnet build CmpKit.slnx -c {configuration}");
        return dll;
    }

    private sealed record SuiteRun(int ExitCode, string Output, List<string> Failed, List<string> Skipped, string? ServerError);

    [GeneratedRegex(@"^(FAIL|SKIP) (\S+:\d+) .*?:(.*)$")]
    private static partial Regex RowLine();

    [GeneratedRegex(@"^openssl-suite (\S+) (\S+): (\d+) passed, (\d+) failed, (\d+) skipped$")]
    private static partial Regex SummaryLine();

    [GeneratedRegex(@"^(\w+):(\d+)$")]
    private static partial Regex RowId();
}
