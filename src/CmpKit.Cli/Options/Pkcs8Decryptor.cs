using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;

namespace CmpKit.Cli.Options;

/// <summary>
/// Decrypts an EncryptedPrivateKeyInfo protected with PBES2/PBKDF2 (RFC 8018), what OpenSSL 3
/// writes by default, so the key type inside is known before importing it and a wrong pass
/// phrase can be told apart from an unsupported key type. .NET only decrypts inside its typed
/// RSA/ECDsa imports; other schemes (PBES1, PKCS#12 PBE) are left to those.
/// </summary>
internal static class Pkcs8Decryptor
{
    internal enum Outcome
    {
        Decrypted,
        WrongPassphrase,
        UnsupportedScheme,
    }

    private const string Pbes2 = "1.2.840.113549.1.5.13";
    private const string Pbkdf2 = "1.2.840.113549.1.5.12";

    /// <summary>Tries to decrypt; <paramref name="plain"/> is the PrivateKeyInfo DER on success.</summary>
    public static Outcome TryDecrypt(byte[] encrypted, string passphrase, out byte[] plain)
    {
        plain = [];
        string? prfOid;
        byte[] salt, iv, data;
        int iterations;
        string cipherOid;
        try
        {
            var epki = new AsnReader(encrypted, AsnEncodingRules.BER).ReadSequence();
            var algorithm = epki.ReadSequence();
            if (algorithm.ReadObjectIdentifier() != Pbes2)
            {
                return Outcome.UnsupportedScheme;
            }

            var pbes2 = algorithm.ReadSequence();
            var kdf = pbes2.ReadSequence();
            if (kdf.ReadObjectIdentifier() != Pbkdf2)
            {
                return Outcome.UnsupportedScheme;
            }

            var kdfParams = kdf.ReadSequence();
            salt = kdfParams.ReadOctetString();
            if (!kdfParams.TryReadInt32(out iterations) || iterations <= 0)
            {
                return Outcome.UnsupportedScheme;
            }

            if (kdfParams.HasData && kdfParams.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                kdfParams.ReadInteger(); // keyLength: implied by the cipher
            }

            prfOid = kdfParams.HasData ? kdfParams.ReadSequence().ReadObjectIdentifier() : null;
            var scheme = pbes2.ReadSequence();
            cipherOid = scheme.ReadObjectIdentifier();
            iv = scheme.ReadOctetString();
            data = epki.ReadOctetString();
        }
        catch (AsnContentException)
        {
            return Outcome.UnsupportedScheme;
        }

        HashAlgorithmName? prf = prfOid switch
        {
            null or "1.2.840.113549.2.7" => HashAlgorithmName.SHA1,
            "1.2.840.113549.2.9" => HashAlgorithmName.SHA256,
            "1.2.840.113549.2.10" => HashAlgorithmName.SHA384,
            "1.2.840.113549.2.11" => HashAlgorithmName.SHA512,
            _ => null,
        };
        (int keyLength, Func<SymmetricAlgorithm>? create) = cipherOid switch
        {
            "2.16.840.1.101.3.4.1.2" => (16, Aes.Create),
            "2.16.840.1.101.3.4.1.22" => (24, Aes.Create),
            "2.16.840.1.101.3.4.1.42" => (32, Aes.Create),
            "1.2.840.113549.3.7" => (24, (Func<SymmetricAlgorithm>)TripleDES.Create),
            _ => (0, null),
        };
        if (prf is null || create is null)
        {
            return Outcome.UnsupportedScheme;
        }

        byte[] key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, prf.Value, keyLength);
        try
        {
            using var cipher = create();
            if (iv.Length != cipher.BlockSize / 8)
            {
                return Outcome.UnsupportedScheme;
            }

            cipher.Key = key;
            plain = cipher.DecryptCbc(data, iv, PaddingMode.PKCS7);
            return Outcome.Decrypted;
        }
        catch (CryptographicException)
        {
            return Outcome.WrongPassphrase;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
