namespace CmpKit.Messages;

/// <summary>
/// A bounded, process-wide memo from a certificate's DER encoding to something derived from it alone (a
/// public key object, its BouncyCastle structure, extension values): the key is the whole encoding, compared
/// byte for byte, so a hit is the same certificate, and nothing about trust is remembered. Looked up by span
/// (no copy of <see cref="System.Security.Cryptography.X509Certificates.X509Certificate2.RawDataMemory"/>).
/// When full it starts over; values already handed out stay with their holders (nothing is disposed).
/// </summary>
/// <typeparam name="T">What is remembered; shared between threads, so immutable or safe for concurrent use.</typeparam>
internal sealed class DerKeyedCache<T>(int maxEntries) where T : class
{
    private readonly Dictionary<byte[], T> _entries = new(DerComparer.Instance);
    private readonly Lock _gate = new();

    /// <summary>The most entries remembered.</summary>
    public int MaxEntries { get; } = maxEntries;

    /// <summary>
    /// The value for <paramref name="der"/>, made by <paramref name="make"/> (outside the lock) if none is remembered;
    /// a null from <paramref name="make"/> is returned and not remembered. If another thread made one meanwhile,
    /// that one is returned and this one disposed when it is <see cref="IDisposable"/> (it was never handed out).
    /// </summary>
    public T? GetOrAdd<TState>(ReadOnlySpan<byte> der, TState state, Func<TState, T?> make)
    {
        lock (_gate)
        {
            if (_entries.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(der, out var known))
            {
                return known;
            }
        }
        var value = make(state);
        if (value is null)
        {
            return null;
        }
        lock (_gate)
        {
            var lookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (lookup.TryGetValue(der, out var known))
            {
                (value as IDisposable)?.Dispose();
                return known;
            }
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }
            lookup[der] = value;
            return value;
        }
    }

    /// <summary>Whether a value is remembered for <paramref name="der"/> (for tests).</summary>
    public bool Contains(ReadOnlySpan<byte> der)
    {
        lock (_gate)
        {
            return _entries.GetAlternateLookup<ReadOnlySpan<byte>>().ContainsKey(der);
        }
    }
}
