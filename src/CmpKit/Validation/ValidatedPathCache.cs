using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Validation;

/// <summary>
/// Certification paths that <see cref="X509Chain"/> validated (C20, C29), remembered per list of trust
/// anchors, so that the certificate a server signs every response with is not validated again for each
/// message and each transaction (building a chain costs more than the rest of checking a response).
/// </summary>
/// <remarks>
/// A remembered path is used only while the time of the check lies within the validity of every
/// certificate on it, and only while its anchor is still in the anchor list; revocation (CRL) checks
/// still run on every use, and a path found while validity periods were ignored serves only checks that ignore them too. A path holds no
/// secret and its signatures do not change, so its result can only change with time or with the anchors.
/// Bounded: at most <see cref="MaxEntries"/> paths per anchor list (then it starts over).
/// </remarks>
internal static class ValidatedPathCache
{
    /// <summary>The most paths remembered per anchor list.</summary>
    public const int MaxEntries = 256;

    private sealed record Entry(List<X509Certificate2> Path, byte[] Anchor, DateTime NotBefore, DateTime NotAfter);

    private static readonly ConditionalWeakTable<IReadOnlyList<X509Certificate2>, ConcurrentDictionary<string, Entry>> ByAnchors = new();

    /// <summary>The remembered path of <paramref name="leaf"/> if it may be used at <paramref name="now"/>.</summary>
    public static List<X509Certificate2>? TryGet(IReadOnlyList<X509Certificate2> anchors, X509Certificate2 leaf, bool partialChain, bool ignoreValidity, DateTimeOffset now)
    {
        if (!ByAnchors.TryGetValue(anchors, out var entries) || !entries.TryGetValue(Key(leaf, partialChain, ignoreValidity), out var entry))
        {
            return null;
        }
        var t = now.UtcDateTime;
        if ((!ignoreValidity && (t < entry.NotBefore || t > entry.NotAfter)) || !anchors.Any(a => a.RawDataMemory.Span.SequenceEqual(entry.Anchor)))
        {
            return null;
        }
        return entry.Path;
    }

    /// <summary>Remembers a path that was just validated for <paramref name="leaf"/>; its last element is the anchor.</summary>
    public static void Add(IReadOnlyList<X509Certificate2> anchors, X509Certificate2 leaf, bool partialChain, bool ignoreValidity, List<X509Certificate2> path)
    {
        if (path.Count == 0)
        {
            return;
        }
        var entries = ByAnchors.GetValue(anchors, _ => new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal));
        if (entries.Count >= MaxEntries)
        {
            entries.Clear();
        }
        var notBefore = path.Max(c => c.NotBefore.ToUniversalTime());
        var notAfter = path.Min(c => c.NotAfter.ToUniversalTime());
        entries[Key(leaf, partialChain, ignoreValidity)] = new Entry(path, path[^1].RawData, notBefore, notAfter);
    }

    // A path validated while validity periods were ignored (the mock server's -no_check_time) is used only
    // under the same setting.
    private static string Key(X509Certificate2 leaf, bool partialChain, bool ignoreValidity) =>
        (partialChain ? "p" : "f") + (ignoreValidity ? "i:" : "t:") + Convert.ToHexString(SHA256.HashData(leaf.RawDataMemory.Span));
}
