using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit;
using CmpKit.Bench;
using CmpKit.Client;
using CmpKit.Scale;

// CmpKit.Scale: see ScaleOptions.Usage and bench/README.md.
if (args.Length > 0 && args[0] == "--serve")
{
    return await HostServer.RunAsync(args[1..]);
}
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(ScaleOptions.Usage);
    return 0;
}
ScaleOptions options;
try
{
    options = ScaleOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("CmpKit.Scale: " + e.Message);
    return 64;
}

using var limit = new CancellationTokenSource(options.TimeLimit);
var pkiDir = Directory.CreateTempSubdirectory("cmpkit-scale-");
try
{
    var pki = BenchPki.Create(options.Protection == ProtectionKind.Rsa ? KeyKind.Rsa2048 : KeyKind.EcP256);
    pki.WritePem(pkiDir.FullName);
    var phases = options.Server == ServerKind.Compare ? new[] { ServerKind.Cmpkit, ServerKind.OpenSsl } : [options.Server];
    var results = new List<(ServerKind Server, RunResult Result)>();
    foreach (var server in phases)
    {
        var result = await RunPhaseAsync(server, options, pki, pkiDir.FullName, limit.Token);
        if (result is null)
        {
            return 2;
        }
        results.Add((server, result));
        if (result.Aborted)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CmpKit.Scale: ABORTED: the time limit of {options.TimeLimit.TotalSeconds:0} s was reached with {result.Completed} of {result.Total} enrollments done against {Name(server)}; raise --time-limit or lower --transactions"));
            return 2;
        }
    }
    if (results.Count == 2 && results.All(r => r.Result.Completed > 0))
    {
        double a = Throughput(results[0].Result), b = Throughput(results[1].Result);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"== comparison, same client load: cmpkit {a:0.0} enrollments/s, openssl {b:0.0} enrollments/s: the cmpkit server's throughput is {a / b:0.00}x OpenSSL's mock server's"));
        static double ServerMs(RunResult r) => r.Usage.ServerCpu is { } cpu ? cpu.TotalMilliseconds / Math.Max(1, r.Completed) : double.NaN;
        double ca = ServerMs(results[0].Result), cb = ServerMs(results[1].Result);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   server CPU per enrollment: cmpkit {ca:0.00} ms, openssl {cb:0.00} ms (client and servers share this machine's cores, so throughput also depends on the client's CPU)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT compare throughput_ratio={a / b:0.00} server_cpu_ratio={ca / cb:0.00}"));
    }
    return results.Any(r => r.Result.Failed > 0) ? 1 : 0;
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine("CmpKit.Scale: " + e.Message);
    return 2;
}
finally
{
    try
    {
        pkiDir.Delete(recursive: true);
    }
    catch (IOException)
    {
    }
}

static async Task<RunResult?> RunPhaseAsync(ServerKind server, ScaleOptions o, BenchPki pki, string pkiDir, CancellationToken ct)
{
    bool openSslShaped = server == ServerKind.OpenSsl || o.Server == ServerKind.Compare;
    bool fixedCert = o.FixedCertificate ?? openSslShaped;
    bool affinity = o.Affinity ?? openSslShaped;
    int connections = o.Connections ?? (openSslShaped ? 16 : 256);
    bool polling = o.PollFraction > 0;

    var directConfig = new ServerConfig(o.Protection, pkiDir, pki, fixedCert, 0, 0, o.ServerVerbosity, Math.Max(1000, 2 * o.InFlight));
    var pollingConfig = directConfig with { PollCount = o.PollCount, CheckAfter = o.CheckAfter };
    await using var direct = await StartAsync(server, directConfig, o, ct);
    await using var poller = polling ? await StartAsync(server, pollingConfig, o, ct) : null;

    var clientOptions = o.Protection == ProtectionKind.Pbm
        ? new CmpClientOptions
        {
            MacCredentials = new CmpMacCredentials(Encoding.UTF8.GetBytes(ServerConfig.Secret), "scale-client"u8.ToArray()),
            Recipient = pki.Server.Certificate.SubjectName,
        }
        : new CmpClientOptions
        {
            SignatureCredentials = new CmpSignatureCredentials(pki.Client.Certificate, pki.Client.Key),
            TrustAnchors = [pki.Root.Certificate],
        };
    var template = new CertificateRequestTemplate { Subject = new X500DistinguishedName("CN=CmpKit Scale"), NewKey = pki.NewKey };
    using var directPool = new LanePool(direct.Uri, clientOptions, connections, affinity, o.AffinityReuse);
    using var pollingPool = poller is null ? null : new LanePool(poller.Uri, clientOptions, connections, affinity, o.AffinityReuse);
    var runner = new LoadRunner(directPool, pollingPool, template, o.Verbose);

    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"== {Name(server)}: {direct.Description}{(poller is null ? "" : " + " + poller.Description + " for polling")}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"   {o.Transactions} ir + certConf enrollments, {o.InFlight} in flight, protection {o.Protection.ToString().ToLowerInvariant()}, " +
        $"{(polling ? $"{o.PollFraction:0.###} of them polling (poll_count {o.PollCount}, check_after {o.CheckAfter} s)" : "no polling")}, " +
        $"{(fixedCert ? "fixed certificate (-rsp_cert)" : "certificates issued by the mock CA")}, " +
        $"{connections} connections per server, {(!affinity ? "shared connection pool" : o.AffinityReuse ? "one connection per enrollment, HttpClients reused (affinity)" : "one new connection per enrollment (affinity)")}"));
    try
    {
        await runner.WarmUpAsync(o.Warmup, ct);
    }
    catch (OperationCanceledException)
    {
        Console.Error.WriteLine($"CmpKit.Scale: ABORTED: the time limit of {o.TimeLimit.TotalSeconds:0} s was reached during the warm-up against {Name(server)}");
        return null;
    }
    catch (CmpException e)
    {
        Console.Error.WriteLine($"CmpKit.Scale: the warm-up enrollment against {Name(server)} failed: {e.Reason}: {e.Message}{(direct as ChildTarget)?.Output()}");
        return null;
    }
    var pids = new[] { direct.ProcessId, poller?.ProcessId }.OfType<int>();
    var result = await runner.RunAsync(o.Transactions, o.InFlight, polling ? o.PollFraction : 0, pids, ct);
    Print(server, result, direct is InProcessTarget);
    foreach (var child in new[] { direct, poller }.OfType<ChildTarget>().Where(c => c.HasExited))
    {
        Console.Error.WriteLine($"   the server {child.Description} has exited{child.Output()}");
    }
    return result;
}

static async Task<ServerTarget> StartAsync(ServerKind server, ServerConfig config, ScaleOptions o, CancellationToken ct) => server switch
{
    ServerKind.CmpkitInProcess => await InProcessTarget.StartAsync(config, ct),
    ServerKind.OpenSsl => await ChildTarget.StartOpenSslAsync(o.OpenSslPath, config, o.Verbose, ct),
    ServerKind.CmpkitCli => await ChildTarget.StartCmpkitAsync(o.CmpkitPath ?? FindCmpkit(), config, o.Verbose, ct),
    _ => await ChildTarget.StartHostAsync(config, o.Verbose, ct),
};

static string FindCmpkit()
{
    var next = Path.Combine(AppContext.BaseDirectory, "CmpKit.Cli.dll");
    if (File.Exists(next))
    {
        return next;
    }
    throw new InvalidOperationException($"CmpKit.Cli.dll is not next to this tool ({next}); build the solution, or give --cmpkit PATH");
}

static string Name(ServerKind server) => server switch
{
    ServerKind.Cmpkit => "cmpkit",
    ServerKind.CmpkitCli => "cmpkit-cli",
    ServerKind.CmpkitInProcess => "cmpkit-inprocess",
    ServerKind.OpenSsl => "openssl",
    _ => server.ToString(),
};

static double Throughput(RunResult r) => r.Completed / r.Wall.TotalSeconds;

static void Print(ServerKind server, RunResult r, bool serverInProcess)
{
    var inv = CultureInfo.InvariantCulture;
    static double P(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    static string Ms(double v) => double.IsNaN(v) ? "-" : v.ToString(v >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " ms";
    static string Mb(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
    var u = r.Usage;
    Console.WriteLine(string.Create(inv, $"   completed    {r.Completed} of {r.Total} ({r.Failed} failed) in {r.Wall.TotalSeconds:0.00} s"));
    Console.WriteLine(string.Create(inv, $"   throughput   {Throughput(r):0.0} enrollments/s"));
    Console.WriteLine(string.Create(inv, $"   latency      p50 {Ms(P(r.LatencyMs, 0.5))}, p99 {Ms(P(r.LatencyMs, 0.99))}, max {Ms(P(r.LatencyMs, 1))}" +
        $"   (without polling: p50 {Ms(P(r.DirectLatencyMs, 0.5))}, p99 {Ms(P(r.DirectLatencyMs, 0.99))}; polling: p50 {Ms(P(r.PollingLatencyMs, 0.5))}, p99 {Ms(P(r.PollingLatencyMs, 0.99))})"));
    Console.WriteLine(string.Create(inv, $"   client       peak working set {Mb(u.PeakWorkingSetBytes)}{(u.PeakFromKernel ? " (VmHWM)" : " (sampled)")}" +
        $"{(serverInProcess ? ", server included" : "")}, peak GC heap {Mb(u.PeakGcHeapBytes)}, peak managed allocated {Mb(u.PeakManagedBytes)}, " +
        $"GCs {u.Gen0}/{u.Gen1}/{u.Gen2} (gen 0/1/2)"));
    double perTx = r.Completed > 0 ? u.ClientCpu.TotalMilliseconds / r.Completed : double.NaN;
    Console.WriteLine(string.Create(inv, $"   client CPU   {u.ClientCpu.TotalSeconds:0.00} s{(serverInProcess ? " (client and server)" : "")}, {perTx:0.00} ms per enrollment"));
    if (u.ServerCpu is { } serverCpu)
    {
        Console.WriteLine(string.Create(inv,
            $"   server CPU   {serverCpu.TotalSeconds:0.00} s, {serverCpu.TotalMilliseconds / Math.Max(1, r.Completed):0.00} ms per enrollment, {serverCpu / r.Wall:0.00} cores busy on average"));
    }
    foreach (var (reason, count) in r.FailureCounts.OrderByDescending(kv => kv.Value))
    {
        Console.WriteLine(string.Create(inv, $"   failures     {count} x {reason}"));
    }
    foreach (var sample in r.FailureSamples)
    {
        Console.WriteLine("     e.g. " + sample);
    }
    var serverPart = u.ServerCpu is { } s ? string.Create(inv, $" server_cpu_ms_per_tx={s.TotalMilliseconds / Math.Max(1, r.Completed):0.00}") : "";
    Console.WriteLine(string.Create(inv,
        $"RESULT server={Name(server)} completed={r.Completed} failed={r.Failed} seconds={r.Wall.TotalSeconds:0.00} tps={Throughput(r):0.0} p50_ms={P(r.LatencyMs, 0.5):0.0} p99_ms={P(r.LatencyMs, 0.99):0.0} peak_ws_mb={u.PeakWorkingSetBytes / 1048576.0:0.0} peak_gc_heap_mb={u.PeakGcHeapBytes / 1048576.0:0.0} client_cpu_ms_per_tx={perTx:0.00}{serverPart}"));
}
