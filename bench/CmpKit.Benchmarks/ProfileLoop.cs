using System.Diagnostics;

namespace CmpKit.Benchmarks;

/// <summary>
/// <c>--loop ir|ip|transaction ec|rsa|pbm COUNT</c>: one CmpKit benchmark method in a plain loop, without
/// BenchmarkDotNet's processes and phases, so that a profiler (perf, valgrind) sees only that method after the
/// set-up. Prints, for the second half of the calls (the first half warms up), the mean wall time and process
/// CPU time per call (CPU time leaves out the time a virtual machine's host takes the core away), the bytes
/// allocated per call, and the garbage collections with the share of the wall time their pauses took.
/// </summary>
internal static class ProfileLoop
{
    public static int Run(string[] args) => Run(args, ratio: false);

    /// <summary>
    /// <c>--ratio ir|ip|transaction ec|rsa|pbm ROUNDS</c>: the multiple of the crypto floor measured by alternating,
    /// in one process, a batch of the floor's calls and a batch of the CmpKit method's (each ~50 ms) for ROUNDS
    /// rounds, so that both see the same stretches of a noisy machine. Prints the ratio of the means over all rounds,
    /// the median and quartiles of the rounds' own ratios, and the ratio of the fastest rounds.
    /// </summary>
    public static int Ratio(string[] args) => Run(args, ratio: true);

    private static int Run(string[] args, bool ratio)
    {
        string option = ratio ? "--ratio" : "--loop";
        if (args.Length != 3 || !int.TryParse(args[2], out int count) || count < 2)
        {
            Console.Error.WriteLine($"cmpkit benchmarks: {option} takes ir|ip|transaction, ec|rsa|pbm and a count of at least 2");
            return 2;
        }
        Protection? protection = args[1] switch
        {
            "ec" => Protection.EcP256,
            "rsa" => Protection.Rsa2048,
            "pbm" => Protection.Pbm,
            _ => null,
        };
        CaseBase? bench = args[0] switch
        {
            "ir" => new IrBenchmarks(),
            "ip" => new IpBenchmarks(),
            "transaction" => new TransactionBenchmarks(),
            _ => null,
        };
        if (bench is null || protection is null)
        {
            Console.Error.WriteLine($"cmpkit benchmarks: unknown {option} case '{args[0]} {args[1]}'; use ir|ip|transaction and ec|rsa|pbm");
            return 2;
        }
        bench.Protection = protection.Value;
        bench.Setup();
        Func<object> call = bench switch
        {
            IrBenchmarks b => () => b.BuildAndProtectIr(),
            IpBenchmarks b => () => b.DecodeAndValidateIp(),
            TransactionBenchmarks b => () => b.IrCertConf().GetAwaiter().GetResult(),
            _ => throw new InvalidOperationException(),
        };
        if (ratio)
        {
            Func<object> floor = bench switch
            {
                IrBenchmarks b => () => b.Floor(),
                IpBenchmarks b => () => b.Floor(),
                TransactionBenchmarks b => () => b.Floor(),
                _ => throw new InvalidOperationException(),
            };
            return Alternate($"{args[0]} {args[1]}", floor, call, count);
        }
        for (int i = 0; i < count / 2; i++)
        {
            _ = call();
        }
        int measured = count - count / 2;
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        long allocated0 = GC.GetTotalAllocatedBytes(precise: false);
        var pause0 = GC.GetTotalPauseDuration();
        int[] collections0 = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < measured; i++)
        {
            _ = call();
        }
        watch.Stop();
        process.Refresh();
        double wall = watch.Elapsed.TotalMicroseconds;
        double cpu = (process.TotalProcessorTime - cpu0).TotalMicroseconds / measured;
        double allocated = (GC.GetTotalAllocatedBytes(precise: false) - allocated0) / (double)measured / 1024;
        double pause = (GC.GetTotalPauseDuration() - pause0).TotalMicroseconds;
        // Collections counted per generation (a gen1 collection also collects gen0; CollectionCount(0) counts both).
        int gen2 = GC.CollectionCount(2) - collections0[2], gen1 = GC.CollectionCount(1) - collections0[1] - gen2, gen0 = GC.CollectionCount(0) - collections0[0] - gen1 - gen2;
        Console.WriteLine(FormattableString.Invariant(
            $"{args[0]} {args[1]}: {wall / measured:F1} us wall, {cpu:F1} us CPU, {allocated:F1} KB allocated per call; GC: {gen0}/{gen1}/{gen2} gen0/1/2 collections, pauses {100 * pause / wall:F1}% of the wall time (the last {measured} of {count} calls)"));
        return 0;
    }

    private static int Alternate(string name, Func<object> floor, Func<object> method, int rounds)
    {
        // Warm up (tiered JIT with dynamic PGO takes thousands of transactions to reach its final code: ~2,500
        // PBM transactions after 1 s were still twice as slow as later), then size each batch to ~50 ms.
        int floorBatch = BatchFor(floor, 2000), methodBatch = BatchFor(method, 8000);
        var ratios = new List<double>();
        var floorTimes = new List<double>();
        var methodTimes = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            double f = Time(floor, floorBatch), m = Time(method, methodBatch);
            floorTimes.Add(f);
            methodTimes.Add(m);
            ratios.Add(m / f);
        }
        ratios.Sort();
        // The means over all rounds: what each costs with its garbage collections (a round of the method has a
        // few gen0 collections, a gen1 or gen2 collection falls in some rounds only). The fastest rounds of each
        // are the nearest to a quiet machine, but leave those collections out.
        double methodMean = methodTimes.Average(), floorMean = floorTimes.Average();
        Console.WriteLine(FormattableString.Invariant(
            $"{name}: {methodMean:F1} us per call, floor {floorMean:F1} us: {methodMean / floorMean:F2}x floor (means over {rounds} alternating rounds); per-round ratio median {Median(ratios):F2}, quartiles {ratios[rounds / 4]:F2}-{ratios[3 * rounds / 4]:F2}; fastest rounds {methodTimes.Min():F1} and {floorTimes.Min():F1} us: {methodTimes.Min() / floorTimes.Min():F2}x"));
        return 0;
    }

    private static int BatchFor(Func<object> call, int warmUpMilliseconds)
    {
        var watch = Stopwatch.StartNew();
        while (watch.ElapsedMilliseconds < warmUpMilliseconds)
        {
            _ = call();
        }
        watch.Restart();
        int calls = 0;
        while (watch.ElapsedMilliseconds < 500)
        {
            _ = call();
            calls++;
        }
        return Math.Max(1, (int)(calls * 50 / watch.Elapsed.TotalMilliseconds));
    }

    /// <summary>Microseconds per call over a batch.</summary>
    private static double Time(Func<object> call, int batch)
    {
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < batch; i++)
        {
            _ = call();
        }
        return watch.Elapsed.TotalMicroseconds / batch;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
