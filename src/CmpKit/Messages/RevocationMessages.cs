using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Messages;

/// <summary>What an rr asks to revoke: issuer and serial number, or the subject and key of a CSR.</summary>
internal sealed record RevocationTargetData(X500DistinguishedName? Issuer, byte[]? SerialNumber, X500DistinguishedName? Subject, byte[]? PublicKeyInfo);

/// <summary>The parts of an rp (RFC 9810, section 5.3.10) in .NET types.</summary>
/// <param name="Statuses">status: SEQUENCE OF PKIStatusInfo.</param>
/// <param name="RevCerts">revCerts [0]: (issuer, serial) of each CertId; null when absent.</param>
/// <param name="CrlCount">crls [1]: number of CRLs; null when absent.</param>
internal sealed record RpData(IReadOnlyList<CmpStatusInfo> Statuses, IReadOnlyList<(X500DistinguishedName? Issuer, byte[] Serial)>? RevCerts, int? CrlCount);

/// <summary>Builds rr bodies and reads rp bodies (RFC 9810, sections 5.3.9, 5.3.10).</summary>
internal static class RevocationMessages
{
    /// <summary>
    /// rr with one RevDetails: certDetails carries issuer and serialNumber (RFC 9483, section 4.2) or,
    /// for a CSR, subject and publicKey; crlEntryDetails carries the CRLReason extension when a reason is given.
    /// </summary>
    public static PkiBody Rr(RevocationTargetData target, int? reasonCode)
    {
        var tb = new CertTemplateBuilder();
        if (target.Issuer is not null)
        {
            tb.SetIssuer(Names.ToX509Name(target.Issuer));
        }
        if (target.SerialNumber is not null)
        {
            tb.SetSerialNumber(new DerInteger(new Org.BouncyCastle.Math.BigInteger(1, target.SerialNumber)));
        }
        if (target.Subject is not null)
        {
            tb.SetSubject(Names.ToX509Name(target.Subject));
        }
        if (target.PublicKeyInfo is not null)
        {
            tb.SetSubjectPublicKeyInfo(SubjectPublicKeyInfo.GetInstance(Asn1Object.FromByteArray(target.PublicKeyInfo)));
        }
        X509Extensions? crlEntryDetails = null;
        if (reasonCode is int code)
        {
            var gen = new X509ExtensionsGenerator();
            gen.AddExtension(X509Extensions.ReasonCode, false, new DerEnumerated(code));
            crlEntryDetails = gen.Generate();
        }
        return new PkiBody(PkiBody.TYPE_REVOCATION_REQ, new RevReqContent(new RevDetails(tb.Build(), crlEntryDetails)));
    }

    /// <summary>Subject and SubjectPublicKeyInfo of a DER PKCS#10 request.</summary>
    /// <exception cref="CmpException">Not a CertificationRequest (InvalidOptions).</exception>
    public static (X500DistinguishedName? Subject, byte[] PublicKeyInfo) ReadCsr(ReadOnlyMemory<byte> csr)
    {
        try
        {
            var info = CertificationRequest.GetInstance(Asn1Object.FromByteArray(csr.ToArray())).GetCertificationRequestInfo();
            var subject = info.Subject is { } s && !Names.IsNullDn(s) ? Names.ToDotNet(s) : null;
            return (subject, info.SubjectPublicKeyInfo.GetEncoded(Asn1Encodable.Der));
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidCastException or InvalidOperationException or NullReferenceException)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "the PKCS#10 request is not a valid DER CertificationRequest", innerException: e);
        }
    }

    /// <summary>Reads an rp: RevRepContent ::= SEQUENCE { status SEQUENCE OF PKIStatusInfo, revCerts [0] SEQUENCE OF CertId OPTIONAL, crls [1] SEQUENCE OF CertificateList OPTIONAL }.</summary>
    /// <exception cref="CmpException">The content is malformed (MalformedResponse).</exception>
    public static RpData ReadRp(PkiBody body)
    {
        try
        {
            var seq = Asn1Sequence.GetInstance(body.Content.ToAsn1Object());
            if (seq.Count < 1)
            {
                throw new CmpException(CmpFailureReason.MalformedResponse, "the rp has no status list");
            }
            var statuses = Asn1Sequence.GetInstance(seq[0]).Select(e => StatusInfos.ToCmp(PkiStatusInfo.GetInstance(e))).ToList();
            List<(X500DistinguishedName?, byte[])>? revCerts = null;
            int? crlCount = null;
            for (int i = 1; i < seq.Count; i++)
            {
                var tagged = Asn1TaggedObject.GetInstance(seq[i]);
                var inner = Asn1Sequence.GetInstance(tagged.GetExplicitBaseObject());
                if (tagged.TagNo == 0 && revCerts is null && crlCount is null)
                {
                    revCerts = inner.Select(e =>
                    {
                        var id = CertId.GetInstance(e);
                        var issuer = Names.DirectoryName(id.Issuer) is { } dn ? Names.ToDotNet(dn) : null;
                        return (issuer, id.SerialNumber.Value.ToByteArrayUnsigned());
                    }).ToList();
                }
                else if (tagged.TagNo == 1 && crlCount is null)
                {
                    foreach (var crl in inner)
                    {
                        _ = CertificateList.GetInstance(crl);
                    }
                    crlCount = inner.Count;
                }
                else
                {
                    throw new CmpException(CmpFailureReason.MalformedResponse, $"the rp has an unexpected element [{tagged.TagNo}]");
                }
            }
            return new RpData(statuses, revCerts, crlCount);
        }
        catch (CmpException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CmpException(CmpFailureReason.MalformedResponse, "the rp is malformed: " + e.Message.ReplaceLineEndings(" "), innerException: e);
        }
    }
}
