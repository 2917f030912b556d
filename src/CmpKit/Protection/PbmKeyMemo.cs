using System.Security.Cryptography;

namespace CmpKit.Protection;

/// <summary>
/// Base keys that <see cref="PasswordBasedMac"/> derived from one shared secret, by salt, one-way function and
/// iteration count: deriving one takes hundreds of hash operations, and a transaction meets the same
/// parameters more than once (a response protected with its request's salt, a message checked again).
/// </summary>
/// <remarks>
/// Bound to one secret (a key is only looked up for the secret the memo was made for, compared in constant
/// time). A base key is as sensitive as the secret; the memo lives as long as its owner (a client's or a
/// server's MAC protection), which holds the secret anyway, and overwrites every key it drops. Bounded:
/// <see cref="MaxEntries"/> keys, then it starts over.
/// </remarks>
internal sealed class PbmKeyMemo
{
    /// <summary>The most base keys remembered.</summary>
    public const int MaxEntries = 1024;

    private readonly byte[] _secret;
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public PbmKeyMemo(ReadOnlySpan<byte> secret) => _secret = secret.ToArray();

    /// <summary>Whether the memo was made for <paramref name="secret"/>.</summary>
    public bool IsFor(ReadOnlySpan<byte> secret) => CryptographicOperations.FixedTimeEquals(_secret, secret);

    /// <summary>A copy of the remembered base key for these parameters, or null.</summary>
    public byte[]? TryGet(string parameters)
    {
        lock (_gate)
        {
            return _keys.TryGetValue(parameters, out var key) ? (byte[])key.Clone() : null;
        }
    }

    /// <summary>Remembers a copy of <paramref name="key"/>.</summary>
    public void Add(string parameters, ReadOnlySpan<byte> key)
    {
        lock (_gate)
        {
            if (_keys.Count >= MaxEntries && !_keys.ContainsKey(parameters))
            {
                foreach (var old in _keys.Values)
                {
                    CryptographicOperations.ZeroMemory(old);
                }
                _keys.Clear();
            }
            _keys[parameters] = key.ToArray();
        }
    }

    /// <summary>How many base keys are remembered (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _keys.Count;
            }
        }
    }
}
