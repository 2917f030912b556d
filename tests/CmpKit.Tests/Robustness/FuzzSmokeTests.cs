using System.Diagnostics;
using CmpKit.Fuzzing;
using CmpKit.Tests.Support;

namespace CmpKit.Tests.Robustness;

/// <summary>
/// CI's short stand-in for fuzzing: each fuzz target's body (FuzzTargets, the code AFL++ runs
/// through fuzz/run.sh) over the seed corpus, in process, with the first-byte modes the seeds of
/// fuzz/run.sh use. Bounded: at most 200 messages per target and 60 s in all per target.
/// </summary>
public class FuzzSmokeTests
{
    private const int MaxMessages = 200;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    /// <summary>The seed messages of fuzz/run.sh: DER messages of the shared vectors and OpenSSL's unit data, up to 16 KiB.</summary>
    internal static IReadOnlyList<(string Name, byte[] Bytes)> Seeds()
    {
        SharedData.Require();
        var roots = new[] { SharedData.Vectors, Path.Combine(SharedData.Dir, "openssl-cmp-unit-data") };
        return roots.Where(Directory.Exists)
            .SelectMany(r => Directory.EnumerateFiles(r, "*", SearchOption.AllDirectories))
            .Where(f => Path.GetExtension(f) is ".der" or ".bin" or ".PKI" or ".pkimessage")
            .Order(StringComparer.Ordinal)
            .Select(f => (Name: Path.GetRelativePath(SharedData.Dir, f), Bytes: File.ReadAllBytes(f)))
            .Where(s => s.Bytes is [0x30, ..] && s.Bytes.Length <= 16384)
            .Take(MaxMessages)
            .ToList();
    }

    [Theory(Timeout = 120_000)]
    [InlineData("decode", new byte[0])]
    [InlineData("client", new byte[] { 0x00, 0x04, 0x05, 0x06 })]
    [InlineData("server", new byte[] { 0x00, 0x01 })]
    public void Target_body_has_no_finding_on_the_seed_corpus(string target, byte[] modes)
    {
        var seeds = Seeds();
        Assert.NotEmpty(seeds);
        var run = FuzzTargets.All[target];
        var clock = Stopwatch.StartNew();
        int runs = 0;
        var findings = new List<string>();
        foreach (var (name, bytes) in seeds)
        {
            foreach (var input in modes.Length == 0 ? [bytes] : modes.Select(m => (byte[])[m, .. bytes]))
            {
                if (clock.Elapsed > Budget || TestContext.Current.CancellationToken.IsCancellationRequested)
                {
                    break;
                }
                try
                {
                    run(input);
                }
                catch (Exception e)
                {
                    findings.Add($"{name} (mode {(modes.Length == 0 ? "-" : input[0].ToString("x2"))}): {e.GetType().Name}: {e.Message}");
                }
                runs++;
            }
        }
        Assert.True(findings.Count == 0, string.Join(Environment.NewLine, findings));
        Assert.True(runs >= Math.Min(seeds.Count, 20), $"only {runs} runs within {Budget}");
    }
}
