using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Validation;

/// <summary>
/// What the checks on a received message need: trust, expected sender, secret, limits. The client
/// builds one from its options for responses; the server builds one for requests.
/// </summary>
internal sealed record VerificationPolicy
{
    public X509Certificate2? PinnedServerCertificate { get; init; }
    public X500DistinguishedName? ExpectedSender { get; init; }
    public IReadOnlyList<X509Certificate2> TrustAnchors { get; init; } = [];
    public IReadOnlyList<X509Certificate2> Untrusted { get; init; } = [];
    public bool IgnoreKeyUsage { get; init; }
    public bool UnprotectedErrors { get; init; }
    public ReadOnlyMemory<byte>? Secret { get; init; }
    /// <summary>Base keys already derived from <see cref="Secret"/> (shared with the sender's own MAC protection).</summary>
    public Protection.PbmKeyMemo? PbmKeys { get; init; }
    public int MaxPbmIterations { get; init; } = 100_000;
    /// <summary>C7: the most certificates in one message's extraCerts.</summary>
    public int MaxExtraCertificates { get; init; } = 100;
    /// <summary>C20, C29: the most intermediate CA certificates between a certificate and its trust anchor.</summary>
    public int MaxChainDepth { get; init; } = 10;
    public TimeSpan ClockSkew { get; init; }
    public TimeSpan MaxCheckAfter { get; init; } = TimeSpan.FromDays(1);
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>Accept a chain that ends at a trust anchor which is not self-signed (OpenSSL's -partial_chain).</summary>
    public bool PartialChain { get; init; }
    /// <summary>C20: revocation checking of the server's certificate (or its whole chain) with <see cref="Crls"/>.</summary>
    public Client.CmpRevocationCheck RevocationCheck { get; init; }
    /// <summary>The CRLs for <see cref="RevocationCheck"/>.</summary>
    public IReadOnlyList<Org.BouncyCastle.Asn1.X509.CertificateList> Crls { get; init; } = [];
    /// <summary>Do not check certificate validity periods (OpenSSL's mock-server -no_check_time).</summary>
    public bool IgnoreValidityPeriod { get; init; }
}
