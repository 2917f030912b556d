using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Protection;

/// <summary>Verifies the signature of an X.509 certificate with a given public key (root CA key update, C36).</summary>
internal static class CertificateSignatures
{
    /// <summary>Whether <paramref name="certificate"/>'s signature verifies with the DER SubjectPublicKeyInfo <paramref name="signerPublicKeyInfo"/>.</summary>
    public static bool IsSignedBy(X509Certificate2 certificate, byte[] signerPublicKeyInfo)
    {
        try
        {
            var s = X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(certificate.RawData));
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
}
