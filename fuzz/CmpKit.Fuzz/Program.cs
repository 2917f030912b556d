using CmpKit.Fuzzing;
using SharpFuzz;

// Usage:
//   CmpKit.Fuzz TARGET                 under afl-fuzz (input on stdin; fuzz/run.sh starts it this way)
//   CmpKit.Fuzz TARGET --replay FILE.. runs the target over files and prints each finding (triage, no AFL)
// TARGET: decode | client | server (see tests/CmpKit.Tests/Robustness/FuzzTargets.cs).
if (args.Length < 1 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine("usage: CmpKit.Fuzz decode|client|server [--replay FILE...]");
    return 2;
}
if (args.Length > 1 && args[1] == "--replay")
{
    int findings = 0;
    foreach (var file in args.Skip(2))
    {
        try
        {
            target(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            findings++;
            Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e.InnerException?.ToString() ?? e.ToString());
        }
    }
    Console.WriteLine($"{args.Length - 2} inputs, {findings} findings");
    return findings == 0 ? 0 : 1;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var ms = new MemoryStream();
    stream.CopyTo(ms);
    target(ms.ToArray());
});
return 0;
