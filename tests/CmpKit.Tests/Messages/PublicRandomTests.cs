using CmpKit.Messages;

namespace CmpKit.Tests.Messages;

/// <summary>Values drawn from the per-thread pool are never handed out twice, within a thread or across threads.</summary>
public class PublicRandomTests
{
    [Fact]
    public void Nonces_drawn_past_many_refills_are_all_different()
    {
        // 16-byte values over 20 pools of 512 bytes, with odd lengths in between so that refills happen mid-value.
        var seen = new HashSet<string>();
        for (int i = 0; i < 700; i++)
        {
            Assert.True(seen.Add(Convert.ToHexString(PublicRandom.GetBytes(16))), "a 16-byte value came twice");
            _ = PublicRandom.GetBytes(1 + i % 37);
        }
    }

    [Fact]
    public void Values_on_different_threads_are_different()
    {
        var values = new string[8 * 200];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            for (int i = 0; i < 200; i++)
            {
                values[t * 200 + i] = Convert.ToHexString(PublicRandom.GetBytes(16));
            }
        });
        Assert.Equal(values.Length, values.Distinct().Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(4096)]
    public void Any_length_is_filled(int length)
    {
        var a = PublicRandom.GetBytes(length);
        var b = PublicRandom.GetBytes(length);
        Assert.Equal(length, a.Length);
        if (length >= 16)
        {
            Assert.NotEqual(a, b);
            // Not all zero (a pool byte cleared after use must not be handed out again).
            Assert.Contains(a, x => x != 0);
        }
    }

    [Fact]
    public void The_bytes_look_uniform()
    {
        // 64 KB in 16-byte values: each byte value appears 256 times on average; a pool handed out twice, or
        // cleared bytes handed out, would show as zeros far above that.
        var counts = new int[256];
        for (int i = 0; i < 4096; i++)
        {
            foreach (var b in PublicRandom.GetBytes(16))
            {
                counts[b]++;
            }
        }
        Assert.All(counts, c => Assert.InRange(c, 150, 380));
    }
}
