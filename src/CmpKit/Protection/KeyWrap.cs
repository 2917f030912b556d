using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CmpKit.Protection;

/// <summary>
/// The symmetric pieces of CMS key management that .NET does not offer directly: AES key wrap
/// (RFC 3394, as CMS uses it for KeyAgreeRecipientInfo and PasswordRecipientInfo, RFC 3565) and
/// the ANSI X9.63 key derivation function (RFC 5753, section 7.2, for ECDH key agreement).
/// </summary>
internal static class KeyWrap
{
    private const ulong DefaultIv = 0xA6A6A6A6A6A6A6A6UL;

    /// <summary>RFC 3394, section 2.2.1: wraps <paramref name="key"/> (a multiple of 8 bytes, at least 16) with <paramref name="kek"/>.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key)
    {
        if (key.Length < 16 || key.Length % 8 != 0)
        {
            throw new ArgumentException("AES key wrap needs a key of 16 or more bytes, a multiple of 8", nameof(key));
        }
        int n = key.Length / 8;
        using var aes = Aes.Create();
        aes.Key = kek.ToArray();
        var r = key.ToArray();
        ulong a = DefaultIv;
        Span<byte> block = stackalloc byte[16];
        Span<byte> output = stackalloc byte[16];
        for (int j = 0; j <= 5; j++)
        {
            for (int i = 1; i <= n; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(block, a);
                r.AsSpan((i - 1) * 8, 8).CopyTo(block[8..]);
                aes.EncryptEcb(block, output, PaddingMode.None);
                a = BinaryPrimitives.ReadUInt64BigEndian(output) ^ (ulong)((n * j) + i);
                output[8..].CopyTo(r.AsSpan((i - 1) * 8, 8));
            }
        }
        var result = new byte[key.Length + 8];
        BinaryPrimitives.WriteUInt64BigEndian(result, a);
        r.CopyTo(result, 8);
        CryptographicOperations.ZeroMemory(r);
        return result;
    }

    /// <summary>RFC 3394, section 2.2.2: unwraps; null when the integrity check fails (wrong key or damaged input).</summary>
    public static byte[]? Unwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped)
    {
        if (wrapped.Length < 24 || wrapped.Length % 8 != 0 || kek.Length is not (16 or 24 or 32))
        {
            return null;
        }
        int n = (wrapped.Length / 8) - 1;
        using var aes = Aes.Create();
        aes.Key = kek.ToArray();
        ulong a = BinaryPrimitives.ReadUInt64BigEndian(wrapped);
        var r = wrapped[8..].ToArray();
        Span<byte> block = stackalloc byte[16];
        Span<byte> output = stackalloc byte[16];
        for (int j = 5; j >= 0; j--)
        {
            for (int i = n; i >= 1; i--)
            {
                BinaryPrimitives.WriteUInt64BigEndian(block, a ^ (ulong)((n * j) + i));
                r.AsSpan((i - 1) * 8, 8).CopyTo(block[8..]);
                aes.DecryptEcb(block, output, PaddingMode.None);
                a = BinaryPrimitives.ReadUInt64BigEndian(output);
                output[8..].CopyTo(r.AsSpan((i - 1) * 8, 8));
            }
        }
        Span<byte> iv = stackalloc byte[8];
        Span<byte> expected = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(iv, a);
        BinaryPrimitives.WriteUInt64BigEndian(expected, DefaultIv);
        if (!CryptographicOperations.FixedTimeEquals(iv, expected))
        {
            CryptographicOperations.ZeroMemory(r);
            return null;
        }
        return r;
    }

    /// <summary>
    /// ANSI X9.63 KDF (RFC 5753, section 7.2; SEC 1, section 3.6.1): Hash(Z || counter || sharedInfo)
    /// for counter = 1, 2, ... until <paramref name="length"/> bytes are produced.
    /// </summary>
    public static byte[] X963Kdf(HashAlgorithmName hash, ReadOnlySpan<byte> z, ReadOnlySpan<byte> sharedInfo, int length)
    {
        var result = new byte[length];
        var input = new byte[z.Length + 4 + sharedInfo.Length];
        z.CopyTo(input);
        sharedInfo.CopyTo(input.AsSpan(z.Length + 4));
        int done = 0;
        for (uint counter = 1; done < length; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(z.Length, 4), counter);
            var digest = SignatureAlgorithms.HashData(hash, input);
            int take = Math.Min(digest.Length, length - done);
            digest.AsSpan(0, take).CopyTo(result.AsSpan(done));
            done += take;
        }
        CryptographicOperations.ZeroMemory(input);
        return result;
    }
}
