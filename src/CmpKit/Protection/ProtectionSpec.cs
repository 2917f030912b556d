using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Protection;

/// <summary>How outgoing messages are protected (RFC 9810, section 5.1.3).</summary>
internal abstract class ProtectionSpec
{
    /// <summary>A fresh protection algorithm identifier for one message.</summary>
    public abstract AlgorithmIdentifier CreateAlgorithm();

    /// <summary>The protection value over the DER of ProtectedPart.</summary>
    public abstract byte[] Compute(AlgorithmIdentifier algorithm, ReadOnlySpan<byte> protectedPart);

    /// <summary>The senderKID this protection implies, if any.</summary>
    public abstract byte[]? SenderKid { get; }

    /// <summary>Certificates that must open extraCerts (the signer and its chain).</summary>
    public virtual IReadOnlyList<X509Certificate2> LeadingExtraCerts => [];
}

/// <summary>PasswordBasedMac protection with a shared secret.</summary>
internal sealed class MacProtectionSpec : ProtectionSpec
{
    private readonly byte[]? _reference;
    private readonly HashAlgorithmName _owf;
    private readonly HashAlgorithmName _mac;
    private readonly int _iterationCount;
    private readonly int _saltLength;
    private readonly AlgorithmIdentifier? _algorithm;

    public MacProtectionSpec(byte[] secret, byte[]? reference, HashAlgorithmName owf, HashAlgorithmName mac, int iterationCount, int saltLength)
        : this(secret, reference, owf, mac, iterationCount, saltLength, new PbmKeyMemo(secret), null)
    {
    }

    private MacProtectionSpec(byte[] secret, byte[]? reference, HashAlgorithmName owf, HashAlgorithmName mac, int iterationCount,
        int saltLength, PbmKeyMemo keys, AlgorithmIdentifier? algorithm)
    {
        Secret = secret;
        _reference = reference;
        _owf = owf;
        _mac = mac;
        _iterationCount = iterationCount;
        _saltLength = saltLength;
        Keys = keys;
        _algorithm = algorithm;
    }

    public byte[] Secret { get; }

    /// <summary>The base keys derived from <see cref="Secret"/>, shared with the checks of received messages.</summary>
    public PbmKeyMemo Keys { get; }

    public override byte[]? SenderKid => _reference;

    public override AlgorithmIdentifier CreateAlgorithm() =>
        _algorithm ?? PasswordBasedMac.CreateAlgorithm(_owf, _mac, _iterationCount, _saltLength);

    public override byte[] Compute(AlgorithmIdentifier algorithm, ReadOnlySpan<byte> protectedPart) =>
        PasswordBasedMac.Compute(Secret, algorithm, protectedPart, int.MaxValue, Keys);

    /// <summary>
    /// This protection for a message that follows one protected with <paramref name="request"/> (the answer
    /// to a request whose MAC verified, or the next request of the same transaction): when that message used
    /// this protection's one-way function, MAC and iteration count, this one takes its salt too, so the base
    /// key derived for it serves again (and the peer, who derived it as well, checks without deriving it
    /// again). Otherwise a fresh salt for every message.
    /// </summary>
    public MacProtectionSpec Answering(AlgorithmIdentifier? request) =>
        request is not null && PasswordBasedMac.HasParameters(request, _owf, _mac, _iterationCount)
            ? new MacProtectionSpec(Secret, _reference, _owf, _mac, _iterationCount, _saltLength, Keys, request)
            : this;
}

/// <summary>Signature protection with a certificate's private key.</summary>
internal sealed class SignatureProtectionSpec(X509Certificate2 certificate, AsymmetricAlgorithm key,
    IReadOnlyList<X509Certificate2> chain, HashAlgorithmName digest, bool rsaPss) : ProtectionSpec
{
    public X509Certificate2 Certificate { get; } = certificate;

    public override byte[]? SenderKid =>
        Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes.ToArray();

    public override IReadOnlyList<X509Certificate2> LeadingExtraCerts => [Certificate, .. chain];

    public override AlgorithmIdentifier CreateAlgorithm() => SignatureAlgorithms.Identifier(key, digest, rsaPss);

    public override byte[] Compute(AlgorithmIdentifier algorithm, ReadOnlySpan<byte> protectedPart) =>
        SignatureAlgorithms.Sign(key, digest, rsaPss, protectedPart).Signature;
}
