using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Messages;

/// <summary>Conversions between CMPCertificate and <see cref="X509Certificate2"/>.</summary>
internal static class Certificates
{
    // The same certificates go into every message (a client's chain in extraCerts, a server's caPubs and
    // extraCerts): decoded into BouncyCastle structures once (immutable, so shared).
    private static readonly DerKeyedCache<CmpCertificate> Recurring = new(256);

    /// <summary>The certificate as a BouncyCastle CMPCertificate, decoded once per process (it goes into messages again).</summary>
    /// <param name="certificate">The certificate.</param>
    /// <remarks>A newly issued certificate does not come again: the server sends the structure of its
    /// <see cref="IssuedCertificate"/> instead.</remarks>
    public static CmpCertificate ToCmp(X509Certificate2 certificate) =>
        Recurring.GetOrAdd(certificate.RawDataMemory.Span, certificate, static c => Decode(c))!;

    /// <summary>
    /// A received certificate (an element of extraCerts: <paramref name="length"/> bytes of DER at <paramref name="offset"/>
    /// in <paramref name="message"/>) as a BouncyCastle CMPCertificate, decoded once per process: the same certificates
    /// come in every message.
    /// </summary>
    /// <exception cref="ArgumentException">Or another exception of BouncyCastle's: the bytes are not a certificate.</exception>
    public static CmpCertificate FromDer(byte[] message, int offset, int length) =>
        Recurring.GetOrAdd(message.AsSpan(offset, length), (message, offset, length), static s =>
            Remembered(new CmpCertificate(X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(s.message.AsSpan(s.offset, s.length).ToArray())))))!;

    private static CmpCertificate Decode(X509Certificate2 certificate) =>
        Remembered(new(X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(certificate.RawData))));

    // The DER encoding of each certificate structure handed out by the cache above, made once (ToDotNet needs it for
    // every message that carries the certificate). The DER re-encoding, not the bytes received: those may be BER.
    private static readonly ConditionalWeakTable<CmpCertificate, byte[]> Encodings = new();

    private static CmpCertificate Remembered(CmpCertificate certificate)
    {
        Encodings.AddOrUpdate(certificate, certificate.X509v3PKCert.GetEncoded(Asn1Encodable.Der));
        return certificate;
    }

    /// <summary>Converts a CMPCertificate; null for the (unused) other-certificate choice.</summary>
    /// <param name="certificate">The certificate.</param>
    /// <param name="reason">The failure reason if it cannot be decoded.</param>
    /// <exception cref="CmpException">The certificate cannot be decoded.</exception>
    /// <remarks>These certificates come again (extraCerts, caPubs): each is parsed once (<see cref="ParsedCertificateCache"/>).</remarks>
    public static X509Certificate2? ToDotNet(CmpCertificate? certificate, CmpFailureReason reason = CmpFailureReason.MalformedResponse)
    {
        if (certificate is null || !certificate.IsX509v3PKCert)
        {
            return null;
        }
        try
        {
            var der = Encodings.TryGetValue(certificate, out var known) ? known : certificate.X509v3PKCert.GetEncoded(Asn1Encodable.Der);
            return ParsedCertificateCache.Load(der);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new CmpException(reason, "a certificate in the message cannot be decoded: " + e.Message, innerException: e);
        }
    }

    public static List<X509Certificate2> ToDotNet(IEnumerable<CmpCertificate>? certificates)
    {
        var list = new List<X509Certificate2>();
        foreach (var c in certificates ?? [])
        {
            if (ToDotNet(c) is { } x)
            {
                list.Add(x);
            }
        }
        return list;
    }

    /// <summary>Whether two certificates have the same encoding (without copying it: RawData makes a copy each time).</summary>
    public static bool SameEncoding(X509Certificate2 a, X509Certificate2 b) => a.RawDataMemory.Span.SequenceEqual(b.RawDataMemory.Span);

    public static bool SamePublicKey(X509Certificate2 certificate, ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(subjectPublicKeyInfo);
}
