using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Protection;

namespace CmpKit.Tests.Protection;

/// <summary>
/// Public keys made by libcrypto's EVP_PKEY_fromdata (the fast path on Linux with OpenSSL 3) are the keys .NET
/// makes, and everything the fast path does not take is left to .NET, which accepts or refuses it as before.
/// </summary>
public class SubjectPublicKeysTests
{
    private static readonly byte[] Data = "data signed for the test"u8.ToArray();

    public static TheoryData<string> Curves => new() { "P-256", "P-384", "P-521" };

    private static ECCurve Curve(string name) => name switch
    {
        "P-256" => ECCurve.NamedCurves.nistP256,
        "P-384" => ECCurve.NamedCurves.nistP384,
        _ => ECCurve.NamedCurves.nistP521,
    };

    private static bool FastPathExpected => OperatingSystem.IsLinux() && Libcrypto.SharedWithDotNet;

    [Fact]
    public void On_linux_with_openssl_3_the_fast_path_is_there()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "libcrypto is looked up on Linux only; elsewhere .NET imports every key");
        Assert.True(Libcrypto.Version != 0, "neither libcrypto.so.3 nor libcrypto.so.1.1 was found");
        Assert.SkipWhen(Libcrypto.Version < 0x3000_0000L, "libcrypto is OpenSSL 1.1: EVP_PKEY_fromdata is OpenSSL 3 only, so .NET imports every key");
        Assert.True(Libcrypto.SharedWithDotNet, $"libcrypto {Libcrypto.Version:x} is not the OpenSSL .NET uses");
    }

    [Theory]
    [MemberData(nameof(Curves))]
    public void An_ec_key_made_by_libcrypto_is_the_key_and_verifies(string curve)
    {
        using var key = ECDsa.Create(Curve(curve));
        var spki = key.ExportSubjectPublicKeyInfo();
        var signature = key.SignData(Data, HashAlgorithmName.SHA256);

        var fast = SubjectPublicKeys.TryImportWithLibcrypto(spki);
        Assert.Equal(FastPathExpected, fast is not null);
        using var imported = SubjectPublicKeys.ImportECDsa(spki);
        if (FastPathExpected)
        {
            Assert.IsType<ECDsaOpenSsl>(fast);
            Assert.IsType<ECDsaOpenSsl>(imported);
        }
        foreach (var ec in new[] { (ECDsa?)fast, imported })
        {
            Assert.NotNull(ec);
            Assert.Equal(key.KeySize, ec.KeySize);
            AssertSamePoint(key.ExportParameters(false), ec.ExportParameters(false));
            Assert.True(ec.VerifyData(Data, signature, HashAlgorithmName.SHA256));
            var tampered = (byte[])signature.Clone();
            tampered[^1] ^= 1;
            Assert.False(ec.VerifyData(Data, tampered, HashAlgorithmName.SHA256));
            Assert.False(ec.VerifyData("other data"u8, signature, HashAlgorithmName.SHA256));
        }
        fast?.Dispose();
    }

    [Theory]
    [InlineData(2048)]
    [InlineData(3072)]
    public void An_rsa_key_made_by_libcrypto_is_the_key_and_verifies(int bits)
    {
        using var key = RSA.Create(bits);
        var spki = key.ExportSubjectPublicKeyInfo();
        var pkcs1 = key.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var pss = key.SignData(Data, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);

        var fast = SubjectPublicKeys.TryImportWithLibcrypto(spki);
        Assert.Equal(FastPathExpected, fast is not null);
        using var imported = SubjectPublicKeys.ImportRsa(spki);
        foreach (var rsa in new[] { (RSA?)fast, imported })
        {
            Assert.NotNull(rsa);
            Assert.Equal(bits, rsa.KeySize);
            var expected = key.ExportParameters(false);
            var actual = rsa.ExportParameters(false);
            Assert.Equal(expected.Modulus, actual.Modulus);
            Assert.Equal(expected.Exponent, actual.Exponent);
            Assert.True(rsa.VerifyData(Data, pkcs1, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            Assert.True(rsa.VerifyData(Data, pss, HashAlgorithmName.SHA384, RSASignaturePadding.Pss));
            Assert.False(rsa.VerifyData("other data"u8, pkcs1, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
            Assert.False(rsa.VerifyData(Data, pss, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
        }
        fast?.Dispose();
    }

    [Fact]
    public void Keys_made_at_the_same_time_on_many_threads_are_each_their_own()
    {
        // The EC path copies one parameters-only key per curve, shared by all threads.
        var keys = Enumerable.Range(0, 24).Select(i => ECDsa.Create(Curve(((string[])["P-256", "P-384", "P-521"])[i % 3]))).ToArray();
        var signatures = keys.Select(k => k.SignData(Data, HashAlgorithmName.SHA256)).ToArray();
        var spkis = keys.Select(k => k.ExportSubjectPublicKeyInfo()).ToArray();
        var results = new bool[keys.Length * 8];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int k = i % keys.Length;
            using var ec = SubjectPublicKeys.ImportECDsa(spkis[k]);
            results[i] = ec.VerifyData(Data, signatures[k], HashAlgorithmName.SHA256)
                && !ec.VerifyData(Data, signatures[(k + 3) % keys.Length], HashAlgorithmName.SHA256);
        });
        Assert.All(results, Assert.True);
        foreach (var k in keys)
        {
            k.Dispose();
        }
    }

    [Fact]
    public void A_certificates_key_comes_from_the_fast_path_and_is_null_for_the_other_kind()
    {
        using var ecKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ecCert = new CertificateRequest("CN=ec", ecKey, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var rsaKey = RSA.Create(2048);
        using var rsaCert = new CertificateRequest("CN=rsa", rsaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));

        using var ec = SubjectPublicKeys.ECDsaOf(ecCert);
        using var rsa = SubjectPublicKeys.RsaOf(rsaCert);
        Assert.NotNull(ec);
        Assert.NotNull(rsa);
        if (FastPathExpected)
        {
            Assert.IsType<ECDsaOpenSsl>(ec);
            Assert.IsType<RSAOpenSsl>(rsa);
        }
        Assert.True(ec.VerifyData(Data, ecKey.SignData(Data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
        Assert.True(rsa.VerifyData(Data, rsaKey.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Null(SubjectPublicKeys.RsaOf(ecCert));
        Assert.Null(SubjectPublicKeys.ECDsaOf(rsaCert));
    }

    /// <summary>Encodings the fast path does not take: it declines them and .NET decides, as before.</summary>
    public static TheoryData<string> Declined => new()
    {
        "ec point off the curve",
        "ec compressed point",
        "ec point one byte short",
        "ec explicit curve parameters",
        "ec brainpoolP256r1",
        "ec bit string with unused bits",
        "ec trailing byte after the SubjectPublicKeyInfo",
        "rsa without NULL parameters",
        "rsa negative modulus",
        "rsa zero exponent",
        "rsa-pss algorithm identifier",
        "rsa trailing byte inside RSAPublicKey",
    };

    [Theory]
    [MemberData(nameof(Declined))]
    public void What_the_fast_path_declines_is_left_to_dotnet(string what)
    {
        bool rsa = what.StartsWith("rsa", StringComparison.Ordinal);
        var spki = Malformed(what);

        var fast = SubjectPublicKeys.TryImportWithLibcrypto(spki);
        Assert.Null(fast);

        // The same outcome as .NET's own import: both refuse, or both give the same key.
        AsymmetricAlgorithm? byDotNet = null;
        Exception? dotNetError = null;
        try
        {
            byDotNet = rsa ? RSA.Create() : ECDsa.Create();
            byDotNet.ImportSubjectPublicKeyInfo(spki, out _);
        }
        catch (CryptographicException e)
        {
            dotNetError = e;
        }
        AsymmetricAlgorithm? ours = null;
        Exception? ourError = null;
        try
        {
            ours = rsa ? SubjectPublicKeys.ImportRsa(spki) : SubjectPublicKeys.ImportECDsa(spki);
        }
        catch (CryptographicException e)
        {
            ourError = e;
        }
        Assert.Equal(dotNetError is null, ourError is null);
        if (ours is not null)
        {
            Assert.Equal(byDotNet!.ExportSubjectPublicKeyInfo(), ours.ExportSubjectPublicKeyInfo());
        }
        ours?.Dispose();
        byDotNet?.Dispose();
    }

    [Fact]
    public void A_key_of_the_other_kind_is_refused_as_dotnet_refuses_it()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        Assert.ThrowsAny<CryptographicException>(() => SubjectPublicKeys.ImportRsa(ec.ExportSubjectPublicKeyInfo()));
        Assert.ThrowsAny<CryptographicException>(() => SubjectPublicKeys.ImportECDsa(rsa.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void A_point_off_the_curve_is_refused_by_both_paths()
    {
        var spki = Malformed("ec point off the curve");
        Assert.Null(SubjectPublicKeys.TryImportWithLibcrypto(spki));
        Assert.ThrowsAny<CryptographicException>(() => SubjectPublicKeys.ImportECDsa(spki));
    }

    private static void AssertSamePoint(ECParameters expected, ECParameters actual)
    {
        Assert.Equal(expected.Q.X, actual.Q.X);
        Assert.Equal(expected.Q.Y, actual.Q.Y);
        Assert.Equal(expected.Curve.Oid.Value, actual.Curve.Oid.Value);
    }

    private static byte[] Malformed(string what)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = ec.ExportParameters(false).Q;
        byte[] point = [0x04, .. q.X!, .. q.Y!];
        const string P256 = "1.2.840.10045.3.1.7";
        switch (what)
        {
            case "ec point off the curve":
                point[^1] ^= 1;
                return EcSpki(P256, point);
            case "ec compressed point":
                return EcSpki(P256, [(byte)(2 + (q.Y![^1] & 1)), .. q.X!]);
            case "ec point one byte short":
                return EcSpki(P256, point[..^1]);
            case "ec explicit curve parameters":
                return ExplicitSpki(ec);
            case "ec brainpoolP256r1":
                using (var bp = ECDsa.Create(ECCurve.NamedCurves.brainpoolP256r1))
                {
                    return bp.ExportSubjectPublicKeyInfo();
                }
            case "ec bit string with unused bits":
                return Spki(w => WriteAlgorithm(w, "1.2.840.10045.2.1", o => o.WriteObjectIdentifier(P256)), w => w.WriteBitString([.. point[..^1], (byte)(point[^1] & 0xFE)], unusedBitCount: 1));
            case "ec trailing byte after the SubjectPublicKeyInfo":
                return [.. EcSpki(P256, point), 0x00];
        }
        using var rsa = RSA.Create(2048);
        var prm = rsa.ExportParameters(false);
        return what switch
        {
            "rsa without NULL parameters" => Spki(w => WriteAlgorithm(w, "1.2.840.113549.1.1.1", null), w => w.WriteBitString(RsaPublicKey(prm.Modulus!, prm.Exponent!))),
            "rsa negative modulus" => RsaSpki(RsaPublicKey(prm.Modulus!, prm.Exponent!, negative: true)),
            "rsa zero exponent" => RsaSpki(RsaPublicKey(prm.Modulus!, [0])),
            "rsa-pss algorithm identifier" => Spki(w => WriteAlgorithm(w, "1.2.840.113549.1.1.10", null), w => w.WriteBitString(RsaPublicKey(prm.Modulus!, prm.Exponent!))),
            "rsa trailing byte inside RSAPublicKey" => RsaSpki(RsaPublicKey(prm.Modulus!, prm.Exponent!, trailing: true)),
            _ => throw new ArgumentException(what),
        };
    }

    private static byte[] ExplicitSpki(ECDsa ec)
    {
        // .NET writes explicit parameters when the key has no named curve: export them and import into a new key.
        using var copy = ECDsa.Create();
        copy.ImportParameters(ec.ExportExplicitParameters(false));
        return copy.ExportSubjectPublicKeyInfo();
    }

    private static byte[] EcSpki(string curveOid, byte[] point) =>
        Spki(w => WriteAlgorithm(w, "1.2.840.10045.2.1", o => o.WriteObjectIdentifier(curveOid)), w => w.WriteBitString(point));

    private static byte[] RsaSpki(byte[] rsaPublicKey) =>
        Spki(w => WriteAlgorithm(w, "1.2.840.113549.1.1.1", o => o.WriteNull()), w => w.WriteBitString(rsaPublicKey));

    private static byte[] RsaPublicKey(byte[] modulus, byte[] exponent, bool negative = false, bool trailing = false)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            // WriteIntegerUnsigned adds the sign byte; a modulus without it (top bit set) reads as negative.
            if (negative)
            {
                w.WriteInteger(modulus);
            }
            else
            {
                w.WriteIntegerUnsigned(modulus);
            }
            w.WriteIntegerUnsigned(exponent);
            if (trailing)
            {
                w.WriteNull();
            }
        }
        return w.Encode();
    }

    private static void WriteAlgorithm(AsnWriter w, string oid, Action<AsnWriter>? parameters)
    {
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(oid);
            parameters?.Invoke(w);
        }
    }

    private static byte[] Spki(Action<AsnWriter> algorithm, Action<AsnWriter> key)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            algorithm(w);
            key(w);
        }
        return w.Encode();
    }

    // --- export: SubjectPublicKeyInfo from a key -------------------------------------------------------

    /// <summary>Keys made every way an application or the CLI makes them, each with the kind of object it gets.</summary>
    public static TheoryData<string> ExportedKeys => new()
    {
        "rsa-generated-1024", "rsa-generated-2048", "rsa-generated-3072", "rsa-odd-exponent", "rsa-pkcs8", "rsa-parameters",
        "rsa-certificate", "rsa-create", "ec-generated-P-256", "ec-generated-P-384", "ec-generated-P-521", "ec-pkcs8",
        "ec-parameters", "ec-certificate", "ec-create", "ec-explicit-curve",
    };

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static AsymmetricAlgorithm MakeKey(string how)
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        switch (how)
        {
            case "rsa-generated-1024": return new RSAOpenSsl(1024);
            case "rsa-generated-2048": return new RSAOpenSsl(2048);
            case "rsa-generated-3072": return new RSAOpenSsl(3072);
            case "rsa-odd-exponent":
            {
                // A public exponent other than 65537 (3), from parameters.
                var p = new RSAParameters
                {
                    Modulus = Convert.FromHexString("C7" + new string('5', 126) + "B1"),
                    Exponent = [0x03],
                };
                var k = new RSAOpenSsl();
                k.ImportParameters(p);
                return k;
            }
            case "rsa-pkcs8": { var k = new RSAOpenSsl(); k.ImportPkcs8PrivateKey(rsa.ExportPkcs8PrivateKey(), out _); return k; }
            case "rsa-parameters": { var k = new RSAOpenSsl(); k.ImportParameters(rsa.ExportParameters(true)); return k; }
            case "rsa-certificate":
            {
                var request = new CertificateRequest("CN=export", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
                return certificate.GetRSAPrivateKey()!;
            }
            case "rsa-create": return RSA.Create(2048);
            case "ec-generated-P-256": return new ECDsaOpenSsl(ECCurve.NamedCurves.nistP256);
            case "ec-generated-P-384": return new ECDsaOpenSsl(ECCurve.NamedCurves.nistP384);
            case "ec-generated-P-521": return new ECDsaOpenSsl(ECCurve.NamedCurves.nistP521);
            case "ec-pkcs8": { var k = new ECDsaOpenSsl(); k.ImportPkcs8PrivateKey(ec.ExportPkcs8PrivateKey(), out _); return k; }
            case "ec-parameters": { var k = new ECDsaOpenSsl(); k.ImportParameters(ec.ExportParameters(true)); return k; }
            case "ec-certificate":
            {
                var request = new CertificateRequest("CN=export", ec, HashAlgorithmName.SHA256);
                using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
                return certificate.GetECDsaPrivateKey()!;
            }
            case "ec-create": return ECDsa.Create(ECCurve.NamedCurves.nistP256);
            default:
            {
                // The curve given by its parameters, not its name: .NET writes explicit parameters.
                var k = new ECDsaOpenSsl();
                k.ImportParameters(ec.ExportExplicitParameters(true));
                return k;
            }
        }
    }

    [Theory]
    [MemberData(nameof(ExportedKeys))]
    public void The_export_is_byte_for_byte_what_dotnet_exports(string how)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("RSAOpenSsl and ECDsaOpenSsl are Linux's key classes");
            return;
        }
        using var key = MakeKey(how);
        var expected = key.ExportSubjectPublicKeyInfo();
        Assert.Equal(expected, SubjectPublicKeys.Export(key));
        var fast = SubjectPublicKeys.TryExportWithLibcrypto(key);
        if (fast is not null)
        {
            Assert.Equal(expected, fast);
        }
        // Which keys the fast path takes: RSAOpenSsl keys however they were made, not RSA.Create()'s wrapper, no EC key.
        bool takes = FastPathExpected && how.StartsWith("rsa-", StringComparison.Ordinal) && how != "rsa-create";
        Assert.Equal(takes, fast is not null);
    }
}
