using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Protection;

/// <summary>
/// Signature algorithm identifiers (RFC 9481, section 3) mapped to .NET's RSA and ECDsa:
/// RSA PKCS#1 v1.5, RSASSA-PSS (MGF1 with the same hash, salt length = hash length) and ECDSA.
/// </summary>
internal static class SignatureAlgorithms
{
    internal enum KeyKind { Rsa, RsaPss, Ecdsa }

    internal readonly record struct SignatureAlgorithm(KeyKind Kind, HashAlgorithmName Hash);

    private static readonly Dictionary<string, SignatureAlgorithm> ByOid = new()
    {
        ["1.2.840.113549.1.1.5"] = new(KeyKind.Rsa, HashAlgorithmName.SHA1),
        ["1.2.840.113549.1.1.11"] = new(KeyKind.Rsa, HashAlgorithmName.SHA256),
        ["1.2.840.113549.1.1.12"] = new(KeyKind.Rsa, HashAlgorithmName.SHA384),
        ["1.2.840.113549.1.1.13"] = new(KeyKind.Rsa, HashAlgorithmName.SHA512),
        ["2.16.840.1.101.3.4.3.14"] = new(KeyKind.Rsa, HashAlgorithmName.SHA3_256),
        ["2.16.840.1.101.3.4.3.15"] = new(KeyKind.Rsa, HashAlgorithmName.SHA3_384),
        ["2.16.840.1.101.3.4.3.16"] = new(KeyKind.Rsa, HashAlgorithmName.SHA3_512),
        ["1.2.840.10045.4.1"] = new(KeyKind.Ecdsa, HashAlgorithmName.SHA1),
        ["1.2.840.10045.4.3.2"] = new(KeyKind.Ecdsa, HashAlgorithmName.SHA256),
        ["1.2.840.10045.4.3.3"] = new(KeyKind.Ecdsa, HashAlgorithmName.SHA384),
        ["1.2.840.10045.4.3.4"] = new(KeyKind.Ecdsa, HashAlgorithmName.SHA512),
        ["2.16.840.1.101.3.4.3.10"] = new(KeyKind.Ecdsa, HashAlgorithmName.SHA3_256),
        ["2.16.840.1.101.3.4.3.11"] = new(KeyKind.Ecdsa, HashAlgorithmName.SHA3_384),
        ["2.16.840.1.101.3.4.3.12"] = new(KeyKind.Ecdsa, HashAlgorithmName.SHA3_512),
    };

    private const string RsaPssOid = "1.2.840.113549.1.1.10";
    private const string Mgf1Oid = "1.2.840.113549.1.1.8";

    /// <summary>Whether the OID names a signature algorithm (supported or not) rather than a MAC.</summary>
    public static bool IsKnownSignatureOid(string oid) => ByOid.ContainsKey(oid) || oid == RsaPssOid;

    /// <summary>The algorithm identifier for signing with <paramref name="key"/> and <paramref name="hash"/>.</summary>
    public static AlgorithmIdentifier Identifier(AsymmetricAlgorithm key, HashAlgorithmName hash, bool rsaPss)
    {
        var kind = key switch
        {
            RSA when rsaPss => KeyKind.RsaPss,
            RSA => KeyKind.Rsa,
            ECDsa => KeyKind.Ecdsa,
            _ => throw new CmpException(CmpFailureReason.InvalidCredentials,
                $"keys of type {key.GetType().Name} cannot sign CMP messages here (RSA and ECDSA are supported)"),
        };
        if (kind == KeyKind.RsaPss)
        {
            var hashId = new AlgorithmIdentifier(new DerObjectIdentifier(HashOid(hash)), DerNull.Instance);
            var pssParams = new RsassaPssParameters(hashId,
                new AlgorithmIdentifier(new DerObjectIdentifier(Mgf1Oid), hashId),
                DerInteger.ValueOf(HashLength(hash)), DerInteger.ValueOf(1));
            return new AlgorithmIdentifier(new DerObjectIdentifier(RsaPssOid), pssParams);
        }
        foreach (var (oid, alg) in ByOid)
        {
            if (alg.Kind == kind && alg.Hash == hash)
            {
                // RFC 4055: sha*WithRSAEncryption carry NULL parameters; ECDSA ones carry none (RFC 5758).
                return kind == KeyKind.Rsa
                    ? new AlgorithmIdentifier(new DerObjectIdentifier(oid), DerNull.Instance)
                    : new AlgorithmIdentifier(new DerObjectIdentifier(oid));
            }
        }
        throw new CmpException(CmpFailureReason.InvalidOptions, $"digest {hash.Name} cannot be used for {kind} signatures");
    }

    /// <summary>Signs <paramref name="data"/>; returns the algorithm identifier and the signature value.</summary>
    public static (AlgorithmIdentifier Algorithm, byte[] Signature) Sign(AsymmetricAlgorithm key, HashAlgorithmName hash, bool rsaPss, ReadOnlySpan<byte> data)
    {
        var id = Identifier(key, hash, rsaPss);
        byte[] sig = key switch
        {
            RSA rsa => rsa.SignData(data.ToArray(), hash, rsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1),
            ECDsa ec => ec.SignData(data, hash, DSASignatureFormat.Rfc3279DerSequence),
            _ => throw new CmpException(CmpFailureReason.InvalidCredentials, "unsupported signing key type"),
        };
        return (id, sig);
    }

    /// <summary>Resolves an algorithm identifier, or throws <see cref="CmpFailureReason.UnsupportedProtectionAlgorithm"/>.</summary>
    public static SignatureAlgorithm Resolve(AlgorithmIdentifier algorithm)
    {
        var oid = algorithm.Algorithm.Id;
        if (ByOid.TryGetValue(oid, out var alg))
        {
            return alg;
        }
        if (oid == RsaPssOid)
        {
            var p = RsassaPssParameters.GetInstance(algorithm.Parameters ?? throw Unsupported(oid, "RSASSA-PSS without parameters"));
            var hash = HashFromOid(p.HashAlgorithm.Algorithm.Id) ?? throw Unsupported(oid, "RSASSA-PSS with an unsupported hash");
            var mgfHash = p.MaskGenAlgorithm.Algorithm.Id == Mgf1Oid
                ? HashFromOid(AlgorithmIdentifier.GetInstance(p.MaskGenAlgorithm.Parameters).Algorithm.Id)
                : null;
            if (mgfHash != hash || p.SaltLength.IntValueExact != HashLength(hash) || p.TrailerField.IntValueExact != 1)
            {
                throw Unsupported(oid, "RSASSA-PSS parameters other than MGF1 with the same hash and salt length = hash length");
            }
            return new SignatureAlgorithm(KeyKind.RsaPss, hash);
        }
        throw Unsupported(oid, null);
    }

    private static CmpException Unsupported(string oid, string? detail) =>
        new(CmpFailureReason.UnsupportedProtectionAlgorithm,
            $"signature algorithm {oid} is not supported" + (detail is null ? "" : $" ({detail})"));

    /// <summary>Verifies a signature with the public key of <paramref name="certificate"/>; false if it does not verify or the key does not fit the algorithm.</summary>
    public static bool Verify(X509Certificate2 certificate, AlgorithmIdentifier algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var alg = Resolve(algorithm);
        try
        {
            switch (alg.Kind)
            {
                case KeyKind.Rsa:
                case KeyKind.RsaPss:
                    return PublicKeyCache.Rsa(certificate) is { } rsa && rsa.VerifyData(data, signature, alg.Hash,
                        alg.Kind == KeyKind.RsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
                case KeyKind.Ecdsa:
                    return PublicKeyCache.ECDsa(certificate) is { } ec
                        && ec.VerifyData(data, signature, alg.Hash, DSASignatureFormat.Rfc3279DerSequence);
                default:
                    return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Verifies a signature with a public key given as SubjectPublicKeyInfo DER (e.g. a POP signature).</summary>
    public static bool Verify(byte[] subjectPublicKeyInfo, AlgorithmIdentifier algorithm, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var alg = Resolve(algorithm);
        try
        {
            switch (alg.Kind)
            {
                case KeyKind.Rsa:
                case KeyKind.RsaPss:
                    using (var rsa = SubjectPublicKeys.ImportRsa(subjectPublicKeyInfo))
                    {
                        return rsa.VerifyData(data, signature, alg.Hash,
                            alg.Kind == KeyKind.RsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
                    }
                case KeyKind.Ecdsa:
                    using (var ec = SubjectPublicKeys.ImportECDsa(subjectPublicKeyInfo))
                    {
                        return ec.VerifyData(data, signature, alg.Hash, DSASignatureFormat.Rfc3279DerSequence);
                    }
                default:
                    return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public static string HashOid(HashAlgorithmName hash) => hash.Name switch
    {
        "SHA1" => "1.3.14.3.2.26",
        "SHA256" => "2.16.840.1.101.3.4.2.1",
        "SHA384" => "2.16.840.1.101.3.4.2.2",
        "SHA512" => "2.16.840.1.101.3.4.2.3",
        "SHA3-256" => "2.16.840.1.101.3.4.2.8",
        "SHA3-384" => "2.16.840.1.101.3.4.2.9",
        "SHA3-512" => "2.16.840.1.101.3.4.2.10",
        _ => throw new CmpException(CmpFailureReason.InvalidOptions, $"digest {hash.Name} is not supported"),
    };

    public static HashAlgorithmName? HashFromOid(string oid) => oid switch
    {
        "1.3.14.3.2.26" => HashAlgorithmName.SHA1,
        "2.16.840.1.101.3.4.2.1" => HashAlgorithmName.SHA256,
        "2.16.840.1.101.3.4.2.2" => HashAlgorithmName.SHA384,
        "2.16.840.1.101.3.4.2.3" => HashAlgorithmName.SHA512,
        "2.16.840.1.101.3.4.2.8" => HashAlgorithmName.SHA3_256,
        "2.16.840.1.101.3.4.2.9" => HashAlgorithmName.SHA3_384,
        "2.16.840.1.101.3.4.2.10" => HashAlgorithmName.SHA3_512,
        _ => null,
    };

    public static int HashLength(HashAlgorithmName hash) => hash.Name switch
    {
        "SHA1" => 20,
        "SHA256" or "SHA3-256" => 32,
        "SHA384" or "SHA3-384" => 48,
        "SHA512" or "SHA3-512" => 64,
        _ => throw new CmpException(CmpFailureReason.InvalidOptions, $"digest {hash.Name} is not supported"),
    };

    public static byte[] HashData(HashAlgorithmName hash, ReadOnlySpan<byte> data) => hash.Name switch
    {
        "SHA1" => SHA1.HashData(data),
        "SHA256" => SHA256.HashData(data),
        "SHA384" => SHA384.HashData(data),
        "SHA512" => SHA512.HashData(data),
        "SHA3-256" => SHA3_256.HashData(data),
        "SHA3-384" => SHA3_384.HashData(data),
        "SHA3-512" => SHA3_512.HashData(data),
        _ => throw new CmpException(CmpFailureReason.InvalidOptions, $"digest {hash.Name} is not supported"),
    };

    /// <summary>
    /// The hash used for certConf's certHash (RFC 9810, section 5.3.18): the one of the
    /// certificate's signature algorithm, or null when that algorithm defines none (e.g. EdDSA).
    /// </summary>
    public static HashAlgorithmName? CertificateHash(X509Certificate2 certificate)
    {
        var oid = certificate.SignatureAlgorithm.Value ?? "";
        return ByOid.TryGetValue(oid, out var alg) ? alg.Hash
            : oid == RsaPssOid ? CertificateHash(X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(certificate.RawData)).SignatureAlgorithm)
            : null; // e.g. EdDSA, or md5WithRSA (not acceptable)
    }

    /// <inheritdoc cref="CertificateHash(X509Certificate2)"/>
    /// <param name="signatureAlgorithm">The certificate's signatureAlgorithm.</param>
    public static HashAlgorithmName? CertificateHash(AlgorithmIdentifier signatureAlgorithm)
    {
        if (ByOid.TryGetValue(signatureAlgorithm.Algorithm.Id, out var alg))
        {
            return alg.Hash;
        }
        if (signatureAlgorithm.Algorithm.Id != RsaPssOid)
        {
            return null;
        }
        try
        {
            return Resolve(signatureAlgorithm).Hash;
        }
        catch (CmpException)
        {
            return null;
        }
    }
}
