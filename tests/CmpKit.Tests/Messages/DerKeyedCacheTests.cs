using CmpKit.Messages;

namespace CmpKit.Tests.Messages;

/// <summary>The bounded memo behind the per-process caches of public keys, BouncyCastle structures and signer facts.</summary>
public class DerKeyedCacheTests
{
    private sealed class Value(string name) : IDisposable
    {
        public string Name { get; } = name;
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void Equal_bytes_from_different_arrays_give_the_one_value_made_once()
    {
        var cache = new DerKeyedCache<Value>(4);
        int made = 0;
        var first = cache.GetOrAdd(new byte[] { 0x30, 0x01, 0x00 }, "a", n => { made++; return new Value(n); });
        var second = cache.GetOrAdd(new byte[] { 0x30, 0x01, 0x00 }, "b", n => { made++; return new Value(n); });
        Assert.Same(first, second);
        Assert.Equal(1, made);
        var other = cache.GetOrAdd(new byte[] { 0x30, 0x01, 0x01 }, "c", n => new Value(n));
        Assert.Equal("c", other!.Name);
    }

    [Fact]
    public void Null_is_returned_and_not_remembered()
    {
        var cache = new DerKeyedCache<Value>(4);
        Assert.Null(cache.GetOrAdd(new byte[] { 1 }, 0, _ => null));
        Assert.False(cache.Contains(new byte[] { 1 }));
        Assert.Equal("later", cache.GetOrAdd(new byte[] { 1 }, 0, _ => new Value("later"))!.Name);
    }

    [Fact]
    public void A_value_made_meanwhile_wins_and_the_late_one_is_disposed()
    {
        var cache = new DerKeyedCache<Value>(4);
        var key = new byte[] { 7, 7 };
        Value? inner = null, outer = null;
        var result = cache.GetOrAdd(key, 0, _ =>
        {
            // Another caller adds the same certificate while this one is still making its value.
            inner = cache.GetOrAdd(key, 0, _ => new Value("first"));
            return outer = new Value("second");
        });
        Assert.Same(inner, result);
        Assert.False(inner!.Disposed);
        Assert.True(outer!.Disposed);
    }

    [Fact]
    public void When_full_it_starts_over_without_disposing_what_it_handed_out()
    {
        var cache = new DerKeyedCache<Value>(3);
        var held = cache.GetOrAdd(new byte[] { 0 }, 0, _ => new Value("held"))!;
        for (byte i = 1; i <= 3; i++)
        {
            cache.GetOrAdd(new[] { i }, i, n => new Value(n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        Assert.False(cache.Contains(new byte[] { 0 }));
        Assert.True(cache.Contains(new byte[] { 3 }));
        Assert.False(held.Disposed);
    }
}
