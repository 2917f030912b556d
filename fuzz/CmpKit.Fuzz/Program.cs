using CmpKit.Fuzzing;
using SharpFuzz;

// Usage:
//   CmpKit.Fuzz TARGET                 under afl-fuzz (input on stdin; fuzz/run.sh starts it this way)
//   CmpKit.Fuzz TARGET --replay FILE.. runs the target over files and prints each finding (triage, no AFL)
//   CmpKit.Fuzz TARGET --minimize FILE prints the base64 of a smaller input with the same finding
//                                      (same exception type and throwing frame), for regression tests
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
if (args.Length > 2 && args[1] == "--minimize")
{
    var input = File.ReadAllBytes(args[2]);
    var signature = Signature(target, input) ?? throw new InvalidOperationException("no finding to minimize");
    // Delta debugging, coarse to fine: drop chunks while the finding stays the same.
    for (int chunk = input.Length / 2; chunk >= 1; chunk /= 2)
    {
        for (int at = 0; at + chunk <= input.Length;)
        {
            var smaller = input[..at].Concat(input[(at + chunk)..]).ToArray();
            if (Signature(target, smaller) == signature)
            {
                input = smaller;
            }
            else
            {
                at += chunk;
            }
        }
    }
    Console.WriteLine($"{signature} ({input.Length} bytes)");
    Console.WriteLine(Convert.ToBase64String(input));
    return 0;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var ms = new MemoryStream();
    stream.CopyTo(ms);
    target(ms.ToArray());
});
return 0;

static string? Signature(Action<byte[]> target, byte[] input)
{
    try
    {
        target(input);
        return null;
    }
    catch (Exception e)
    {
        var inner = e.InnerException ?? e;
        var frame = new System.Diagnostics.StackTrace(inner).GetFrames()
            .Select(f => f.GetMethod()).FirstOrDefault(m => m?.DeclaringType?.Namespace?.StartsWith("CmpKit", StringComparison.Ordinal) == true);
        return $"{inner.GetType().Name} at {frame?.DeclaringType?.Name}.{frame?.Name}";
    }
}
