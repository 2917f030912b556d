using System.Security.Cryptography;
using System.Text;

namespace CmpKit.Cli.Options;

/// <summary>
/// Decrypts OpenSSL's "traditional" encrypted PEM keys (<c>Proc-Type: 4,ENCRYPTED</c> with
/// <c>DEK-Info: CIPHER,IV</c>), which .NET cannot import directly. The key is OpenSSL's
/// EVP_BytesToKey with MD5, one iteration, and the first 8 IV bytes as salt.
/// </summary>
internal static class TraditionalPemDecryptor
{
    /// <summary>True if the PEM headers mark the block as encrypted.</summary>
    public static bool IsEncrypted(PemBlock block) =>
        block.Headers.TryGetValue("Proc-Type", out string? procType)
        && procType.Replace(" ", string.Empty, StringComparison.Ordinal).Equals("4,ENCRYPTED", StringComparison.OrdinalIgnoreCase);

    /// <summary>Decrypts the block's data.</summary>
    /// <exception cref="NotSupportedException">unknown cipher in DEK-Info.</exception>
    /// <exception cref="FormatException">DEK-Info missing or malformed.</exception>
    /// <exception cref="CryptographicException">wrong pass phrase (bad padding).</exception>
    public static byte[] Decrypt(PemBlock block, string passphrase)
    {
        if (!block.Headers.TryGetValue("DEK-Info", out string? dekInfo))
        {
            throw new FormatException("DEK-Info header missing");
        }

        string[] parts = dekInfo.Split(',', 2);
        if (parts.Length != 2)
        {
            throw new FormatException("DEK-Info header malformed");
        }

        string cipher = parts[0].Trim().ToUpperInvariant();
        byte[] iv = Convert.FromHexString(parts[1].Trim());
        (int keyLength, int blockSize) = cipher switch
        {
            "AES-128-CBC" => (16, 16),
            "AES-192-CBC" => (24, 16),
            "AES-256-CBC" => (32, 16),
            "DES-EDE3-CBC" => (24, 8),
            "DES-CBC" => (8, 8),
            _ => throw new NotSupportedException($"cipher '{parts[0].Trim()}'"),
        };
        if (iv.Length != blockSize)
        {
            throw new FormatException("DEK-Info IV has the wrong length");
        }

        byte[] key = BytesToKey(Encoding.UTF8.GetBytes(passphrase), iv.AsSpan(0, 8), keyLength);
        try
        {
            using SymmetricAlgorithm algorithm = cipher.StartsWith("AES", StringComparison.Ordinal)
                ? Aes.Create()
                : cipher == "DES-CBC" ? DES.Create() : TripleDES.Create();
            algorithm.Key = key;
            return algorithm.DecryptCbc(block.Data, iv, PaddingMode.PKCS7);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    // EVP_BytesToKey(MD5, count 1): D1 = MD5(pass || salt), Di = MD5(Di-1 || pass || salt).
    private static byte[] BytesToKey(byte[] password, ReadOnlySpan<byte> salt, int length)
    {
        var key = new byte[length];
        byte[] previous = [];
        int filled = 0;
        while (filled < length)
        {
            byte[] input = [.. previous, .. password, .. salt];
            previous = MD5.HashData(input);
            int n = Math.Min(previous.Length, length - filled);
            previous.AsSpan(0, n).CopyTo(key.AsSpan(filled));
            filled += n;
            CryptographicOperations.ZeroMemory(input);
        }

        CryptographicOperations.ZeroMemory(password);
        return key;
    }
}
