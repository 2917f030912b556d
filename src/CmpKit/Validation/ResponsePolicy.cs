using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Validation;

/// <summary>What the response checks need from the client context, independent of the client's public types.</summary>
internal sealed record ResponsePolicy
{
    public X509Certificate2? PinnedServerCertificate { get; init; }
    public X500DistinguishedName? ExpectedSender { get; init; }
    public IReadOnlyList<X509Certificate2> TrustAnchors { get; init; } = [];
    public IReadOnlyList<X509Certificate2> Untrusted { get; init; } = [];
    public bool IgnoreKeyUsage { get; init; }
    public bool UnprotectedErrors { get; init; }
    public ReadOnlyMemory<byte>? Secret { get; init; }
    public int MaxPbmIterations { get; init; } = 100_000;
    public TimeSpan ClockSkew { get; init; }
    public TimeSpan MaxCheckAfter { get; init; } = TimeSpan.FromDays(1);
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
