using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.X509;
using DotNetX509Extension = System.Security.Cryptography.X509Certificates.X509Extension;

namespace CmpKit.Messages;

/// <summary>Outcome of checking a request's proof of possession (RFC 4211, section 4).</summary>
internal enum PopResult
{
    /// <summary>A POP signature that verifies with the requested public key.</summary>
    Verified,
    /// <summary>A POP signature that does not verify (or no key to verify it with).</summary>
    Failed,
    /// <summary>raVerified: an RA claims to have checked it.</summary>
    RaVerified,
    /// <summary>No POP at all.</summary>
    Missing,
    /// <summary>keyEncipherment, keyAgreement, or a signature algorithm this library does not know.</summary>
    Unsupported,
}

/// <summary>The parts of one CertReqMsg (RFC 4211, section 5) a CA needs, in .NET types.</summary>
internal sealed record CertRequestData(
    long CertReqId,
    X500DistinguishedName? Subject,
    byte[]? PublicKeyInfo,
    IReadOnlyList<DotNetX509Extension> Extensions,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter,
    PopResult Pop,
    int RequestCount,
    OldCertificateId? OldCertId,
    CentralKeyRequest CentralKey = CentralKeyRequest.No,
    byte[]? RequestedKeyAlgorithm = null);

/// <summary>Whether a CertReqMsg asks for central key generation (RFC 9483, section 4.1.6; RFC 4211, section 4).</summary>
internal enum CentralKeyRequest
{
    /// <summary>A public key to certify is given.</summary>
    No,
    /// <summary>No POP, and publicKey absent or with a zero-length subjectPublicKey: the server is to generate the key.</summary>
    Yes,
    /// <summary>publicKey without key bits, but with a POP: contradictory.</summary>
    Inconsistent,
}

/// <summary>The oldCertID control of a kur (RFC 4211, section 6.5): issuer and serial number of the certificate to update.</summary>
internal sealed record OldCertificateId(X500DistinguishedName? Issuer, byte[] SerialNumber)
{
    /// <summary>Whether this identifies <paramref name="certificate"/> (issuer compared as OpenSSL's X509_NAME_cmp does, <see cref="Names.CanonicalEquals"/>).</summary>
    public bool Matches(X509Certificate2 certificate) =>
        Issuer is not null && Names.CanonicalEquals(Issuer, certificate.IssuerName)
        && SerialNumber.AsSpan().SequenceEqual(certificate.SerialNumberBytes.Span.TrimStart((byte)0));
}

/// <summary>One CertStatus of a certConf (RFC 9810, section 5.3.18).</summary>
internal sealed record CertStatusData(byte[] CertHash, long CertReqId, CmpStatusInfo? Status, HashAlgorithmName? HashAlgorithm, string? HashAlgorithmOid);

/// <summary>
/// Reads the bodies of the messages a CMP server receives (RFC 9810, section 5.3; RFC 4211): the
/// mirror image of <see cref="RequestBuilder"/>. Malformed content fails with <see cref="CmpException"/>
/// (reason <see cref="CmpFailureReason.MalformedResponse"/>, the only "malformed message" reason there is).
/// </summary>
internal static class RequestReader
{
    /// <summary>Whether the header's generalInfo carries implicitConfirm (RFC 9810, section 5.1.1.1).</summary>
    public static bool AsksImplicitConfirm(PkiHeader header) =>
        header.GetGeneralInfo()?.Any(i => i.InfoType.Equals(CmpObjectIdentifiers.it_implicitConfirm)) == true;

    /// <summary>The messageTime of a header, if present and readable.</summary>
    public static DateTimeOffset? MessageTime(PkiHeader header)
    {
        try
        {
            return header.MessageTime is { } t ? new DateTimeOffset(t.ToDateTime().ToUniversalTime(), TimeSpan.Zero) : null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Reads the first CertReqMsg of an ir, cr or kur and checks its POP.</summary>
    /// <exception cref="CmpException">The body is not a CertReqMessages with at least one CertReqMsg.</exception>
    public static CertRequestData ReadCertRequest(PkiBody body) => Guard(() =>
    {
        var messages = CertReqMessages.GetInstance(body.Content).ToCertReqMsgArray();
        if (messages.Length == 0)
        {
            throw new CmpException(CmpFailureReason.MalformedResponse, "the request holds no CertReqMsg");
        }
        var msg = messages[0];
        var request = msg.CertReq;
        var template = request.CertTemplate;
        var spki = template.PublicKey?.GetEncoded(Asn1Encodable.Der);
        // RFC 9483, section 4.1.6: central key generation is asked for by omitting the POP and giving
        // publicKey only with its algorithm (a zero-length subjectPublicKey), or no publicKey at all.
        bool emptyKey = template.PublicKey is { } pk && pk.PublicKey.GetBytes().Length == 0;
        byte[]? requestedAlgorithm = emptyKey ? template.PublicKey!.Algorithm.GetEncoded(Asn1Encodable.Der) : null;
        var central = msg.Pop is null && (spki is null || emptyKey) ? CentralKeyRequest.Yes
            : emptyKey ? CentralKeyRequest.Inconsistent : CentralKeyRequest.No;
        if (emptyKey)
        {
            spki = null;
        }
        var subject = template.Subject is { } s && !Names.IsNullDn(s) ? Names.ToDotNet(s) : null;
        DateTimeOffset? notBefore = null, notAfter = null;
        if (template.Validity is { } validity)
        {
            notBefore = validity.NotBefore is { } nb ? new DateTimeOffset(nb.ToDateTime().ToUniversalTime(), TimeSpan.Zero) : null;
            notAfter = validity.NotAfter is { } na ? new DateTimeOffset(na.ToDateTime().ToUniversalTime(), TimeSpan.Zero) : null;
        }
        return new CertRequestData(request.CertReqID.LongValueExact, subject, spki, ReadExtensions(template.Extensions),
            notBefore, notAfter, CheckPop(msg, spki), messages.Length, ReadOldCertId(request), central, requestedAlgorithm);
    });

    private static OldCertificateId? ReadOldCertId(CertRequest request)
    {
        foreach (var control in request.Controls?.ToAttributeTypeAndValueArray() ?? [])
        {
            if (control.Type.Equals(CrmfObjectIdentifiers.id_regCtrl_oldCertID))
            {
                var id = CertId.GetInstance(control.Value);
                var issuer = Names.DirectoryName(id.Issuer) is { } dn ? Names.ToDotNet(dn) : null;
                // Unsigned big-endian without leading zeros, to compare with X509Certificate2.SerialNumberBytes.
                return new OldCertificateId(issuer, id.SerialNumber.Value.ToByteArrayUnsigned());
            }
        }
        return null;
    }

    // RFC 4211, section 4.1: the signature is over the DER CertRequest when poposkInput is absent.
    private static PopResult CheckPop(CertReqMsg msg, byte[]? spki)
    {
        var pop = msg.Pop;
        if (pop is null)
        {
            return PopResult.Missing;
        }
        switch (pop.Type)
        {
            case ProofOfPossession.TYPE_RA_VERIFIED:
                return PopResult.RaVerified;
            case ProofOfPossession.TYPE_SIGNING_KEY:
                var poposk = PopoSigningKey.GetInstance(pop.Object);
                byte[] signed;
                if (poposk.PoposkInput is { } input)
                {
                    // Only allowed when the template has no subject and key; the key is then in poposkInput.
                    signed = input.GetEncoded(Asn1Encodable.Der);
                    spki ??= ReadPoposkInputKey(input);
                }
                else
                {
                    signed = msg.CertReq.GetEncoded(Asn1Encodable.Der);
                }
                if (spki is null || poposk.Signature.PadBits != 0)
                {
                    return PopResult.Failed;
                }
                try
                {
                    return SignatureAlgorithms.Verify(spki, poposk.AlgorithmIdentifier, signed, poposk.Signature.GetOctets())
                        ? PopResult.Verified : PopResult.Failed;
                }
                catch (CmpException)
                {
                    return PopResult.Unsupported;
                }
            default:
                return PopResult.Unsupported;
        }
    }

    private static byte[]? ReadPoposkInputKey(PopoSigningKeyInput input)
    {
        // POPOSigningKeyInput ::= SEQUENCE { authInfo CHOICE {...}, publicKey SubjectPublicKeyInfo }
        var seq = Asn1Sequence.GetInstance(input.ToAsn1Object());
        return seq.Count == 2 ? SubjectPublicKeyInfo.GetInstance(seq[1]).GetEncoded(Asn1Encodable.Der) : null;
    }

    /// <summary>The DER PKCS#10 CertificationRequest of a p10cr body.</summary>
    public static byte[] ReadP10(PkiBody body) => Guard(() => body.Content.ToAsn1Object().GetEncoded(Asn1Encodable.Der));

    /// <summary>The CertStatus entries of a certConf (RFC 9810, section 5.3.18).</summary>
    public static IReadOnlyList<CertStatusData> ReadCertConf(PkiBody body) => Guard(() =>
    {
        var list = new List<CertStatusData>();
        foreach (var element in Asn1Sequence.GetInstance(body.Content.ToAsn1Object()))
        {
            // CertStatus ::= SEQUENCE { certHash OCTET STRING, certReqId INTEGER, statusInfo PKIStatusInfo OPTIONAL,
            //                           hashAlg [0] AlgorithmIdentifier OPTIONAL }
            var seq = Asn1Sequence.GetInstance(element);
            if (seq.Count < 2)
            {
                throw new CmpException(CmpFailureReason.MalformedResponse, "a CertStatus lacks certHash or certReqId");
            }
            var hash = Asn1OctetString.GetInstance(seq[0]).GetOctets();
            var id = DerInteger.GetInstance(seq[1]).LongValueExact;
            CmpStatusInfo? status = null;
            HashAlgorithmName? hashAlg = null;
            string? hashOid = null;
            for (int i = 2; i < seq.Count; i++)
            {
                if (seq[i] is Asn1TaggedObject { TagNo: 0 } tagged)
                {
                    hashOid = AlgorithmIdentifier.GetInstance(tagged, true).Algorithm.Id;
                    hashAlg = SignatureAlgorithms.HashFromOid(hashOid);
                }
                else
                {
                    status = StatusInfos.ToCmp(Org.BouncyCastle.Asn1.Cmp.PkiStatusInfo.GetInstance(seq[i]));
                }
            }
            list.Add(new CertStatusData(hash, id, status, hashAlg, hashOid));
        }
        return list;
    });

    /// <summary>The certReqIds of a pollReq (RFC 9810, section 5.3.22).</summary>
    public static IReadOnlyList<long> ReadPollReq(PkiBody body) => Guard(() =>
        (IReadOnlyList<long>)Asn1Sequence.GetInstance(body.Content.ToAsn1Object())
            .Select(e => DerInteger.GetInstance(Asn1Sequence.GetInstance(e)[0]).LongValueExact)
            .ToList());

    /// <summary>The status of an error message (RFC 9810, section 5.3.21).</summary>
    public static CmpStatusInfo ReadError(PkiBody body) => Guard(() =>
    {
        var error = ErrorMsgContent.GetInstance(body.Content);
        return StatusInfos.ToCmp(error.PkiStatusInfo, error);
    });

    /// <summary>Extensions of a CertTemplate or PKCS#10 extensionRequest as .NET extensions.</summary>
    private static List<DotNetX509Extension> ReadExtensions(X509Extensions? extensions)
    {
        var list = new List<DotNetX509Extension>();
        if (extensions is null)
        {
            return list;
        }
        foreach (var oid in extensions.ExtensionOids)
        {
            var e = extensions.GetExtension(oid);
            list.Add(new DotNetX509Extension(new Oid(oid.Id), e.Value.GetOctets(), e.IsCritical));
        }
        return list;
    }

    /// <summary>Unwraps whatever BouncyCastle throws on malformed content into <see cref="CmpException"/>.</summary>
    private static T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (CmpException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CmpException(CmpFailureReason.MalformedResponse, "the request body is malformed: " + e.Message, innerException: e);
        }
    }
}
