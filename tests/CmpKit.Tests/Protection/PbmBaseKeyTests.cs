using System.Security.Cryptography;
using CmpKit.Protection;

namespace CmpKit.Tests.Protection;

/// <summary>PBM's base key: libcrypto's SHA-256 (the fast path on Linux) and .NET's digest API give the same key.</summary>
public class PbmBaseKeyTests
{
    /// <summary>H^n(secret || salt) spelled out with one-shot hashes, as RFC 4211 section 4.4 defines it.</summary>
    private static byte[] ByDefinition(byte[] secret, byte[] salt, int iterations, string owf = "SHA256")
    {
        var hash = new HashAlgorithmName(owf);
        var key = CryptographicOperations.HashData(hash, [.. secret, .. salt]);
        for (int i = 1; i < iterations; i++)
        {
            key = CryptographicOperations.HashData(hash, key);
        }
        return key;
    }

    public static TheoryData<byte[], byte[], int> Inputs => new()
    {
        { "secret"u8.ToArray(), [1, 2, 3, 4], 1 },
        { "secret"u8.ToArray(), [1, 2, 3, 4], 2 },
        { [], [], 3 },
        { "pass:bench"u8.ToArray(), [], 100 },
        { RandomNumberGenerator.GetBytes(200), RandomNumberGenerator.GetBytes(16), 500 },
        { RandomNumberGenerator.GetBytes(64), RandomNumberGenerator.GetBytes(1024), 1001 },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Both_paths_give_the_key_of_the_definition(byte[] secret, byte[] salt, int iterations)
    {
        var expected = ByDefinition(secret, salt, iterations);
        Assert.Equal(expected, PbmBaseKey.Derive(secret, salt, HashAlgorithmName.SHA256, iterations));
        Assert.Equal(expected, PbmBaseKey.DeriveWithDotNet(secret, salt, HashAlgorithmName.SHA256, iterations));
        if (PbmBaseKey.LibcryptoAvailable)
        {
            var key = new byte[32];
            Assert.True(PbmBaseKey.TryDeriveSha256(secret, salt, iterations, key));
            Assert.Equal(expected, key);
        }
    }

    [Fact]
    public void On_linux_the_iterations_go_to_libcrypto()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "libcrypto's SHA-256 is looked up on Linux only; elsewhere .NET's digest API derives the key");
        Assert.True(PbmBaseKey.LibcryptoAvailable, "neither libcrypto.so.3 nor libcrypto.so.1.1 with SHA256_Init/Update/Final was found");
    }

    [Theory]
    [InlineData("SHA1", 20)]
    [InlineData("SHA384", 48)]
    [InlineData("SHA512", 64)]
    public void Other_one_way_functions_give_the_key_of_the_definition(string owf, int length)
    {
        var key = PbmBaseKey.Derive("secret"u8, [9, 8, 7], new HashAlgorithmName(owf), 3);
        Assert.Equal(length, key.Length);
        Assert.Equal(ByDefinition("secret"u8.ToArray(), [9, 8, 7], 3, owf), key);
        // The libcrypto path is for SHA-256 (32-byte keys) only.
        Assert.False(PbmBaseKey.TryDeriveSha256("secret"u8, [9, 8, 7], 3, new byte[length]));
    }
}
