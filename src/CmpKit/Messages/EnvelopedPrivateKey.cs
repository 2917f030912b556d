using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using BcAttribute = Org.BouncyCastle.Asn1.Cms.Attribute;
using BcContentInfo = Org.BouncyCastle.Asn1.Cms.ContentInfo;
using IssuerAndSerialNumber = Org.BouncyCastle.Asn1.Cms.IssuerAndSerialNumber;
using SignedData = Org.BouncyCastle.Asn1.Cms.SignedData;
using SignerInfo = Org.BouncyCastle.Asn1.Cms.SignerInfo;

namespace CmpKit.Messages;

/// <summary>Whom a centrally generated private key is encrypted for (RFC 9483, section 4.1.6).</summary>
internal abstract record KeyRecipient;

/// <summary>The requester's CMP protection certificate: KeyTransRecipientInfo (RSA) or KeyAgreeRecipientInfo (EC).</summary>
internal sealed record CertificateKeyRecipient(X509Certificate2 Certificate) : KeyRecipient;

/// <summary>The shared secret of MAC-based protection: PasswordRecipientInfo (PBKDF2 and AES key wrap).</summary>
internal sealed record PasswordKeyRecipient(byte[] Secret) : KeyRecipient;

/// <summary>What a client may decrypt a centrally generated key with.</summary>
/// <param name="Certificate">Its CMP protection certificate, if any.</param>
/// <param name="PrivateKey">The private key of <paramref name="Certificate"/>.</param>
/// <param name="Secret">The MAC shared secret, if any.</param>
/// <param name="MaxIterations">The highest PBKDF2 iteration count accepted (DoS protection).</param>
internal sealed record KeyDecryptionCredentials(X509Certificate2? Certificate, AsymmetricAlgorithm? PrivateKey, ReadOnlyMemory<byte>? Secret, int MaxIterations);

/// <summary>The verified SignedData around a key package: its signer, the certificates it carries and the content.</summary>
internal sealed record SignedKeyPackage(X509Certificate2 Signer, IReadOnlyList<X509Certificate2> Certificates, byte[] Content);

/// <summary>
/// The private key of a CertifiedKeyPair (RFC 9810, sections 5.2.4 and 5.3.4; RFC 9483, section 4.1.6):
/// EncryptedKey [0] EnvelopedData (RFC 5652) whose content is a SignedData signed by the key
/// generation authority, whose eContent (id-ct-KP-aKeyPackage) is an AsymmetricKeyPackage
/// (RFC 5958) with one OneAsymmetricKey. The server side seals, the client side opens; each
/// failure is a <see cref="CmpException"/> with its own central-key reason (C39-C43).
/// </summary>
internal static class EnvelopedPrivateKey
{
    // RFC 5958 / RFC 6031: id-ct-KP-aKeyPackage.
    public const string AsymmetricKeyPackageOid = "2.16.840.1.101.2.1.2.78.5";
    private const string DataOid = "1.2.840.113549.1.7.1";
    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string ContentTypeAttributeOid = "1.2.840.113549.1.9.3";
    private const string MessageDigestAttributeOid = "1.2.840.113549.1.9.4";
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    private const string RsaOaepOid = "1.2.840.113549.1.1.7";
    private const string Mgf1Oid = "1.2.840.113549.1.1.8";
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string Pbkdf2Oid = "1.2.840.113549.1.5.12";
    private const string PwriKekOid = "1.2.840.113549.1.9.16.3.9";

    private static readonly Dictionary<string, int> AesCbcKeyLength = new()
    {
        ["2.16.840.1.101.3.4.1.2"] = 16, // id-aes128-CBC
        ["2.16.840.1.101.3.4.1.22"] = 24, // id-aes192-CBC
        ["2.16.840.1.101.3.4.1.42"] = 32, // id-aes256-CBC
    };

    private static readonly Dictionary<string, int> AesWrapKeyLength = new()
    {
        ["2.16.840.1.101.3.4.1.5"] = 16, // id-aes128-wrap
        ["2.16.840.1.101.3.4.1.25"] = 24, // id-aes192-wrap
        ["2.16.840.1.101.3.4.1.45"] = 32, // id-aes256-wrap
    };

    // RFC 5753, section 7.1.4 / SEC 1: dhSinglePass-stdDH-sha*kdf-scheme.
    private static readonly Dictionary<string, HashAlgorithmName> EcdhKdfHash = new()
    {
        ["1.3.133.16.840.63.0.2"] = HashAlgorithmName.SHA1,
        ["1.3.132.1.11.1"] = HashAlgorithmName.SHA256,
        ["1.3.132.1.11.2"] = HashAlgorithmName.SHA384,
        ["1.3.132.1.11.3"] = HashAlgorithmName.SHA512,
    };

    // RFC 8018, appendix B.1.2: the PRFs of PBKDF2.
    private static readonly Dictionary<string, HashAlgorithmName> PbkdfPrf = new()
    {
        ["1.2.840.113549.2.7"] = HashAlgorithmName.SHA1,
        ["1.2.840.113549.2.9"] = HashAlgorithmName.SHA256,
        ["1.2.840.113549.2.10"] = HashAlgorithmName.SHA384,
        ["1.2.840.113549.2.11"] = HashAlgorithmName.SHA512,
    };

    private const string Aes256CbcOid = "2.16.840.1.101.3.4.1.42";
    private const string Aes256WrapOid = "2.16.840.1.101.3.4.1.45";
    private const string EcdhSha256KdfOid = "1.3.132.1.11.1";
    private const string HmacWithSha256Oid = "1.2.840.113549.2.9";

    /// <summary>PBKDF2 iterations used when sealing for a password recipient.</summary>
    public const int SealIterations = 10_000;

    // ------------------------------------------------------------------------------------------
    // Server side
    // ------------------------------------------------------------------------------------------

    /// <summary>
    /// Signs <paramref name="newKey"/> as an AsymmetricKeyPackage with the key generation authority's
    /// key and encrypts the SignedData (AES-256-CBC) for <paramref name="recipient"/>.
    /// </summary>
    /// <param name="newKey">The centrally generated key pair (RSA or ECDsa).</param>
    /// <param name="signerCertificate">The KGA's certificate (placed first in SignedData.certificates).</param>
    /// <param name="signerKey">Its private key.</param>
    /// <param name="signerChain">Further certificates for SignedData.certificates.</param>
    /// <param name="recipient">Whom to encrypt for.</param>
    /// <param name="digest">The digest of the signature.</param>
    public static EncryptedKey Seal(AsymmetricAlgorithm newKey, X509Certificate2 signerCertificate, AsymmetricAlgorithm signerKey,
        IEnumerable<X509Certificate2> signerChain, KeyRecipient recipient, HashAlgorithmName digest)
    {
        var pkcs8 = newKey.ExportPkcs8PrivateKey();
        byte[] signedData;
        try
        {
            // AsymmetricKeyPackage ::= SEQUENCE SIZE (1..MAX) OF OneAsymmetricKey (RFC 5958, section 2).
            var package = new DerSequence(Asn1Object.FromByteArray(pkcs8)).GetEncoded(Asn1Encodable.Der);
            signedData = Sign(package, signerCertificate, signerKey, signerChain, digest).GetEncoded(Asn1Encodable.Der);
            CryptographicOperations.ZeroMemory(package);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }

        var cek = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(16);
        byte[] encrypted;
        using (var aes = Aes.Create())
        {
            aes.Key = cek;
            encrypted = aes.EncryptCbc(signedData, iv, PaddingMode.PKCS7);
        }
        CryptographicOperations.ZeroMemory(signedData);
        var recipientInfo = recipient switch
        {
            CertificateKeyRecipient { Certificate: var c } when c.GetRSAPublicKey() is { } rsa => KeyTransport(c, rsa, cek),
            // Not GetECDiffieHellmanPublicKey: .NET refuses it when keyUsage lacks keyAgreement, and the requester's CMP
            // certificate is a signature certificate (RFC 9483, section 4.1.6.2 uses its key all the same).
            CertificateKeyRecipient { Certificate: var c } when c.GetECDsaPublicKey() is { } ecdsa => KeyAgreement(c, ToEcdh(ecdsa), cek),
            PasswordKeyRecipient p => Password(p.Secret, cek),
            _ => throw new CmpException(CmpFailureReason.InvalidCredentials,
                "the requester's certificate has neither an RSA nor an EC key to encrypt the new private key for"),
        };
        CryptographicOperations.ZeroMemory(cek);
        var contentInfo = new EncryptedContentInfo(new DerObjectIdentifier(SignedDataOid),
            new AlgorithmIdentifier(new DerObjectIdentifier(Aes256CbcOid), new DerOctetString(iv)), new DerOctetString(encrypted));
        var enveloped = new EnvelopedData(null, new DerSet(recipientInfo), contentInfo, (Asn1Set?)null);
        return new EncryptedKey(enveloped);
    }

    private static ECDiffieHellman ToEcdh(ECDsa key)
    {
        using (key)
        {
            return ECDiffieHellman.Create(key.ExportParameters(false));
        }
    }

    private static SignedData Sign(byte[] content, X509Certificate2 signerCertificate, AsymmetricAlgorithm signerKey,
        IEnumerable<X509Certificate2> chain, HashAlgorithmName digest)
    {
        var contentType = new DerObjectIdentifier(AsymmetricKeyPackageOid);
        var digestAlgorithm = new AlgorithmIdentifier(new DerObjectIdentifier(SignatureAlgorithms.HashOid(digest)));
        // RFC 5652, section 5.3: with a content type other than id-data, signedAttrs with content-type and message-digest.
        var signedAttributes = new DerSet(
            new BcAttribute(new DerObjectIdentifier(ContentTypeAttributeOid), new DerSet(contentType)),
            new BcAttribute(new DerObjectIdentifier(MessageDigestAttributeOid), new DerSet(new DerOctetString(SignatureAlgorithms.HashData(digest, content)))));
        var (signatureAlgorithm, signature) = SignatureAlgorithms.Sign(signerKey, digest, false, signedAttributes.GetEncoded(Asn1Encodable.Der));
        var signerInfo = new SignerInfo(new SignerIdentifier(IssuerAndSerial(signerCertificate)), digestAlgorithm, signedAttributes,
            signatureAlgorithm, new DerOctetString(signature), (Asn1Set?)null);
        var certificates = new List<Asn1Encodable> { X509CertificateStructure.GetInstance(signerCertificate.RawData) };
        certificates.AddRange(chain.Where(c => !Certificates.SameEncoding(c, signerCertificate))
            .Select(c => (Asn1Encodable)X509CertificateStructure.GetInstance(c.RawData)));
        return new SignedData(new DerSet(digestAlgorithm), new BcContentInfo(contentType, new DerOctetString(content)),
            new DerSet(certificates.ToArray()), null, new DerSet(signerInfo));
    }

    // RFC 5652, section 6.2.1; RSAES-OAEP with SHA-256 (RFC 8017, RFC 4055; RFC 9481, section 4.2.1.1).
    private static RecipientInfo KeyTransport(X509Certificate2 recipient, RSA publicKey, byte[] cek)
    {
        using (publicKey)
        {
            var sha256 = new AlgorithmIdentifier(new DerObjectIdentifier(SignatureAlgorithms.HashOid(HashAlgorithmName.SHA256)), DerNull.Instance);
            var oaep = new RsaesOaepParameters(sha256, new AlgorithmIdentifier(new DerObjectIdentifier(Mgf1Oid), sha256),
                RsaesOaepParameters.DefaultPSourceAlgorithm);
            var encryptedKey = publicKey.Encrypt(cek, RSAEncryptionPadding.OaepSHA256);
            return new RecipientInfo(new KeyTransRecipientInfo(new RecipientIdentifier(IssuerAndSerial(recipient)),
                new AlgorithmIdentifier(new DerObjectIdentifier(RsaOaepOid), oaep), new DerOctetString(encryptedKey)));
        }
    }

    // RFC 5652, section 6.2.2; RFC 5753: ephemeral-static ECDH, X9.63 KDF with SHA-256, AES-256 key wrap.
    private static RecipientInfo KeyAgreement(X509Certificate2 recipient, ECDiffieHellman publicKey, byte[] cek)
    {
        using (publicKey)
        {
            var curve = publicKey.ExportParameters(false).Curve;
            using var ephemeral = ECDiffieHellman.Create(curve);
            var z = ephemeral.DeriveRawSecretAgreement(publicKey.PublicKey);
            var wrapAlgorithm = new AlgorithmIdentifier(new DerObjectIdentifier(Aes256WrapOid));
            var kek = KeyWrap.X963Kdf(HashAlgorithmName.SHA256, z, SharedInfo(wrapAlgorithm, null, 32), 32);
            var wrapped = KeyWrap.Wrap(kek, cek);
            CryptographicOperations.ZeroMemory(z);
            CryptographicOperations.ZeroMemory(kek);
            var q = ephemeral.ExportParameters(false).Q;
            var point = new byte[1 + q.X!.Length + q.Y!.Length];
            point[0] = 0x04;
            q.X.CopyTo(point, 1);
            q.Y.CopyTo(point, 1 + q.X.Length);
            var originator = new OriginatorIdentifierOrKey(new OriginatorPublicKey(
                new AlgorithmIdentifier(new DerObjectIdentifier(EcPublicKeyOid)), point));
            var encryptedKey = new RecipientEncryptedKey(new KeyAgreeRecipientIdentifier(IssuerAndSerial(recipient)), new DerOctetString(wrapped));
            return new RecipientInfo(new KeyAgreeRecipientInfo(originator, null,
                new AlgorithmIdentifier(new DerObjectIdentifier(EcdhSha256KdfOid), wrapAlgorithm), new DerSequence(encryptedKey)));
        }
    }

    // RFC 5652, section 6.2.4; PBKDF2 with HMAC-SHA256 (RFC 8018) and AES-256 key wrap (RFC 3394; RFC 9481, section 4.4).
    private static RecipientInfo Password(byte[] secret, byte[] cek)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var kek = Rfc2898DeriveBytes.Pbkdf2(secret, salt, SealIterations, HashAlgorithmName.SHA256, 32);
        var wrapped = KeyWrap.Wrap(kek, cek);
        CryptographicOperations.ZeroMemory(kek);
        var pbkdf2 = new Pbkdf2Params(salt, SealIterations, 32, new AlgorithmIdentifier(new DerObjectIdentifier(HmacWithSha256Oid), DerNull.Instance));
        return new RecipientInfo(new PasswordRecipientInfo(new AlgorithmIdentifier(new DerObjectIdentifier(Pbkdf2Oid), pbkdf2),
            new AlgorithmIdentifier(new DerObjectIdentifier(Aes256WrapOid)), new DerOctetString(wrapped)));
    }

    // ------------------------------------------------------------------------------------------
    // Client side
    // ------------------------------------------------------------------------------------------

    /// <summary>
    /// C39, C40: finds the RecipientInfo meant for this client, recovers the content-encryption key
    /// and decrypts the content, which must be a SignedData; returns its DER.
    /// </summary>
    public static byte[] Decrypt(EncryptedKey encryptedKey, KeyDecryptionCredentials credentials)
    {
        if (encryptedKey.IsEncryptedValue)
        {
            throw new CmpException(CmpFailureReason.CentralKeyUnsupported,
                "the private key is sent as the deprecated EncryptedValue; only EnvelopedData is supported (RFC 9810, section 5.2.2)");
        }
        EnvelopedData enveloped;
        EncryptedContentInfo content;
        try
        {
            enveloped = EnvelopedData.GetInstance(encryptedKey.Value);
            content = enveloped.EncryptedContentInfo;
            _ = enveloped.RecipientInfos.Count;
        }
        catch (Exception e) when (IsAsn1Failure(e))
        {
            throw Malformed("the EnvelopedData around the private key", e);
        }
        if (content.ContentType.Id != SignedDataOid)
        {
            throw new CmpException(CmpFailureReason.CentralKeyMalformed,
                $"the EnvelopedData holds content of type {content.ContentType.Id}, not a SignedData (RFC 9483, section 4.1.6)");
        }
        if (content.EncryptedContent is null)
        {
            throw new CmpException(CmpFailureReason.CentralKeyMalformed, "the EnvelopedData holds no encrypted content");
        }
        var cek = RecoverContentKey(enveloped.RecipientInfos, credentials);
        try
        {
            var signedData = DecryptContent(content, cek);
            try
            {
                // The decrypted octets must be a DER SignedData; CBC has no integrity, so garbage here means a
                // wrong key or damaged ciphertext.
                _ = SignedData.GetInstance(Asn1Object.FromByteArray(signedData));
            }
            catch (Exception e) when (IsAsn1Failure(e))
            {
                throw new CmpException(CmpFailureReason.CentralKeyDecryptionFailed,
                    "the decrypted private-key envelope is not a SignedData (wrong key or damaged ciphertext)", innerException: e);
            }
            return signedData;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(cek);
        }
    }

    private static byte[] RecoverContentKey(Asn1Set recipientInfos, KeyDecryptionCredentials credentials)
    {
        string? unsupported = null;
        foreach (var element in recipientInfos)
        {
            Asn1Encodable info;
            try
            {
                info = RecipientInfo.GetInstance(element).Info;
            }
            catch (Exception e) when (IsAsn1Failure(e))
            {
                throw Malformed("a RecipientInfo", e);
            }
            try
            {
                byte[]? cek = info switch
                {
                    KeyTransRecipientInfo ktri => TryKeyTransport(ktri, credentials, ref unsupported),
                    KeyAgreeRecipientInfo kari => TryKeyAgreement(kari, credentials, ref unsupported),
                    PasswordRecipientInfo pwri => TryPassword(pwri, credentials, ref unsupported),
                    _ => null,
                };
                if (cek is not null)
                {
                    return cek;
                }
            }
            catch (Exception e) when (IsAsn1Failure(e))
            {
                throw Malformed("a RecipientInfo", e);
            }
        }
        if (unsupported is not null)
        {
            throw new CmpException(CmpFailureReason.CentralKeyUnsupported, unsupported);
        }
        throw new CmpException(CmpFailureReason.CentralKeyNoRecipient,
            credentials.Certificate is null && credentials.Secret is null
                ? "the private key is encrypted, but this client has neither a certificate nor a shared secret to decrypt it"
                : "the private key is not encrypted for this client (no RecipientInfo names its certificate"
                  + (credentials.Secret is null ? ")" : " or uses its shared secret)"));
    }

    private static byte[]? TryKeyTransport(KeyTransRecipientInfo ktri, KeyDecryptionCredentials credentials, ref string? unsupported)
    {
        if (credentials.Certificate is not { } cert || credentials.PrivateKey is not RSA rsa || !Names(ktri.RecipientIdentifier, cert))
        {
            return null;
        }
        var algorithm = ktri.KeyEncryptionAlgorithm;
        RSAEncryptionPadding padding;
        if (algorithm.Algorithm.Id == RsaEncryptionOid)
        {
            padding = RSAEncryptionPadding.Pkcs1;
        }
        else if (algorithm.Algorithm.Id == RsaOaepOid)
        {
            var p = RsaesOaepParameters.GetInstance(algorithm.Parameters ?? new DerSequence());
            var hash = SignatureAlgorithms.HashFromOid(p.HashAlgorithm.Algorithm.Id);
            var mgfHash = p.MaskGenAlgorithm.Algorithm.Id == Mgf1Oid
                ? SignatureAlgorithms.HashFromOid(AlgorithmIdentifier.GetInstance(p.MaskGenAlgorithm.Parameters).Algorithm.Id)
                : null;
            if (hash is null || mgfHash != hash || !p.PSourceAlgorithm.Equals(RsaesOaepParameters.DefaultPSourceAlgorithm))
            {
                unsupported = "the RSAES-OAEP parameters of the key transport are not supported (MGF1 with the same hash, empty label)";
                return null;
            }
            padding = RSAEncryptionPadding.CreateOaep(hash.Value);
        }
        else
        {
            unsupported = $"the key transport algorithm {algorithm.Algorithm.Id} is not supported (rsaEncryption, RSAES-OAEP)";
            return null;
        }
        try
        {
            return rsa.Decrypt(ktri.EncryptedKey.GetOctets(), padding);
        }
        catch (CryptographicException e)
        {
            throw DecryptionFailed("the content-encryption key (key transport) cannot be decrypted", e);
        }
    }

    private static byte[]? TryKeyAgreement(KeyAgreeRecipientInfo kari, KeyDecryptionCredentials credentials, ref string? unsupported)
    {
        if (credentials.Certificate is not { } cert || credentials.PrivateKey is not ECDsa ownKey)
        {
            return null;
        }
        RecipientEncryptedKey? mine = null;
        foreach (var element in kari.RecipientEncryptedKeys)
        {
            var rek = RecipientEncryptedKey.GetInstance(element);
            var id = rek.Identifier;
            bool match = id.IssuerAndSerialNumber is { } ias ? Matches(ias, cert)
                : id.RKeyID is { } rkey && SubjectKeyIdentifier(cert) is { } ski && rkey.SubjectKeyIdentifier.GetOctets().AsSpan().SequenceEqual(ski);
            if (match)
            {
                mine = rek;
                break;
            }
        }
        if (mine is null)
        {
            return null;
        }
        var scheme = kari.KeyEncryptionAlgorithm;
        if (!EcdhKdfHash.TryGetValue(scheme.Algorithm.Id, out var kdfHash))
        {
            unsupported = $"the key agreement algorithm {scheme.Algorithm.Id} is not supported (dhSinglePass-stdDH-sha*kdf-scheme)";
            return null;
        }
        var wrapAlgorithm = AlgorithmIdentifier.GetInstance(scheme.Parameters);
        if (!AesWrapKeyLength.TryGetValue(wrapAlgorithm.Algorithm.Id, out var kekLength))
        {
            unsupported = $"the key wrap algorithm {wrapAlgorithm.Algorithm.Id} is not supported (AES key wrap)";
            return null;
        }
        if (kari.Originator.OriginatorKey is not { } originator)
        {
            unsupported = "key agreement with a static originator key is not supported (only an ephemeral originatorKey)";
            return null;
        }
        var ownParameters = ownKey.ExportParameters(true);
        var point = originator.PublicKey.GetOctets();
        int size = (ownParameters.Q.X?.Length) ?? 0;
        if (point.Length != 1 + (2 * size) || point[0] != 0x04)
        {
            throw DecryptionFailed("the originator's ephemeral public key is not an uncompressed point on this client's curve", null);
        }
        try
        {
            using var own = ECDiffieHellman.Create(ownParameters);
            using var peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ownParameters.Curve,
                Q = new ECPoint { X = point[1..(1 + size)], Y = point[(1 + size)..] },
            });
            var z = own.DeriveRawSecretAgreement(peer.PublicKey);
            var kek = KeyWrap.X963Kdf(kdfHash, z, SharedInfo(wrapAlgorithm, kari.UserKeyingMaterial?.GetOctets(), kekLength), kekLength);
            CryptographicOperations.ZeroMemory(z);
            var cek = KeyWrap.Unwrap(kek, mine.EncryptedKey.GetOctets());
            CryptographicOperations.ZeroMemory(kek);
            return cek ?? throw DecryptionFailed("the content-encryption key (key agreement) does not unwrap: wrong key or damaged", null);
        }
        catch (CryptographicException e)
        {
            throw DecryptionFailed("the key agreement with the originator's ephemeral key fails", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ownParameters.D);
        }
    }

    private static byte[]? TryPassword(PasswordRecipientInfo pwri, KeyDecryptionCredentials credentials, ref string? unsupported)
    {
        if (credentials.Secret is not { } secret)
        {
            return null;
        }
        var derivation = pwri.KeyDerivationAlgorithm;
        if (derivation is null || derivation.Algorithm.Id != Pbkdf2Oid)
        {
            unsupported = "the password-based key derivation is not PBKDF2";
            return null;
        }
        var p = Pbkdf2Params.GetInstance(derivation.Parameters);
        var prf = p.IsDefaultPrf ? HashAlgorithmName.SHA1 : PbkdfPrf.GetValueOrDefault(p.Prf.Algorithm.Id);
        if (prf == default)
        {
            unsupported = $"the PBKDF2 PRF {p.Prf.Algorithm.Id} is not supported";
            return null;
        }
        var wrapOid = pwri.KeyEncryptionAlgorithm.Algorithm.Id;
        if (!AesWrapKeyLength.TryGetValue(wrapOid, out var kekLength))
        {
            unsupported = wrapOid == PwriKekOid
                ? "the password key encryption uses id-alg-PWRI-KEK (RFC 3211), which is not supported; AES key wrap is"
                : $"the password key encryption algorithm {wrapOid} is not supported (AES key wrap)";
            return null;
        }
        var iterations = p.IterationCount;
        if (iterations.SignValue <= 0 || iterations.BitLength > 31 || iterations.IntValue > credentials.MaxIterations)
        {
            unsupported = $"the PBKDF2 iteration count {iterations} is out of the accepted range (1..{credentials.MaxIterations})";
            return null;
        }
        if (p.KeyLength is { } keyLength && (keyLength.BitLength > 31 || keyLength.IntValue != kekLength))
        {
            throw DecryptionFailed("the PBKDF2 key length does not fit the key wrap algorithm", null);
        }
        var kek = Rfc2898DeriveBytes.Pbkdf2(secret.Span, p.GetSalt(), iterations.IntValue, prf, kekLength);
        var cek = KeyWrap.Unwrap(kek, pwri.EncryptedKey.GetOctets());
        CryptographicOperations.ZeroMemory(kek);
        return cek ?? throw DecryptionFailed("the content-encryption key (password) does not unwrap: wrong secret or damaged", null);
    }

    private static byte[] DecryptContent(EncryptedContentInfo content, byte[] cek)
    {
        var algorithm = content.ContentEncryptionAlgorithm;
        if (!AesCbcKeyLength.TryGetValue(algorithm.Algorithm.Id, out var keyLength))
        {
            throw new CmpException(CmpFailureReason.CentralKeyUnsupported,
                $"the content encryption algorithm {algorithm.Algorithm.Id} is not supported (AES-CBC)");
        }
        if (algorithm.Parameters is not Asn1OctetString ivString || ivString.GetOctets().Length != 16)
        {
            throw new CmpException(CmpFailureReason.CentralKeyMalformed, "the AES-CBC parameters are not a 16-byte IV");
        }
        if (cek.Length != keyLength)
        {
            throw DecryptionFailed("the content-encryption key has the wrong length for the content encryption algorithm", null);
        }
        try
        {
            using var aes = Aes.Create();
            aes.Key = cek;
            return aes.DecryptCbc(content.EncryptedContent.GetOctets(), ivString.GetOctets(), PaddingMode.PKCS7);
        }
        catch (CryptographicException e)
        {
            throw DecryptionFailed("the encrypted content does not decrypt (wrong key or damaged ciphertext)", e);
        }
    }

    /// <summary>
    /// C41: the SignedData must hold exactly one SignerInfo whose certificate (in SignedData.certificates
    /// or <paramref name="moreCertificates"/>) verifies its signature, with content-type and message-digest
    /// attributes matching the content when signed attributes are present (RFC 5652, sections 5.4 and 5.6).
    /// </summary>
    public static SignedKeyPackage VerifySignedData(byte[] der, IEnumerable<X509Certificate2> moreCertificates)
    {
        SignedData signedData;
        SignerInfo signerInfo;
        byte[] content;
        string contentType;
        List<X509Certificate2> certificates;
        try
        {
            signedData = SignedData.GetInstance(Asn1Object.FromByteArray(der));
            var encap = signedData.EncapContentInfo;
            contentType = encap.ContentType.Id;
            if (encap.Content is not Asn1OctetString octets)
            {
                throw new CmpException(CmpFailureReason.CentralKeyInvalidSignature, "the SignedData carries no content (detached signatures are not allowed)");
            }
            content = octets.GetOctets();
            if (signedData.SignerInfos.Count != 1)
            {
                throw new CmpException(CmpFailureReason.CentralKeyInvalidSignature,
                    $"the SignedData has {signedData.SignerInfos.Count} SignerInfos; exactly one (the key generation authority's) was expected");
            }
            signerInfo = SignerInfo.GetInstance(signedData.SignerInfos[0]);
            certificates = [];
            foreach (var element in signedData.Certificates ?? (IEnumerable<Asn1Encodable>)[])
            {
                if (element.ToAsn1Object() is Asn1Sequence)
                {
                    certificates.Add(ParsedCertificateCache.Load(element.GetEncoded(Asn1Encodable.Der)));
                }
            }
        }
        catch (Exception e) when (IsAsn1Failure(e) || e is CryptographicException)
        {
            throw new CmpException(CmpFailureReason.CentralKeyInvalidSignature, "the SignedData around the private key is malformed: " + Describe(e), innerException: e);
        }
        if (contentType != AsymmetricKeyPackageOid && contentType != DataOid)
        {
            throw new CmpException(CmpFailureReason.CentralKeyInvalidSignature,
                $"the SignedData's content type is {contentType}, not id-ct-KP-aKeyPackage (RFC 9483, section 4.1.6)");
        }

        var candidates = certificates.Concat(moreCertificates).ToList();
        var signer = candidates.FirstOrDefault(c => Identifies(signerInfo.SignerID, c))
            ?? throw new CmpException(CmpFailureReason.CentralKeyInvalidSignature,
                "the certificate of the private key's signer is neither in the SignedData nor in the response's extraCerts");

        var digest = SignatureAlgorithms.HashFromOid(signerInfo.DigestAlgorithm.Algorithm.Id)
            ?? throw new CmpException(CmpFailureReason.CentralKeyUnsupported, $"the SignedData's digest algorithm {signerInfo.DigestAlgorithm.Algorithm.Id} is not supported");
        byte[] signed;
        if (signerInfo.SignedAttrs is { } attributes)
        {
            string? seenType = null;
            byte[]? seenDigest = null;
            foreach (var element in attributes)
            {
                var attribute = BcAttribute.GetInstance(element);
                var values = attribute.AttrValues;
                if (attribute.AttrType.Id == ContentTypeAttributeOid)
                {
                    seenType = values.Count == 1 && seenType is null ? DerObjectIdentifier.GetInstance(values[0]).Id : "(repeated)";
                }
                else if (attribute.AttrType.Id == MessageDigestAttributeOid)
                {
                    seenDigest = values.Count == 1 && seenDigest is null ? Asn1OctetString.GetInstance(values[0]).GetOctets() : [];
                }
            }
            if (seenType != contentType)
            {
                throw new CmpException(CmpFailureReason.CentralKeyInvalidSignature, "the SignedData's content-type attribute does not match its content type");
            }
            if (seenDigest is null || !CryptographicOperations.FixedTimeEquals(seenDigest, SignatureAlgorithms.HashData(digest, content)))
            {
                throw new CmpException(CmpFailureReason.CentralKeyInvalidSignature, "the SignedData's message-digest attribute does not match its content");
            }
            signed = attributes.GetEncoded(Asn1Encodable.Der);
        }
        else
        {
            signed = content;
        }
        bool valid;
        try
        {
            valid = SignatureAlgorithms.Verify(signer, SignatureAlgorithmFor(signerInfo.SignatureAlgorithm, digest), signed, signerInfo.Signature.GetOctets());
        }
        catch (CmpException e) when (e.Reason == CmpFailureReason.UnsupportedProtectionAlgorithm)
        {
            throw new CmpException(CmpFailureReason.CentralKeyUnsupported, "the SignedData's " + e.Message, innerException: e);
        }
        if (!valid)
        {
            throw new CmpException(CmpFailureReason.CentralKeyInvalidSignature,
                $"the signature on the private key does not verify with the certificate of '{signer.Subject}'");
        }
        return new SignedKeyPackage(signer, certificates, content);
    }

    /// <summary>
    /// C43: the AsymmetricKeyPackage must hold exactly one OneAsymmetricKey with an RSA or EC key. A bare
    /// PrivateKeyInfo, RSAPrivateKey or ECPrivateKey (as OpenSSL's server sends it) is accepted too.
    /// </summary>
    public static AsymmetricAlgorithm ReadKeyPackage(byte[] content)
    {
        byte[] keyDer;
        try
        {
            var outer = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(content));
            if (outer.Count > 0 && outer[0] is Asn1Sequence)
            {
                if (outer.Count != 1)
                {
                    throw new CmpException(CmpFailureReason.CentralKeyMalformed,
                        $"the AsymmetricKeyPackage holds {outer.Count} keys; exactly one was expected");
                }
                keyDer = outer[0].GetEncoded(Asn1Encodable.Der);
            }
            else
            {
                keyDer = content;
            }
        }
        catch (Exception e) when (IsAsn1Failure(e))
        {
            throw Malformed("the key package", e);
        }
        string? algorithm = null;
        try
        {
            algorithm = PrivateKeyInfo.GetInstance(Asn1Object.FromByteArray(keyDer)).PrivateKeyAlgorithm.Algorithm.Id;
        }
        catch (Exception e) when (IsAsn1Failure(e))
        {
            // not PKCS#8: perhaps a traditional RSAPrivateKey or ECPrivateKey
        }
        try
        {
            switch (algorithm)
            {
                case RsaEncryptionOid:
                {
                    var rsa = RSA.Create();
                    rsa.ImportPkcs8PrivateKey(keyDer, out _);
                    return rsa;
                }
                case EcPublicKeyOid:
                {
                    var ec = ECDsa.Create();
                    ec.ImportPkcs8PrivateKey(keyDer, out _);
                    return ec;
                }
                case null:
                    return ImportTraditional(keyDer);
                default:
                    throw new CmpException(CmpFailureReason.CentralKeyUnsupported,
                        $"the centrally generated key is of type {algorithm}; RSA and EC keys are supported");
            }
        }
        catch (CryptographicException e)
        {
            throw new CmpException(CmpFailureReason.CentralKeyMalformed, "the centrally generated private key cannot be read", innerException: e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyDer);
        }
    }

    private static AsymmetricAlgorithm ImportTraditional(byte[] der)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportRSAPrivateKey(der, out var read);
            if (read == der.Length)
            {
                return rsa;
            }
        }
        catch (CryptographicException)
        {
        }
        rsa.Dispose();
        var ec = ECDsa.Create();
        try
        {
            ec.ImportECPrivateKey(der, out var read);
            if (read == der.Length)
            {
                return ec;
            }
        }
        catch (CryptographicException)
        {
        }
        ec.Dispose();
        throw new CmpException(CmpFailureReason.CentralKeyMalformed, "the key package holds no readable OneAsymmetricKey");
    }

    // CMS allows rsaEncryption / id-ecPublicKey as signatureAlgorithm, the hash coming from digestAlgorithm.
    private static AlgorithmIdentifier SignatureAlgorithmFor(AlgorithmIdentifier algorithm, HashAlgorithmName digest)
    {
        var suffix = digest.Name switch { "SHA1" => 0, "SHA256" => 1, "SHA384" => 2, "SHA512" => 3, _ => -1 };
        if (algorithm.Algorithm.Id == RsaEncryptionOid && suffix >= 0)
        {
            return new AlgorithmIdentifier(new DerObjectIdentifier(new[] { "1.2.840.113549.1.1.5", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13" }[suffix]), DerNull.Instance);
        }
        if (algorithm.Algorithm.Id == EcPublicKeyOid && suffix >= 0)
        {
            return new AlgorithmIdentifier(new DerObjectIdentifier(new[] { "1.2.840.10045.4.1", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4" }[suffix]));
        }
        return algorithm;
    }

    // RFC 5753, section 7.2: ECC-CMS-SharedInfo ::= SEQUENCE { keyInfo, entityUInfo [0] EXPLICIT OPTIONAL, suppPubInfo [2] EXPLICIT }.
    private static byte[] SharedInfo(AlgorithmIdentifier wrapAlgorithm, byte[]? ukm, int kekLength)
    {
        var v = new Asn1EncodableVector(wrapAlgorithm);
        if (ukm is not null)
        {
            v.Add(new DerTaggedObject(true, 0, new DerOctetString(ukm)));
        }
        var bits = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bits, kekLength * 8);
        v.Add(new DerTaggedObject(true, 2, new DerOctetString(bits)));
        return new DerSequence(v).GetEncoded(Asn1Encodable.Der);
    }

    private static IssuerAndSerialNumber IssuerAndSerial(X509Certificate2 certificate)
    {
        var structure = X509CertificateStructure.GetInstance(certificate.RawData);
        return new IssuerAndSerialNumber(structure.Issuer, structure.SerialNumber);
    }

    private static bool Matches(IssuerAndSerialNumber id, X509Certificate2 certificate)
    {
        var structure = X509CertificateStructure.GetInstance(certificate.RawData);
        return id.Issuer.Equivalent(structure.Issuer) && id.SerialNumber.Value.Equals(structure.SerialNumber.Value);
    }

    private static byte[]? SubjectKeyIdentifier(X509Certificate2 certificate) =>
        certificate.Extensions["2.5.29.14"] is X509SubjectKeyIdentifierExtension ski ? ski.SubjectKeyIdentifierBytes.ToArray() : null;

    private static bool Names(RecipientIdentifier id, X509Certificate2 certificate) =>
        id.IsTagged
            ? SubjectKeyIdentifier(certificate) is { } ski && Asn1OctetString.GetInstance(id.ID).GetOctets().AsSpan().SequenceEqual(ski)
            : Matches(IssuerAndSerialNumber.GetInstance(id.ID), certificate);

    private static bool Identifies(SignerIdentifier id, X509Certificate2 certificate)
    {
        try
        {
            return id.IsTagged
                ? SubjectKeyIdentifier(certificate) is { } ski && Asn1OctetString.GetInstance(id.ID).GetOctets().AsSpan().SequenceEqual(ski)
                : Matches(IssuerAndSerialNumber.GetInstance(id.ID), certificate);
        }
        catch (Exception e) when (IsAsn1Failure(e))
        {
            return false;
        }
    }

    private static bool IsAsn1Failure(Exception e) =>
        e is ArgumentException or InvalidCastException or InvalidOperationException or IOException or FormatException or NullReferenceException;

    private static string Describe(Exception e) => e.Message.ReplaceLineEndings(" ");

    private static CmpException Malformed(string what, Exception e) =>
        new(CmpFailureReason.CentralKeyMalformed, $"{what} is malformed: {Describe(e)}", innerException: e);

    private static CmpException DecryptionFailed(string text, Exception? e) =>
        new(CmpFailureReason.CentralKeyDecryptionFailed, text, innerException: e);
}
