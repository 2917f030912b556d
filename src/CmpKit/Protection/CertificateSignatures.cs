using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Protection;

/// <summary>Verifies the signature of an X.509 certificate with a given public key (root CA key update, C36).</summary>
internal static class CertificateSignatures
{
    private const string Ed25519Oid = "1.3.101.112";
    private const string Ed448Oid = "1.3.101.113";

    /// <summary>Whether <paramref name="certificate"/>'s signature verifies with the DER SubjectPublicKeyInfo <paramref name="signerPublicKeyInfo"/>.</summary>
    public static bool IsSignedBy(X509Certificate2 certificate, byte[] signerPublicKeyInfo)
    {
        try
        {
            var s = X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(certificate.RawData));
            if (s.SignatureAlgorithm.Algorithm.Id is Ed25519Oid or Ed448Oid)
            {
                return VerifyEdDsa(signerPublicKeyInfo, s.SignatureAlgorithm, s.TbsCertificate.GetEncoded(Asn1Encodable.Der), s.Signature.GetOctets());
            }
            return SignatureAlgorithms.Verify(signerPublicKeyInfo, s.SignatureAlgorithm, s.TbsCertificate.GetEncoded(Asn1Encodable.Der), s.Signature.GetOctets());
        }
        catch (CmpException)
        {
            return false; // an algorithm we cannot verify does not verify
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// Ed25519 / Ed448 (RFC 8410, section 6; pure EdDSA, empty context), which .NET lacks, with BouncyCastle: the
    /// algorithm has no parameters and the signer's key is of the same algorithm. OpenSSL's test data signs root CA
    /// certificates with Ed25519.
    /// </summary>
    private static bool VerifyEdDsa(byte[] signerPublicKeyInfo, AlgorithmIdentifier algorithm, byte[] data, byte[] signature)
    {
        var spki = SubjectPublicKeyInfo.GetInstance(Asn1Object.FromByteArray(signerPublicKeyInfo));
        if (algorithm.Parameters is not null || spki.Algorithm.Parameters is not null || !spki.Algorithm.Algorithm.Equals(algorithm.Algorithm))
        {
            return false;
        }
        var key = spki.PublicKey.GetOctets();
        Org.BouncyCastle.Crypto.ISigner signer;
        if (algorithm.Algorithm.Id == Ed25519Oid)
        {
            if (key.Length != Org.BouncyCastle.Crypto.Parameters.Ed25519PublicKeyParameters.KeySize)
            {
                return false;
            }
            signer = new Org.BouncyCastle.Crypto.Signers.Ed25519Signer();
            signer.Init(false, new Org.BouncyCastle.Crypto.Parameters.Ed25519PublicKeyParameters(key));
        }
        else
        {
            if (key.Length != Org.BouncyCastle.Crypto.Parameters.Ed448PublicKeyParameters.KeySize)
            {
                return false;
            }
            signer = new Org.BouncyCastle.Crypto.Signers.Ed448Signer([]);
            signer.Init(false, new Org.BouncyCastle.Crypto.Parameters.Ed448PublicKeyParameters(key));
        }
        signer.BlockUpdate(data, 0, data.Length);
        return signer.VerifySignature(signature);
    }
}
