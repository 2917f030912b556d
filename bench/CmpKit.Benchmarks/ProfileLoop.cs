using System.Diagnostics;

namespace CmpKit.Benchmarks;

/// <summary>
/// <c>--loop ir|ip|transaction ec|rsa|pbm COUNT</c>: one CmpKit benchmark method in a plain loop, without
/// BenchmarkDotNet's processes and phases, so that a profiler (perf, valgrind) sees only that method after the
/// set-up. Prints the mean time per call of the second half of the calls (the first half warms up).
/// </summary>
internal static class ProfileLoop
{
    public static int Run(string[] args)
    {
        if (args.Length != 3 || !int.TryParse(args[2], out int count) || count < 2)
        {
            Console.Error.WriteLine("cmpkit benchmarks: --loop takes ir|ip|transaction, ec|rsa|pbm and a count of at least 2");
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
            Console.Error.WriteLine("cmpkit benchmarks: unknown --loop case '" + args[0] + " " + args[1] + "'; use ir|ip|transaction and ec|rsa|pbm");
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
        var watch = new Stopwatch();
        for (int i = 0; i < count; i++)
        {
            if (i == count / 2)
            {
                watch.Start();
            }
            _ = call();
        }
        watch.Stop();
        double perCall = watch.Elapsed.TotalMicroseconds / (count - count / 2);
        Console.WriteLine(FormattableString.Invariant($"{args[0]} {args[1]}: {perCall:F1} us per call (mean of the last {count - count / 2} of {count})"));
        return 0;
    }
}
