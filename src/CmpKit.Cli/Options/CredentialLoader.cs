using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CmpKit.Cli.Options;

/// <summary>
/// Loads certificates and keys the way OpenSSL 3's apps do: the format is detected from the
/// content (PEM with any number of blocks, DER, PKCS#12), a -certform/-keyform value is only a
/// hint. Keys: PKCS#8 (plain or encrypted), traditional RSA/EC PEM (plain or with
/// Proc-Type/DEK-Info encryption), DER, and the key inside a PKCS#12 file, as RSA or ECDsa.
/// Every failure is a one-line <see cref="CliException"/> naming the file and what was wrong;
/// pass phrases never appear in messages.
/// </summary>
internal static class CredentialLoader
{
    /// <summary>
    /// An empty RSA key object to import into: on Linux OpenSSL's own class, whose SubjectPublicKeyInfo CmpKit reads
    /// in microseconds (.NET's export takes 140-190 us per request on OpenSSL 3.0; <c>RSA.Create()</c> returns a
    /// wrapper that hides the key from that shortcut); elsewhere the platform's.
    /// </summary>
    private static RSA NewRsa() => OperatingSystem.IsLinux() ? new RSAOpenSsl() : RSA.Create();

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    private static readonly string[] CertificateLabels = ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"];

    /// <summary>The first certificate of a file (for PKCS#12: the one with the private key).</summary>
    /// <param name="path">PEM, DER or PKCS#12 file.</param>
    /// <param name="passphrase">Pass phrase for PKCS#12 (already resolved), or null.</param>
    /// <param name="what">Description for messages, e.g. "CMP client certificate".</param>
    /// <param name="hint">Format hint.</param>
    public static X509Certificate2 LoadCertificate(string path, string? passphrase = null, string what = "certificate", CredentialFormat hint = CredentialFormat.Auto)
    {
        var all = LoadCertificates(path, passphrase, what, hint);
        for (int i = 1; i < all.Count; i++)
        {
            all[i].Dispose();
        }

        return all[0];
    }

    /// <summary>All certificates of a file, in file order (PKCS#12: key's certificate first).</summary>
    public static X509Certificate2Collection LoadCertificates(string path, string? passphrase = null, string what = "certificates", CredentialFormat hint = CredentialFormat.Auto)
    {
        byte[] content = Read(path, what);
        var result = new X509Certificate2Collection();
        if (PemBlock.LooksLikePem(content))
        {
            foreach (var block in ReadPem(content, path, what))
            {
                if (CertificateLabels.Contains(block.Label))
                {
                    result.Add(DecodeCertificate(FirstDerValue(block.Data), path, what));
                }
            }

            if (result.Count == 0)
            {
                throw Fail(what, path, "no certificate found in the PEM file");
            }

            return result;
        }

        if (hint != CredentialFormat.Pkcs12 && !LooksLikePkcs12(content))
        {
            try
            {
                result.Add(X509CertificateLoader.LoadCertificate(content));
                return result;
            }
            catch (CryptographicException)
            {
                throw Fail(what, path, "not a certificate in PEM, DER or PKCS#12 format");
            }
        }

        var pkcs12 = LoadPkcs12(content, path, passphrase, what);
        foreach (var cert in pkcs12.Where(c => c.HasPrivateKey).Concat(pkcs12.Where(c => !c.HasPrivateKey)))
        {
            result.Add(cert);
        }

        if (result.Count == 0)
        {
            throw Fail(what, path, "the PKCS#12 file holds no certificate");
        }

        return result;
    }

    /// <summary>Certificates from a list of files separated by commas or blanks (as openssl's -untrusted, -trusted ...).</summary>
    public static X509Certificate2Collection LoadCertificateList(string files, string? passphrase = null, string what = "certificates")
    {
        var result = new X509Certificate2Collection();
        foreach (string file in files.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            result.AddRange(LoadCertificates(file, passphrase, what));
        }

        return result;
    }

    /// <summary>A private key as <see cref="RSA"/> or <see cref="ECDsa"/>.</summary>
    /// <param name="path">PEM, DER or PKCS#12 file.</param>
    /// <param name="passphrase">Pass phrase (already resolved) for encrypted keys and PKCS#12, or null.</param>
    /// <param name="what">Description for messages, e.g. "CMP client private key".</param>
    /// <param name="hint">Format hint.</param>
    public static AsymmetricAlgorithm LoadPrivateKey(string path, string? passphrase = null, string what = "private key", CredentialFormat hint = CredentialFormat.Auto)
    {
        byte[] content = Read(path, what);
        if (PemBlock.LooksLikePem(content))
        {
            foreach (var block in ReadPem(content, path, what))
            {
                if (block.Label.EndsWith("PRIVATE KEY", StringComparison.Ordinal))
                {
                    return DecodePemPrivateKey(block, path, passphrase, what);
                }
            }

            throw Fail(what, path, "no private key found in the PEM file");
        }

        if (hint == CredentialFormat.Pkcs12 || LooksLikePkcs12(content))
        {
            foreach (var cert in LoadPkcs12(content, path, passphrase, what))
            {
                if (cert.HasPrivateKey)
                {
                    return (AsymmetricAlgorithm?)cert.GetRSAPrivateKey() ?? cert.GetECDsaPrivateKey()
                        ?? throw Fail(what, path, "the PKCS#12 key is neither RSA nor EC");
                }
            }

            throw Fail(what, path, "the PKCS#12 file holds no private key");
        }

        return DecodeDerPrivateKey(content, path, passphrase, what);
    }

    /// <summary>
    /// A public key (PEM/DER SubjectPublicKeyInfo or PKCS#1 RSA public key), as for openssl's
    /// -newkey with a public key. A private key file is accepted too (the key pair is returned).
    /// </summary>
    public static AsymmetricAlgorithm LoadPublicKey(string path, string? passphrase = null, string what = "public key")
    {
        byte[] content = Read(path, what);
        if (PemBlock.LooksLikePem(content))
        {
            foreach (var block in ReadPem(content, path, what))
            {
                switch (block.Label)
                {
                    case "PUBLIC KEY":
                        return DecodeSpki(block.Data, path, what);
                    case "RSA PUBLIC KEY":
                        return Import(() => { var rsa = NewRsa(); rsa.ImportRSAPublicKey(block.Data, out _); return rsa; }, path, what, "malformed RSA public key");
                    case var label when label.EndsWith("PRIVATE KEY", StringComparison.Ordinal):
                        return DecodePemPrivateKey(block, path, passphrase, what);
                }
            }

            throw Fail(what, path, "no public key found in the PEM file");
        }

        if (TryReadSpkiOid(content) is not null)
        {
            return DecodeSpki(content, path, what);
        }

        try
        {
            var rsa = NewRsa();
            rsa.ImportRSAPublicKey(content, out int read);
            if (read == content.Length)
            {
                return rsa;
            }

            rsa.Dispose();
        }
        catch (CryptographicException)
        {
        }

        return LoadPrivateKey(path, passphrase, what);
    }

    /// <summary>A CRL (PEM "X509 CRL" or DER), returned as DER; the first one of a PEM file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">Description for messages, e.g. "CRL to be returned by the mock server".</param>
    public static byte[] LoadCrl(string path, string what = "CRL")
    {
        byte[] content = Read(path, what);
        if (PemBlock.LooksLikePem(content))
        {
            content = ReadPem(content, path, what).FirstOrDefault(b => b.Label == "X509 CRL")?.Data
                ?? throw Fail(what, path, "no CRL found in the PEM file");
        }
        try
        {
            // Parses the whole CertificateList (RFC 5280, section 5.1); trailing data is an error.
            _ = CertificateRevocationListBuilder.Load(content, out _);
        }
        catch (CryptographicException e)
        {
            throw Fail(what, path, "not a CRL (PEM or DER): " + e.Message);
        }
        return content;
    }

    private static byte[] Read(string path, string what)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Fail(what, path, "file not found");
        }
        catch (UnauthorizedAccessException)
        {
            throw Fail(what, path, "permission denied");
        }
        catch (IOException e)
        {
            throw Fail(what, path, e.Message);
        }

        if (content.Length == 0)
        {
            throw Fail(what, path, "file is empty");
        }

        return content;
    }

    private static CliException Fail(string what, string path, string reason) =>
        new($"cannot load {what} from '{path}': {reason}");

    private static List<PemBlock> ReadPem(byte[] content, string path, string what)
    {
        try
        {
            return PemBlock.ReadAll(Encoding.UTF8.GetString(content));
        }
        catch (FormatException e)
        {
            throw Fail(what, path, "malformed PEM: " + e.Message);
        }
    }

    // Trailing data after the certificate (e.g. "TRUSTED CERTIFICATE" aux info) is cut off.
    private static byte[] FirstDerValue(byte[] data)
    {
        try
        {
            var reader = new AsnReader(data, AsnEncodingRules.BER);
            return reader.ReadEncodedValue().ToArray();
        }
        catch (AsnContentException)
        {
            return data;
        }
    }

    private static X509Certificate2 DecodeCertificate(byte[] der, string path, string what)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            throw Fail(what, path, "malformed certificate");
        }
    }

    // PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, ... } - a certificate starts with a SEQUENCE instead.
    private static bool LooksLikePkcs12(byte[] content)
    {
        try
        {
            var outer = new AsnReader(content, AsnEncodingRules.BER).ReadSequence();
            return outer.PeekTag().HasSameClassAndValue(Asn1Tag.Integer)
                && outer.TryReadInt32(out int version) && version == 3
                && outer.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence);
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static X509Certificate2Collection LoadPkcs12(byte[] content, string path, string? passphrase, string what)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12Collection(content, passphrase, X509KeyStorageFlags.Exportable);
        }
        catch (CryptographicException)
        {
            throw Fail(what, path, passphrase is null
                ? "cannot decrypt the PKCS#12 file; a pass phrase is needed"
                : "cannot decrypt the PKCS#12 file (wrong pass phrase?)");
        }
    }

    private static AsymmetricAlgorithm DecodePemPrivateKey(PemBlock block, string path, string? passphrase, string what)
    {
        switch (block.Label)
        {
            case "PRIVATE KEY":
                return DecodePkcs8(block.Data, path, what);
            case "ENCRYPTED PRIVATE KEY":
                return DecodeEncryptedPkcs8(block.Data, path, passphrase, what);
            case "RSA PRIVATE KEY":
            case "EC PRIVATE KEY":
                byte[] der = block.Data;
                if (TraditionalPemDecryptor.IsEncrypted(block))
                {
                    if (passphrase is null)
                    {
                        throw Fail(what, path, "the key is encrypted; a pass phrase is needed");
                    }

                    try
                    {
                        der = TraditionalPemDecryptor.Decrypt(block, passphrase);
                    }
                    catch (NotSupportedException e)
                    {
                        throw Fail(what, path, $"unsupported PEM encryption {e.Message}");
                    }
                    catch (FormatException e)
                    {
                        throw Fail(what, path, "malformed PEM encryption header: " + e.Message);
                    }
                    catch (CryptographicException)
                    {
                        throw Fail(what, path, "cannot decrypt the key (wrong pass phrase?)");
                    }
                }

                string failure = TraditionalPemDecryptor.IsEncrypted(block) ? "cannot decrypt the key (wrong pass phrase?)" : "malformed key";
                return block.Label == "RSA PRIVATE KEY"
                    ? Import(() => { var rsa = NewRsa(); rsa.ImportRSAPrivateKey(der, out _); return rsa; }, path, what, failure)
                    : Import(() => { var ec = ECDsa.Create(); ec.ImportECPrivateKey(der, out _); return ec; }, path, what, failure);
            default:
                throw Fail(what, path, $"unsupported key type ({block.Label})");
        }
    }

    private static AsymmetricAlgorithm DecodeDerPrivateKey(byte[] der, string path, string? passphrase, string what)
    {
        if (TryReadPkcs8Oid(der) is not null)
        {
            return DecodePkcs8(der, path, what);
        }

        if (LooksLikeEncryptedPkcs8(der))
        {
            return DecodeEncryptedPkcs8(der, path, passphrase, what);
        }

        foreach (Func<AsymmetricAlgorithm> attempt in new Func<AsymmetricAlgorithm>[]
                 {
                     () => { var rsa = NewRsa(); rsa.ImportRSAPrivateKey(der, out _); return rsa; },
                     () => { var ec = ECDsa.Create(); ec.ImportECPrivateKey(der, out _); return ec; },
                 })
        {
            try
            {
                return attempt();
            }
            catch (CryptographicException)
            {
            }
        }

        throw Fail(what, path, "not a private key in PEM, DER or PKCS#12 format");
    }

    private static AsymmetricAlgorithm DecodePkcs8(byte[] der, string path, string what)
    {
        string? oid = TryReadPkcs8Oid(der) ?? throw Fail(what, path, "malformed PKCS#8 private key");
        return oid switch
        {
            RsaOid => Import(() => { var rsa = NewRsa(); rsa.ImportPkcs8PrivateKey(der, out _); return rsa; }, path, what, "malformed RSA key"),
            EcOid => Import(() => { var ec = ECDsa.Create(); ec.ImportPkcs8PrivateKey(der, out _); return ec; }, path, what, "malformed or unsupported EC key"),
            _ => throw Fail(what, path, $"unsupported key type {KeyTypeName(oid)}; only RSA and EC keys are supported"),
        };
    }

    private static AsymmetricAlgorithm DecodeEncryptedPkcs8(byte[] der, string path, string? passphrase, string what)
    {
        if (passphrase is null)
        {
            throw Fail(what, path, "the key is encrypted; a pass phrase is needed");
        }

        switch (Pkcs8Decryptor.TryDecrypt(der, passphrase, out byte[] plain))
        {
            case Pkcs8Decryptor.Outcome.Decrypted:
                try
                {
                    if (TryReadPkcs8Oid(plain) is null)
                    {
                        throw Fail(what, path, "cannot decrypt the key (wrong pass phrase?)"); // padding matched by chance
                    }

                    return DecodePkcs8(plain, path, what);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(plain);
                }

            case Pkcs8Decryptor.Outcome.WrongPassphrase:
                throw Fail(what, path, "cannot decrypt the key (wrong pass phrase?)");
        }

        // Other encryption schemes: .NET decrypts inside the typed import only; try both key types.
        foreach (Func<AsymmetricAlgorithm> attempt in new Func<AsymmetricAlgorithm>[]
                 {
                     () => { var rsa = NewRsa(); rsa.ImportEncryptedPkcs8PrivateKey(passphrase, der, out _); return rsa; },
                     () => { var ec = ECDsa.Create(); ec.ImportEncryptedPkcs8PrivateKey(passphrase, der, out _); return ec; },
                 })
        {
            try
            {
                return attempt();
            }
            catch (CryptographicException)
            {
            }
        }

        throw Fail(what, path, "cannot decrypt the key (wrong pass phrase?) or it is neither RSA nor EC");
    }

    private static AsymmetricAlgorithm DecodeSpki(byte[] der, string path, string what)
    {
        string? oid = TryReadSpkiOid(der) ?? throw Fail(what, path, "malformed public key");
        return oid switch
        {
            RsaOid => Import(() => { var rsa = NewRsa(); rsa.ImportSubjectPublicKeyInfo(der, out _); return rsa; }, path, what, "malformed RSA public key"),
            EcOid => Import(() => { var ec = ECDsa.Create(); ec.ImportSubjectPublicKeyInfo(der, out _); return ec; }, path, what, "malformed or unsupported EC public key"),
            _ => throw Fail(what, path, $"unsupported key type {KeyTypeName(oid)}; only RSA and EC keys are supported"),
        };
    }

    private static AsymmetricAlgorithm Import(Func<AsymmetricAlgorithm> import, string path, string what, string failure)
    {
        try
        {
            return import();
        }
        catch (CryptographicException)
        {
            throw Fail(what, path, failure);
        }
    }

    // PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING, ... }
    private static string? TryReadPkcs8Oid(byte[] der)
    {
        try
        {
            var seq = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            if (!seq.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                return null;
            }

            seq.ReadInteger();
            string oid = seq.ReadSequence().ReadObjectIdentifier();
            return seq.PeekTag().HasSameClassAndValue(Asn1Tag.PrimitiveOctetString) ? oid : null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }
    private static bool LooksLikeEncryptedPkcs8(byte[] der)
    {
        try
        {
            var seq = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            seq.ReadSequence().ReadObjectIdentifier();
            seq.ReadOctetString();
            return !seq.HasData;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
    private static string? TryReadSpkiOid(byte[] der)
    {
        try
        {
            var seq = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            string oid = seq.ReadSequence().ReadObjectIdentifier();
            return seq.PeekTag().HasSameClassAndValue(Asn1Tag.PrimitiveBitString) ? oid : null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static string KeyTypeName(string oid) => oid switch
    {
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10040.4.1" => "DSA",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        _ => oid,
    };
}
