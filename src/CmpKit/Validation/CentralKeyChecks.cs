using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1.Crmf;

namespace CmpKit.Validation;

/// <summary>
/// C38-C44: the centrally generated private key of an ip/cp/kup (RFC 9810, sections 4.1.6 and 5.3.4;
/// RFC 9483, section 4.1.6). Every step fails closed with its own reason; the caller reports a failure
/// to the server with a negative certConf, since the certificate is useless without its key.
/// </summary>
internal static class CentralKeyChecks
{
    /// <summary>RFC 9810, section 4.5: id-kp-cmKGA, the extended key usage of a key generation authority.</summary>
    public const string CmKgaOid = "1.3.6.1.5.5.7.3.32";

    /// <summary>
    /// Decrypts (C39, C40), verifies the signature (C41) and the signer's authorization (C42), reads the
    /// key (C43) and checks it against <paramref name="certificate"/> (C44). Returns the private key.
    /// </summary>
    /// <param name="encryptedKey">CertifiedKeyPair.privateKey; null if absent (C38).</param>
    /// <param name="certificate">The newly issued certificate.</param>
    /// <param name="credentials">What the client can decrypt with.</param>
    /// <param name="state">The transaction (received extraCerts, validated server certificate).</param>
    /// <param name="policy">Trust anchors, pinned server certificate, untrusted certificates, time.</param>
    public static AsymmetricAlgorithm Extract(EncryptedKey? encryptedKey, X509Certificate2 certificate, KeyDecryptionCredentials credentials,
        TransactionState state, VerificationPolicy policy)
    {
        if (encryptedKey is null)
        {
            throw new CmpException(CmpFailureReason.CentralKeyMissing,
                "central key generation was requested, but the certificate response carries no private key");
        }
        var signedData = EnvelopedPrivateKey.Decrypt(encryptedKey, credentials);
        SignedKeyPackage package;
        try
        {
            package = EnvelopedPrivateKey.VerifySignedData(signedData, state.ReceivedExtraCerts);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(signedData);
        }
        try
        {
            AuthorizeGenerator(package, certificate, state, policy);
            var key = EnvelopedPrivateKey.ReadKeyPackage(package.Content);
            if (!Certificates.SamePublicKey(certificate, key.ExportSubjectPublicKeyInfo()))
            {
                key.Dispose();
                throw new CmpException(CmpFailureReason.CentralKeyMismatch,
                    "the centrally generated private key does not belong to the public key of the new certificate");
            }
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(package.Content);
        }
    }

    /// <summary>
    /// C42: the signer must chain to the trust anchors (or be the pinned server certificate) and be
    /// authorized as key generation authority: id-kp-cmKGA in its extended key usage (as OpenSSL
    /// requires), or the CA certificate that issued the new certificate (the CA generated the key itself).
    /// </summary>
    private static void AuthorizeGenerator(SignedKeyPackage package, X509Certificate2 certificate, TransactionState state, VerificationPolicy policy)
    {
        var signer = package.Signer;
        bool pinned = policy.PinnedServerCertificate is { } pin && Certificates.SameEncoding(pin, signer);
        if (!pinned)
        {
            if (policy.TrustAnchors.Count == 0)
            {
                throw new CmpException(CmpFailureReason.CentralKeyGeneratorUntrusted,
                    $"no trust anchors are configured to validate the certificate of '{signer.Subject}', which signed the private key");
            }
            var error = SenderCertificateValidator.ValidateChain(signer, package.Certificates.Concat(state.ReceivedExtraCerts), policy, policy.Time.GetUtcNow());
            if (error is not null)
            {
                throw new CmpException(CmpFailureReason.CentralKeyGeneratorUntrusted,
                    $"the certificate of '{signer.Subject}', which signed the private key, does not validate: {error}");
            }
        }
        if (!policy.IgnoreKeyUsage && signer.Extensions["2.5.29.15"] is X509KeyUsageExtension ku
            && (ku.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
        {
            throw new CmpException(CmpFailureReason.CentralKeyGeneratorUntrusted,
                $"the key usage of '{signer.Subject}', which signed the private key, does not allow digitalSignature");
        }
        bool kga = signer.Extensions["2.5.29.37"] is X509EnhancedKeyUsageExtension eku
            && eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == CmKgaOid);
        bool issuingCa = signer.Extensions["2.5.29.19"] is X509BasicConstraintsExtension { CertificateAuthority: true }
            && signer.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData)
            && CertificateSignatures.IsSignedBy(certificate, signer.PublicKey.ExportSubjectPublicKeyInfo());
        if (!kga && !issuingCa)
        {
            throw new CmpException(CmpFailureReason.CentralKeyGeneratorUntrusted,
                $"'{signer.Subject}', which signed the private key, is not authorized to generate keys: its certificate has no "
                + "id-kp-cmKGA extended key usage and is not the CA that issued the new certificate");
        }
    }
}
