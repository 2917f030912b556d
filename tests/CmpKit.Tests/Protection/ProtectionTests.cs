using System.Security.Cryptography;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Tests.Support;
using CmpKit.Tests.Validation;
using CmpKit.Transport;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Protection;

/// <summary>Message protection with every supported algorithm, and PBM against known vectors.</summary>
public class ProtectionTests
{
    public static TheoryData<string, bool> Keys() => new()
    {
        { "ec256", false }, { "ec384", false }, { "ec521", false }, { "rsa", false }, { "rsa", true },
    };

    private static AsymmetricAlgorithm Key(string kind) => kind switch
    {
        "ec256" => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        "ec384" => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        "ec521" => ECDsa.Create(ECCurve.NamedCurves.nistP521),
        _ => RSA.Create(2048),
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task Signed_requests_verify_and_the_server_accepts_them(string kind, bool pss)
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var key = Key(kind);
        var cert = TestPki.Issue(server.Ca, "CN=Signer", key.ExportSubjectPublicKeyInfo());
        var digest = kind == "ec521" ? HashAlgorithmName.SHA512 : kind == "ec384" ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
        var options = new CmpClientOptions
        {
            SignatureCredentials = new CmpSignatureCredentials(cert, key),
            TrustAnchors = [server.Ca.Certificate],
            Digest = digest,
            UseRsaPss = pss,
        };
        await new CmpClient(new InProcessCmpTransport(server.HandleAsync), options).InitialEnrollAsync(ResponseCheckTests.Template(), TestContext.Current.CancellationToken);
        var ir = server.Received[0];
        Assert.True(ProtectionVerifier.VerifySignature(ir, cert));
        var alg = SignatureAlgorithms.Resolve(ir.Header.ProtectionAlg);
        Assert.Equal(digest, alg.Hash);
        Assert.Equal(pss ? SignatureAlgorithms.KeyKind.RsaPss : kind == "rsa" ? SignatureAlgorithms.KeyKind.Rsa : SignatureAlgorithms.KeyKind.Ecdsa, alg.Kind);

        // A single changed byte in the body breaks the signature.
        var tampered = new PkiMessage(ir.Header, new PkiBody(PkiBody.TYPE_CERT_REQ, ir.Body.Content), ir.Protection, ir.GetExtraCerts());
        Assert.False(ProtectionVerifier.VerifySignature(tampered, cert));
    }

    [Theory]
    [InlineData("SHA256", "SHA256")]
    [InlineData("SHA1", "SHA1")]
    [InlineData("SHA512", "SHA512")]
    public void Pbm_round_trip_with_parameters(string owf, string mac)
    {
        var alg = PasswordBasedMac.CreateAlgorithm(new HashAlgorithmName(owf), new HashAlgorithmName(mac), 1000, 16);
        var data = "protected part"u8.ToArray();
        var a = PasswordBasedMac.Compute("secret"u8, alg, data, 1000);
        Assert.Equal(a, PasswordBasedMac.Compute("secret"u8, alg, data, 1000));
        Assert.NotEqual(a, PasswordBasedMac.Compute("Secret"u8, alg, data, 1000));
        var e = Assert.Throws<CmpException>(() => PasswordBasedMac.Compute("secret"u8, alg, data, 999));
        Assert.Equal(CmpFailureReason.MacParametersRejected, e.Reason);
    }

    [Fact]
    public void Pbm_with_remembered_keys_gives_the_same_mac_and_derives_each_parameter_set_once()
    {
        var keys = new PbmKeyMemo("secret"u8);
        var alg = PasswordBasedMac.CreateAlgorithm(HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 500, 16);
        var other = PasswordBasedMac.CreateAlgorithm(HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 500, 16);
        var data = "protected part"u8.ToArray();
        var plain = PasswordBasedMac.Compute("secret"u8, alg, data, 1000);
        Assert.Equal(plain, PasswordBasedMac.Compute("secret"u8, alg, data, 1000, keys));
        Assert.Equal(1, keys.Count);
        Assert.Equal(plain, PasswordBasedMac.Compute("secret"u8, alg, data, 1000, keys)); // from the memo
        Assert.NotEqual(plain, PasswordBasedMac.Compute("secret"u8, alg, "other data"u8, 1000, keys));
        Assert.Equal(PasswordBasedMac.Compute("secret"u8, other, data, 1000), PasswordBasedMac.Compute("secret"u8, other, data, 1000, keys));
        Assert.Equal(2, keys.Count);
        // The iteration cap is checked even when the key is known.
        Assert.Equal(CmpFailureReason.MacParametersRejected,
            Assert.Throws<CmpException>(() => PasswordBasedMac.Compute("secret"u8, alg, data, 499, keys)).Reason);
    }

    [Fact]
    public void Pbm_keys_remembered_for_one_secret_are_not_used_for_another()
    {
        var keys = new PbmKeyMemo("secret"u8);
        var alg = PasswordBasedMac.CreateAlgorithm(HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 500, 16);
        var data = "protected part"u8.ToArray();
        _ = PasswordBasedMac.Compute("secret"u8, alg, data, 1000, keys);
        Assert.Equal(PasswordBasedMac.Compute("Secret"u8, alg, data, 1000), PasswordBasedMac.Compute("Secret"u8, alg, data, 1000, keys));
        Assert.NotEqual(PasswordBasedMac.Compute("secret"u8, alg, data, 1000), PasswordBasedMac.Compute("Secret"u8, alg, data, 1000, keys));
        Assert.Equal(1, keys.Count);
    }

    [Fact]
    public void Pbm_key_memo_is_bounded()
    {
        var keys = new PbmKeyMemo("secret"u8);
        for (int i = 0; i < PbmKeyMemo.MaxEntries + 5; i++)
        {
            var alg = PasswordBasedMac.CreateAlgorithm(HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 100, 16);
            _ = PasswordBasedMac.Compute("secret"u8, alg, "x"u8, 1000, keys);
        }
        Assert.InRange(keys.Count, 1, PbmKeyMemo.MaxEntries);
    }

    [Fact]
    public void Pbm_matches_a_value_computed_by_hand()
    {
        // RFC 4211 4.4: K = H^n(secret || salt), MAC = HMAC(K, data). n = 2, SHA-256, HMAC-SHA256.
        var salt = new byte[] { 1, 2, 3, 4 };
        var k = SHA256.HashData(SHA256.HashData([.. "pw"u8, .. salt]));
        var expected = HMACSHA256.HashData(k, "data"u8);
        var alg = new Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier(new DerObjectIdentifier(PasswordBasedMac.Oid),
            new PbmParameter(salt, new Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier(new DerObjectIdentifier("2.16.840.1.101.3.4.2.1")), 2,
                new Org.BouncyCastle.Asn1.X509.AlgorithmIdentifier(new DerObjectIdentifier("1.2.840.113549.2.9"))));
        Assert.Equal(expected, PasswordBasedMac.Compute("pw"u8, alg, "data"u8, 10));
    }

    [Fact]
    public void Failure_bits_round_trip_in_rfc_bit_order()
    {
        var bits = StatusInfos.ToBits(PkiFailureInfo.BadAlg | PkiFailureInfo.BadPop | PkiFailureInfo.DuplicateCertReq);
        // bit 0 is the most significant bit of the first octet (X.690 named bit string)
        Assert.Equal(0x80, bits.GetBytes()[0] & 0x80);
        Assert.Equal(PkiFailureInfo.BadAlg | PkiFailureInfo.BadPop | PkiFailureInfo.DuplicateCertReq, StatusInfos.FromBits(bits));
        Assert.Equal(5, bits.PadBits); // 27 bits used: 4 octets, 5 unused
    }
}
