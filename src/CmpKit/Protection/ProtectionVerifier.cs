using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Protection;

/// <summary>Verification of a received message's protection value (no trust decisions: see Validation).</summary>
internal static class ProtectionVerifier
{
    public const string Pbmac1Oid = "1.2.840.113549.1.5.14";
    public const string DhBasedMacOid = "1.2.840.113533.7.66.30";
    public const string KemBasedMacOid = "1.2.840.113533.7.66.16";

    internal enum ProtectionKind { None, Mac, Signature }

    /// <summary>C15: classifies the protection algorithm, failing for those this library does not support.</summary>
    public static ProtectionKind Classify(PkiMessage message)
    {
        var alg = message.Header.ProtectionAlg;
        if (alg is null || message.Protection is null)
        {
            return ProtectionKind.None;
        }
        var oid = alg.Algorithm.Id;
        if (oid == PasswordBasedMac.Oid)
        {
            return ProtectionKind.Mac;
        }
        if (SignatureAlgorithms.IsKnownSignatureOid(oid))
        {
            return ProtectionKind.Signature;
        }
        var name = oid switch
        {
            Pbmac1Oid => "PBMAC1",
            DhBasedMacOid => "DHBasedMac",
            KemBasedMacOid => "KEMBasedMac",
            _ => oid,
        };
        throw new CmpException(CmpFailureReason.UnsupportedProtectionAlgorithm, $"protection algorithm {name} is not supported");
    }

    /// <summary>C14: recomputes the MAC with the message's parameters and compares in constant time.</summary>
    public static bool VerifyMac(PkiMessage message, ReadOnlySpan<byte> secret, int maxIterations, PbmKeyMemo? keys = null)
    {
        if (message.Protection.PadBits != 0)
        {
            return false;
        }
        var actual = message.Protection.GetOctets();
        foreach (var protectedPart in ProtectedParts(message))
        {
            var expected = PasswordBasedMac.Compute(secret, message.Header.ProtectionAlg, protectedPart, maxIterations, keys);
            if (CryptographicOperations.FixedTimeEquals(expected, actual))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>C18: verifies the signature over ProtectedPart with the certificate's public key.</summary>
    public static bool VerifySignature(PkiMessage message, X509Certificate2 signer)
    {
        if (message.Protection.PadBits != 0)
        {
            return false;
        }
        var signature = message.Protection.GetOctets();
        foreach (var protectedPart in ProtectedParts(message))
        {
            if (SignatureAlgorithms.Verify(signer, message.Header.ProtectionAlg, protectedPart, signature))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// What the protection may have been computed over: ProtectedPart as received (a decoded message), and its DER
    /// re-encoding where that differs (a message with BER inside, or one not decoded by PkiMessageCodec).
    /// Verification stops at the first that verifies, so a message in DER costs one encoding-free check.
    /// </summary>
    private static IEnumerable<byte[]> ProtectedParts(PkiMessage message)
    {
        byte[]? received = (message as ReceivedPkiMessage)?.ReceivedProtectedPart;
        if (received is not null)
        {
            yield return received;
        }
        var der = MessageProtector.ProtectedPartBytes(message.Header, message.Body);
        if (received is null || !der.AsSpan().SequenceEqual(received))
        {
            yield return der;
        }
    }
}
