using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Protection;

/// <summary>Assembles and protects outgoing PKIMessages (RFC 9810, section 5.1.3).</summary>
internal static class MessageProtector
{
    /// <summary>
    /// Builds the message: header with protectionAlg and senderKID from <paramref name="protection"/>,
    /// the protection value over ProtectedPart, and extraCerts (signer and chain first, then
    /// <paramref name="extraCerts"/> without duplicates).
    /// </summary>
    public static PkiMessage Protect(HeaderFields fields, PkiBody body, ProtectionSpec? protection,
        IEnumerable<X509Certificate2>? extraCerts = null)
    {
        var certs = new List<X509Certificate2>();
        void Add(X509Certificate2 c)
        {
            if (!certs.Any(x => Certificates.SameEncoding(x, c)))
            {
                certs.Add(c);
            }
        }
        if (protection is not null)
        {
            foreach (var c in protection.LeadingExtraCerts)
            {
                Add(c);
            }
        }
        foreach (var c in extraCerts ?? [])
        {
            Add(c);
        }
        var cmpCerts = certs.Count == 0 ? null
            : certs.Select(c => Certificates.ToCmp(c)).ToArray();

        if (protection is null)
        {
            var header = fields.Build(null);
            return new PkiMessage(header, body, null, cmpCerts);
        }
        var alg = protection.CreateAlgorithm();
        var protectedHeader = fields.Build(alg, fields.SenderKid ?? protection.SenderKid);
        var protectedPart = ProtectedPartBytes(protectedHeader, body);
        var value = protection.Compute(alg, protectedPart);
        return new ProtectedPkiMessage(protectedHeader, body, new DerBitString(value), cmpCerts,
            protectedPart, certs.Count == 0 ? null : certs.Select(c => c.RawDataMemory).ToArray());
    }

    /// <summary>The DER of ProtectedPart ::= SEQUENCE { header, body }.</summary>
    public static byte[] ProtectedPartBytes(PkiHeader header, PkiBody body) =>
        new ProtectedPart(header, body).GetEncoded(Asn1Encodable.Der);
}
