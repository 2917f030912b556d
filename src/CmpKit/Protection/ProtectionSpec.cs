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
internal sealed class MacProtectionSpec(byte[] secret, byte[]? reference, HashAlgorithmName owf, HashAlgorithmName mac,
    int iterationCount, int saltLength) : ProtectionSpec
{
    public byte[] Secret { get; } = secret;

    public override byte[]? SenderKid => reference;

    public override AlgorithmIdentifier CreateAlgorithm() => PasswordBasedMac.CreateAlgorithm(owf, mac, iterationCount, saltLength);

    public override byte[] Compute(AlgorithmIdentifier algorithm, ReadOnlySpan<byte> protectedPart) =>
        PasswordBasedMac.Compute(Secret, algorithm, protectedPart, int.MaxValue);
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
