using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Protection;
using CmpKit.Tests.Messages;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Tests.Protection;

/// <summary>Signers' public keys made once per certificate (process-wide, so alone with the other process-wide cache).</summary>
[Collection(nameof(ProcessWideCertificateCache))]
public class PublicKeyCacheTests
{
    private static readonly AlgorithmIdentifier EcdsaSha256 = new(new DerObjectIdentifier("1.2.840.10045.4.3.2"));
    private static readonly AlgorithmIdentifier RsaSha256 = new(new DerObjectIdentifier("1.2.840.113549.1.1.11"));
    private static readonly AlgorithmIdentifier RsaPssSha256 = SignatureAlgorithms.Identifier(RSA.Create(2048), HashAlgorithmName.SHA256, rsaPss: true);

    private static X509Certificate2 SelfSigned(AsymmetricAlgorithm key, string subject)
    {
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        using var withKey = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadCertificate(withKey.RawData);
    }

    [Fact]
    public void Signatures_verify_with_the_remembered_key_and_wrong_ones_do_not()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        using var ecCert = SelfSigned(ec, "CN=ec signer");
        using var rsaCert = SelfSigned(rsa, "CN=rsa signer");
        var data = "protected part"u8.ToArray();
        var ecSig = ec.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var rsaSig = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var pssSig = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        for (int i = 0; i < 3; i++) // made once, then remembered: the same answers each time
        {
            Assert.True(SignatureAlgorithms.Verify(ecCert, EcdsaSha256, data, ecSig));
            Assert.True(SignatureAlgorithms.Verify(rsaCert, RsaSha256, data, rsaSig));
            Assert.True(SignatureAlgorithms.Verify(rsaCert, RsaPssSha256, data, pssSig));
            Assert.False(SignatureAlgorithms.Verify(ecCert, EcdsaSha256, "other data"u8, ecSig));
            Assert.False(SignatureAlgorithms.Verify(rsaCert, RsaSha256, data, pssSig));
            // The key does not fit the algorithm: false, not another certificate's key.
            Assert.False(SignatureAlgorithms.Verify(ecCert, RsaSha256, data, rsaSig));
            Assert.False(SignatureAlgorithms.Verify(rsaCert, EcdsaSha256, data, ecSig));
        }
        Assert.True(PublicKeyCache.Contains(ecCert));
        Assert.True(PublicKeyCache.Contains(rsaCert));
        Assert.Same(PublicKeyCache.Rsa(rsaCert), PublicKeyCache.Rsa(rsaCert));
        Assert.Null(PublicKeyCache.ECDsa(rsaCert));
        Assert.Null(PublicKeyCache.Rsa(ecCert));
    }

    [Fact]
    public void Another_certificate_for_the_same_key_name_is_its_own_entry()
    {
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var second = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var a = SelfSigned(first, "CN=same name");
        using var b = SelfSigned(second, "CN=same name");
        var data = "x"u8.ToArray();
        Assert.True(SignatureAlgorithms.Verify(a, EcdsaSha256, data, first.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
        Assert.False(SignatureAlgorithms.Verify(b, EcdsaSha256, data, first.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
        Assert.True(SignatureAlgorithms.Verify(b, EcdsaSha256, data, second.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
        Assert.NotSame(PublicKeyCache.ECDsa(a), PublicKeyCache.ECDsa(b));
    }

    [Fact]
    public void A_shared_key_verifies_from_many_threads_at_once()
    {
        using var rsa = RSA.Create(2048);
        using var cert = SelfSigned(rsa, "CN=shared");
        var data = RandomNumberGenerator.GetBytes(1000);
        var good = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var bad = (byte[])good.Clone();
        bad[10] ^= 1;
        var results = new bool[400];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => results[i] = SignatureAlgorithms.Verify(cert, RsaSha256, data, i % 2 == 0 ? good : bad) == (i % 2 == 0));
        Assert.All(results, Assert.True);
    }

    [Fact]
    public void Bounded_it_starts_over_and_keys_handed_out_keep_working()
    {
        using var heldKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var heldCert = SelfSigned(heldKey, "CN=held");
        var held = PublicKeyCache.ECDsa(heldCert)!;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        for (int i = 0; i <= PublicKeyCache.MaxEntries; i++)
        {
            using var c = SelfSigned(key, "CN=k" + i);
            Assert.NotNull(PublicKeyCache.ECDsa(c));
        }
        Assert.False(PublicKeyCache.Contains(heldCert)); // dropped when the cache started over
        var data = "still usable"u8.ToArray();
        Assert.True(held.VerifyData(data, heldKey.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }
}
