using System.Diagnostics;

namespace CmpKit.OpenSslSuite;

/// <summary>What happened to one row.</summary>
public enum RowOutcome
{
    /// <summary>The exit code matched column 0.</summary>
    Passed,

    /// <summary>It did not, the client timed out, or the row could not run.</summary>
    Failed,

    /// <summary>The row needs something the chosen peer cannot do.</summary>
    Skipped,
}

/// <summary>One row's result.</summary>
/// <param name="Row">The row.</param>
/// <param name="Outcome">Passed, failed or skipped.</param>
/// <param name="Why">For a failure or skip: one line saying why.</param>
public sealed record RowResult(SuiteRow Row, RowOutcome Outcome, string? Why);

/// <summary>The results of one CSV file.</summary>
/// <param name="Aspect">The aspect.</param>
/// <param name="Rows">Per row, in file order.</param>
public sealed record AspectResult(string Aspect, IReadOnlyList<RowResult> Rows)
{
    /// <summary>Rows that passed.</summary>
    public int Passed => Rows.Count(r => r.Outcome == RowOutcome.Passed);

    /// <summary>Rows that failed.</summary>
    public int Failed => Rows.Count(r => r.Outcome == RowOutcome.Failed);

    /// <summary>Rows that were skipped.</summary>
    public int Skipped => Rows.Count(r => r.Outcome == RowOutcome.Skipped);
}

/// <summary>The whole run.</summary>
/// <param name="Combination">&lt;client&gt;-&lt;server&gt;.</param>
/// <param name="Aspects">Per CSV file.</param>
/// <param name="ServerError">Set when the server did not start (then every row failed).</param>
public sealed record SuiteResult(string Combination, IReadOnlyList<AspectResult> Aspects, string? ServerError)
{
    /// <summary>True when no row failed.</summary>
    public bool Success => ServerError is null && Aspects.All(a => a.Failed == 0);
}

/// <summary>
/// Does what OpenSSL's harness (test/recipes/80-test_cmp_http.t) does, for any pair of client and
/// server: copies Mock/ to a temporary folder, starts the server there with -config server.cnf,
/// reads host and port from its ACCEPT line, then runs every test_&lt;aspect&gt;.csv row in file
/// order from Mock/ with a shared result folder, compares the exit code with column 0, and kills
/// the server at the end.
/// </summary>
public sealed class SuiteRunner(SuiteOptions options, TextWriter output)
{
    /// <summary>The harness's aspect order; other CSV files follow in name order.</summary>
    private static readonly string[] s_harnessOrder = ["connection", "verification", "credentials", "commands", "enrollment"];

    private bool _openSsl30;

    /// <summary>Runs the suite; never throws for a failing row or peer.</summary>
    public async Task<SuiteResult> RunAsync(CancellationToken cancellationToken)
    {
        string combination = $"{options.Client}-{options.Server}";
        string sourceMock = Path.Combine(options.SuiteDir, "Mock");
        List<(string Aspect, string Path)> csvs = Directory.Exists(options.SuiteDir)
            ? Directory.GetFiles(options.SuiteDir, "test_*.csv")
                .Select(p => (Aspect: SuiteCsv.AspectOf(p)!, Path: p))
                .Where(a => a.Aspect is not null && (options.Aspects.Count == 0 || options.Aspects.Contains(a.Aspect)))
                .OrderBy(a => Array.IndexOf(s_harnessOrder, a.Aspect) is int i && i >= 0 ? i : int.MaxValue)
                .ThenBy(a => a.Aspect, StringComparer.Ordinal)
                .ToList()
            : [];
        if (csvs.Count == 0 || !File.Exists(Path.Combine(sourceMock, "test.cnf")) || !File.Exists(Path.Combine(sourceMock, "server.cnf")))
        {
            string error = $"no test_<aspect>.csv files with Mock/test.cnf and Mock/server.cnf in '{options.SuiteDir}'";
            output.WriteLine($"openssl-suite {combination}: {error}");
            return new SuiteResult(combination, [], error);
        }

        if (options.Client == "openssl" || options.Server == "openssl")
        {
            // The peer-limit tables describe OpenSSL 3.0; for another version they would skip rows
            // without knowing that the peer cannot do them, so they apply to 3.0 only.
            ChildResult version = await ChildProcess.RunAsync(
                new Command(options.OpenSslPath, []), ["version"], Directory.GetCurrentDirectory(), TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            string v = version.Stdout.Trim();
            _openSsl30 = v.StartsWith("OpenSSL 3.0.", StringComparison.Ordinal);
            output.WriteLine(_openSsl30
                ? $"NOTE openssl is {v}: rows needing what OpenSSL 3.0 lacks are skipped (PeerLimits.cs)"
                : $"NOTE openssl is '{v}': the peer limits (PeerLimits.cs) describe OpenSSL 3.0 only, so no row is skipped for it and server.cnf is used as is");
        }

        string work = Directory.CreateTempSubdirectory("openssl-suite-").FullName;
        string mockDir = Path.Combine(work, "Mock");
        string resultDir = Path.Combine(work, "results");
        Directory.CreateDirectory(resultDir);
        try
        {
            CopyMock(sourceMock, mockDir, options.Server == "openssl" && _openSsl30);
            using var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            total.CancelAfter(options.TotalTimeout);
            return await RunInAsync(combination, csvs, mockDir, resultDir, work, total.Token, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (options.Keep)
            {
                output.WriteLine($"openssl-suite {combination}: kept {work}");
            }
            else
            {
                try
                {
                    Directory.Delete(work, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    private async Task<SuiteResult> RunInAsync(
        string combination, List<(string Aspect, string Path)> csvs, string mockDir, string resultDir, string work,
        CancellationToken totalToken, CancellationToken callerToken)
    {
        string testCnf = Path.Combine(mockDir, "test.cnf");
        TestConfig mock = TestConfig.Load(testCnf, "Mock");
        string proxy = (Environment.GetEnvironmentVariable("http_proxy") ?? Environment.GetEnvironmentVariable("HTTP_PROXY") ?? "").Trim('"');
        proxy = System.Text.RegularExpressions.Regex.Replace(proxy, "^https?://", "", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        string? noProxy = Environment.GetEnvironmentVariable("no_proxy") ?? Environment.GetEnvironmentVariable("NO_PROXY");

        (SuiteServer? server, string? serverError) = await SuiteServer.StartAsync(
            options.CommandFor(options.Server), mockDir, Path.Combine(work, "server.log"), options.ServerStartTimeout, callerToken).ConfigureAwait(false);
        if (server is not null)
        {
            mock = Resolve(mock, server);
        }

        await using (server)
        {
            var aspects = new List<AspectResult>();
            if (serverError is not null)
            {
                string hint = options.Server == "cmpkit" ? " (cmpkit's server mode, -port, is not in this build?)" : "";
                output.WriteLine($"openssl-suite {combination}: the {options.Server} server did not start: {serverError}{hint}; every row counts as failed");
            }

            var skippedOutputs = new Dictionary<string, SuiteRow>(StringComparer.Ordinal);
            foreach ((string aspect, string csvPath) in csvs)
            {
                TestConfig config = mock.With(testCnf, aspect);
                if (server is not null)
                {
                    config = Resolve(config, server);
                }

                var dropped = new List<string>();
                List<SuiteRow> rows = SuiteCsv.Load(csvPath, aspect, config, resultDir, "../Mock/test.cnf", proxy, noProxy, dropped);
                foreach (string d in dropped)
                {
                    output.WriteLine($"NOTE {d}");
                }

                var results = new List<RowResult>();
                int sleep = int.TryParse(config["sleep"], out int s) ? s : 0;
                foreach (SuiteRow row in rows)
                {
                    RowResult r;
                    if (server is null)
                    {
                        r = new RowResult(row, RowOutcome.Failed, "server did not start");
                    }
                    else if (totalToken.IsCancellationRequested)
                    {
                        r = new RowResult(row, RowOutcome.Failed, $"not run: the whole run exceeded {options.TotalTimeout.TotalSeconds:0} s");
                    }
                    else
                    {
                        r = await RunRowAsync(row, server, mockDir, resultDir, skippedOutputs, totalToken, callerToken).ConfigureAwait(false);
                    }

                    results.Add(r);
                    if (server is not null)
                    {
                        Report(r);
                    }

                    if (r.Outcome == RowOutcome.Failed && row.ExpectSuccess && sleep > 0 && server is not null)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(sleep), callerToken).ConfigureAwait(false);
                    }
                }

                aspects.Add(new AspectResult(aspect, results));
            }

            foreach (AspectResult a in aspects)
            {
                output.WriteLine($"openssl-suite {combination} {a.Aspect}: {a.Passed} passed, {a.Failed} failed, {a.Skipped} skipped");
            }

            return new SuiteResult(combination, aspects, serverError);
        }
    }

    private async Task<RowResult> RunRowAsync(
        SuiteRow row, SuiteServer server, string mockDir, string resultDir, Dictionary<string, SuiteRow> skippedOutputs,
        CancellationToken totalToken, CancellationToken callerToken)
    {
        List<string> argv = [.. row.Argv];
        if (!argv.Contains("-server"))
        {
            argv.InsertRange(0, ["-server", $"{server.Host}:{server.Port}"]);
        }

        var reasons = new List<string>();
        if (options.Client == "openssl" && _openSsl30)
        {
            reasons.AddRange(PeerLimits.Check(argv, PeerLimits.OpenSsl30Client));
        }

        if (options.Server == "openssl" && _openSsl30)
        {
            reasons.AddRange(PeerLimits.Check(argv, PeerLimits.OpenSsl30Server).Where(r => !reasons.Contains(r)));
        }

        // A row reading a result file that only skipped rows would have written cannot run either.
        for (int i = 0; reasons.Count == 0 && i < argv.Count; i++)
        {
            bool isOutputValue = i > 0 && PeerLimits.OutputOptions.Contains(argv[i - 1]);
            if (isOutputValue)
            {
                continue;
            }

            foreach (string path in argv[i].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (path.StartsWith(resultDir + "/", StringComparison.Ordinal) && !File.Exists(path)
                    && skippedOutputs.TryGetValue(path, out SuiteRow? producer))
                {
                    reasons.Add($"needs {Path.GetFileName(path)}, written only by skipped row {producer.Aspect}:{producer.Line} '{producer.Title}'");
                    break;
                }
            }
        }

        if (reasons.Count > 0)
        {
            for (int i = 1; i < argv.Count; i++)
            {
                if (PeerLimits.OutputOptions.Contains(argv[i - 1]))
                {
                    foreach (string path in argv[i].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        skippedOutputs.TryAdd(path, row);
                    }
                }
            }

            return new RowResult(row, RowOutcome.Skipped, string.Join("; ", reasons));
        }

        if (!server.IsRunning)
        {
            return new RowResult(row, RowOutcome.Failed, "the server is no longer running");
        }

        var watch = Stopwatch.StartNew();
        ChildResult result;
        try
        {
            result = await ChildProcess.RunAsync(options.CommandFor(options.Client), argv, mockDir, options.RowTimeout, totalToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!callerToken.IsCancellationRequested)
        {
            return new RowResult(row, RowOutcome.Failed, $"killed: the whole run exceeded {options.TotalTimeout.TotalSeconds:0} s");
        }

        string command = options.Verbose ? $" [{ShellWords.Describe(options.CommandFor(options.Client).Prefix.Prepend(options.CommandFor(options.Client).FileName).Concat(argv))}]" : "";
        if (result.ExitCode is null)
        {
            return new RowResult(row, RowOutcome.Failed, $"timed out after {options.RowTimeout.TotalSeconds:0} s and was killed: {result.LastLine}{command}");
        }

        bool succeeded = result.ExitCode == 0;
        if (succeeded == row.ExpectSuccess)
        {
            return new RowResult(row, RowOutcome.Passed, options.Verbose
                ? $"exit code {result.ExitCode} in {watch.Elapsed.TotalSeconds:0.0} s" + (succeeded ? "" : $": {result.LastLine}")
                : null);
        }

        string expected = row.ExpectSuccess ? "expected success" : "expected failure";
        return new RowResult(row, RowOutcome.Failed, $"{expected}, exit code {result.ExitCode}: {result.LastLine}{command}");
    }

    private void Report(RowResult r)
    {
        switch (r.Outcome)
        {
            case RowOutcome.Failed:
                output.WriteLine($"FAIL {r.Row.Id}: {r.Why}");
                break;
            case RowOutcome.Skipped:
                output.WriteLine($"SKIP {r.Row.Id}: {r.Why}");
                break;
            case RowOutcome.Passed when options.Verbose:
                output.WriteLine($"PASS {r.Row.Id}: {r.Why}");
                break;
        }
    }

    /// <summary>The harness's start_server: host/port from the ACCEPT line; $server_port references become the port.</summary>
    private static TestConfig Resolve(TestConfig config, SuiteServer server)
    {
        string port = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (config["server_host"] is "*" or null)
        {
            config = config.Set("server_host", server.Host);
        }

        if (config["server_port"] is "0" or null)
        {
            config = config.Set("server_port", port);
        }

        foreach (string key in new[] { "kur_port", "pbm_port" })
        {
            if (config[key] == "$server_port")
            {
                config = config.Set(key, port);
            }
        }

        if (config["server_tls"] is { Length: > 0 } tls && tls != "0")
        {
            config = config.Set("server_tls", port);
        }

        return config;
    }

    /// <summary>
    /// Copies Mock/ (read-only in ../shared) to the work folder. For an OpenSSL 3.0 server, server.cnf
    /// loses master's mock-server options, which 3.0 does not know.
    /// </summary>
    private static void CopyMock(string from, string to, bool forOpenSsl30)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            string dest = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, dest);
            File.SetAttributes(dest, FileAttributes.Normal);
        }

        if (forOpenSsl30)
        {
            string cnf = Path.Combine(to, "server.cnf");
            IEnumerable<string> kept = File.ReadAllLines(cnf).Where(line =>
            {
                string key = line.Split('=', 2)[0].Trim();
                return !PeerLimits.MasterOnlyServerOptions.Contains(key);
            });
            File.WriteAllLines(cnf, kept.Prepend("# OpenSSL 3.0-compatible copy written by CmpKit.OpenSslSuite: master-only options removed: "
                + string.Join(", ", PeerLimits.MasterOnlyServerOptions)));
        }
    }
}
