using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.X509;
using X509Extension = System.Security.Cryptography.X509Certificates.X509Extension;

namespace CmpKit.Messages;

/// <summary>The infoType OIDs CmpKit knows (RFC 9810, section 5.3.19; RFC 9483, section 4.3).</summary>
internal static class InfoTypes
{
    public const string SignKeyPairTypes = "1.3.6.1.5.5.7.4.2";
    public const string SupportedLanguageTags = "1.3.6.1.5.5.7.4.16";
    public const string CaCerts = "1.3.6.1.5.5.7.4.17";
    public const string RootCaKeyUpdate = "1.3.6.1.5.5.7.4.18";
    public const string CertReqTemplate = "1.3.6.1.5.5.7.4.19";
    public const string RootCaCert = "1.3.6.1.5.5.7.4.20";
    public const string CertProfile = "1.3.6.1.5.5.7.4.21";
    public const string CrlStatusList = "1.3.6.1.5.5.7.4.22";
    public const string Crls = "1.3.6.1.5.5.7.4.23";
    /// <summary>id-regCtrl-algId (RFC 9810, section 5.3.19.16): a key algorithm in keySpec.</summary>
    public const string RegCtrlAlgId = "1.3.6.1.5.5.7.5.1.11";
    /// <summary>id-regCtrl-rsaKeyLen: an RSA key length in keySpec.</summary>
    public const string RegCtrlRsaKeyLen = "1.3.6.1.5.5.7.5.1.12";
}

/// <summary>The parsed value of a rootCaKeyUpdate ITAV (RFC 9810, section 5.3.19.15).</summary>
internal sealed record RootCaKeyUpdateData(X509Certificate2 NewWithNew, X509Certificate2? NewWithOld, X509Certificate2? OldWithNew);

/// <summary>The parsed value of a certReqTemplate ITAV (RFC 9810, section 5.3.19.16).</summary>
internal sealed record CertReqTemplateData(byte[] TemplateDer, X500DistinguishedName? Subject, IReadOnlyList<X509Extension> Extensions,
    IReadOnlyList<(string Type, byte[] Value)>? KeySpec);

/// <summary>
/// Builds genm bodies and reads genp bodies and the values of the ITAVs CmpKit's typed helpers use
/// (RFC 9810, sections 5.3.19, 5.3.20; RFC 9483, section 4.3). Malformed values fail with the
/// reason the caller gives (each helper's own check, C36).
/// </summary>
internal static class GeneralMessages
{
    /// <summary>A genm with the given ITAVs (RFC 9810, section 5.3.19).</summary>
    public static PkiBody Genm(IEnumerable<CmpInfoTypeAndValue> items) =>
        new(PkiBody.TYPE_GEN_MSG, GenMsgContent.GetInstance(new DerSequence(items.Select(i => (Asn1Encodable)ToBc(i)).ToArray())));

    /// <summary>Converts an ITAV to BouncyCastle's type (for genm and generalInfo).</summary>
    /// <exception cref="CmpException">The OID or the value is not valid DER (InvalidOptions).</exception>
    public static InfoTypeAndValue ToBc(CmpInfoTypeAndValue item)
    {
        try
        {
            var oid = new DerObjectIdentifier(item.Type.Value ?? throw new ArgumentException("an ITAV without an infoType OID"));
            // null or empty: no value (a null byte[] converts to an empty ReadOnlyMemory, never to null)
            return item.Value is { IsEmpty: false } v ? new InfoTypeAndValue(oid, Asn1Object.FromByteArray(v.ToArray())) : new InfoTypeAndValue(oid);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or InvalidOperationException)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, $"the InfoTypeAndValue {item} is not valid: {e.Message}", innerException: e);
        }
    }

    /// <summary>Converts a received ITAV to the public record.</summary>
    public static CmpInfoTypeAndValue FromBc(InfoTypeAndValue itav) =>
        // (a bare null would convert to an empty ReadOnlyMemory through byte[], not to an absent value)
        new(new Oid(itav.InfoType.Id), itav.InfoValue is { } v ? new ReadOnlyMemory<byte>(v.ToAsn1Object().GetEncoded(Asn1Encodable.Der)) : (ReadOnlyMemory<byte>?)null);

    /// <summary>The ITAVs of a genp (RFC 9810, section 5.3.20), in order.</summary>
    public static IReadOnlyList<CmpInfoTypeAndValue> ReadGenp(PkiBody body) => Guard(CmpFailureReason.MalformedResponse, "the genp", () =>
        (IReadOnlyList<CmpInfoTypeAndValue>)GenRepContent.GetInstance(body.Content).ToInfoTypeAndValueArray().Select(FromBc).ToList());

    /// <summary>The ITAVs of a header's generalInfo as records.</summary>
    public static IReadOnlyList<CmpInfoTypeAndValue> ReadGeneralInfo(PkiHeader header) =>
        (header.GetGeneralInfo() ?? []).Select(FromBc).ToList();

    /// <summary>certProfile (RFC 9483, section 3.1): SEQUENCE OF UTF8String.</summary>
    public static InfoTypeAndValue CertProfile(IEnumerable<string> profiles) =>
        new(new DerObjectIdentifier(InfoTypes.CertProfile), new DerSequence(profiles.Select(p => (Asn1Encodable)new DerUtf8String(p)).ToArray()));

    /// <summary>caCerts value: SEQUENCE SIZE (1..MAX) OF CMPCertificate, of at most <paramref name="maxCertificates"/> (else TooManyCertificates).</summary>
    public static IReadOnlyList<X509Certificate2> ReadCertificates(ReadOnlyMemory<byte> value, CmpFailureReason reason, int maxCertificates = int.MaxValue) =>
        Guard(reason, "the caCerts value", () =>
        {
            var seq = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(value.ToArray()));
            if (seq.Count > maxCertificates)
            {
                throw new CmpException(CmpFailureReason.TooManyCertificates,
                    $"the response carries {seq.Count} certificates in caCerts, more than the limit of {maxCertificates}");
            }
            var list = new List<X509Certificate2>();
            foreach (var e in seq)
            {
                list.Add(Certificates.ToDotNet(CmpCertificate.GetInstance(e), reason)
                    ?? throw new CmpException(reason, "the caCerts value holds a certificate that is not an X.509 certificate"));
            }
            return (IReadOnlyList<X509Certificate2>)list;
        });

    /// <summary>rootCaCert value (genm): the old root CA certificate.</summary>
    public static byte[] EncodeCertificate(X509Certificate2 certificate) => Certificates.ToCmp(certificate).GetEncoded(Asn1Encodable.Der);

    /// <summary>rootCaKeyUpdate value: RootCaKeyUpdateContent (RFC 9810, section 5.3.19.15).</summary>
    public static RootCaKeyUpdateData ReadRootCaKeyUpdate(ReadOnlyMemory<byte> value, CmpFailureReason reason) =>
        Guard(reason, "the rootCaKeyUpdate value", () =>
        {
            // RootCaKeyUpdateContent ::= SEQUENCE { newWithNew CMPCertificate,
            //   newWithOld [0] CMPCertificate OPTIONAL, oldWithNew [1] CMPCertificate OPTIONAL }
            var seq = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(value.ToArray()));
            if (seq.Count is < 1 or > 3)
            {
                throw new CmpException(reason, "the rootCaKeyUpdate value does not have 1 to 3 elements");
            }
            X509Certificate2 Cert(Asn1Encodable e) => Certificates.ToDotNet(CmpCertificate.GetInstance(e), reason)
                ?? throw new CmpException(reason, "rootCaKeyUpdate holds a certificate that is not an X.509 certificate");
            var newWithNew = Cert(seq[0]);
            X509Certificate2? newWithOld = null, oldWithNew = null;
            for (int i = 1; i < seq.Count; i++)
            {
                var tagged = Asn1TaggedObject.GetInstance(seq[i]);
                var inner = tagged.GetExplicitBaseObject();
                switch (tagged.TagNo)
                {
                    case 0 when newWithOld is null && oldWithNew is null:
                        newWithOld = Cert(inner);
                        break;
                    case 1 when oldWithNew is null:
                        oldWithNew = Cert(inner);
                        break;
                    default:
                        throw new CmpException(reason, $"rootCaKeyUpdate has an unexpected element [{tagged.TagNo}]");
                }
            }
            return new RootCaKeyUpdateData(newWithNew, newWithOld, oldWithNew);
        });

    /// <summary>certReqTemplate value: CertReqTemplateContent ::= SEQUENCE { certTemplate CertTemplate, keySpec Controls OPTIONAL }.</summary>
    public static CertReqTemplateData ReadCertReqTemplate(ReadOnlyMemory<byte> value, CmpFailureReason reason) =>
        Guard(reason, "the certReqTemplate value", () =>
        {
            var seq = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(value.ToArray()));
            if (seq.Count is < 1 or > 2)
            {
                throw new CmpException(reason, "the certReqTemplate value does not have 1 or 2 elements");
            }
            var template = CertTemplate.GetInstance(seq[0]);
            var subject = template.Subject is { } s && !Names.IsNullDn(s) ? Names.ToDotNet(s) : null;
            var extensions = new List<X509Extension>();
            if (template.Extensions is { } exts)
            {
                foreach (var oid in exts.ExtensionOids)
                {
                    var e = exts.GetExtension(oid);
                    extensions.Add(new X509Extension(new Oid(oid.Id), e.Value.GetOctets(), e.IsCritical));
                }
            }
            List<(string, byte[])>? keySpec = null;
            if (seq.Count == 2)
            {
                keySpec = [];
                foreach (var element in Asn1Sequence.GetInstance(seq[1]))
                {
                    var atv = AttributeTypeAndValue.GetInstance(element);
                    keySpec.Add((atv.Type.Id, atv.Value.ToAsn1Object().GetEncoded(Asn1Encodable.Der)));
                }
            }
            return new CertReqTemplateData(template.GetEncoded(Asn1Encodable.Der), subject, extensions, keySpec);
        });

    /// <summary>The OID of an AlgorithmIdentifier (keySpec id-regCtrl-algId, signKeyPairTypes).</summary>
    public static string ReadAlgorithmOid(ReadOnlySpan<byte> der, CmpFailureReason reason)
    {
        var bytes = der.ToArray();
        return Guard(reason, "an AlgorithmIdentifier", () => AlgorithmIdentifier.GetInstance(Asn1Object.FromByteArray(bytes)).Algorithm.Id);
    }

    /// <summary>An INTEGER within int range (keySpec id-regCtrl-rsaKeyLen).</summary>
    public static int ReadInt(ReadOnlySpan<byte> der, CmpFailureReason reason)
    {
        var bytes = der.ToArray();
        return Guard(reason, "an INTEGER", () => DerInteger.GetInstance(Asn1Object.FromByteArray(bytes)).IntValueExact);
    }

    /// <summary>signKeyPairTypes value: SEQUENCE OF AlgorithmIdentifier; returns the algorithm OIDs.</summary>
    public static IReadOnlyList<string> ReadAlgorithmList(ReadOnlyMemory<byte> value, CmpFailureReason reason) =>
        Guard(reason, "the signKeyPairTypes value", () =>
            (IReadOnlyList<string>)Asn1Sequence.GetInstance(Asn1Object.FromByteArray(value.ToArray()))
                .Select(e => AlgorithmIdentifier.GetInstance(e).Algorithm.Id).ToList());

    /// <summary>suppLangTags value: SEQUENCE OF UTF8String.</summary>
    public static IReadOnlyList<string> ReadUtf8Strings(ReadOnlyMemory<byte> value, CmpFailureReason reason) =>
        Guard(reason, "a SEQUENCE OF UTF8String", () =>
            (IReadOnlyList<string>)Asn1Sequence.GetInstance(Asn1Object.FromByteArray(value.ToArray()))
                .Select(e => DerUtf8String.GetInstance(e).GetString()).ToList());

    /// <summary>Encodes SEQUENCE OF UTF8String (suppLangTags in a genm).</summary>
    public static byte[] EncodeUtf8Strings(IEnumerable<string> values) =>
        new DerSequence(values.Select(v => (Asn1Encodable)new DerUtf8String(v)).ToArray()).GetEncoded(Asn1Encodable.Der);

    /// <summary>
    /// crlStatusList value (RFC 9810, section 5.3.19.17): one CRLStatus whose source is the issuer
    /// (or, when given, the distribution point's full names), with thisUpdate of the CRL the caller has.
    /// </summary>
    public static byte[] EncodeCrlStatusList(X500DistinguishedName? issuer, IReadOnlyList<Uri> distributionPoint, DateTimeOffset? thisUpdate)
    {
        Asn1Encodable source;
        if (distributionPoint.Count > 0)
        {
            // CRLSource ::= CHOICE { dpn [0] DistributionPointName, issuer [1] GeneralNames }; DistributionPointName: fullName [0] GeneralNames.
            var names = new GeneralNames(distributionPoint.Select(u => new GeneralName(GeneralName.UniformResourceIdentifier, u.OriginalString)).ToArray());
            source = new DerTaggedObject(true, 0, new DerTaggedObject(false, 0, names));
        }
        else
        {
            source = new DerTaggedObject(true, 1, new GeneralNames(Names.ToGeneralName(issuer)));
        }
        var status = new Asn1EncodableVector(source);
        if (thisUpdate is DateTimeOffset t)
        {
            status.Add(new Time(t.UtcDateTime));
        }
        return new DerSequence(new DerSequence(status)).GetEncoded(Asn1Encodable.Der);
    }

    /// <summary>crls value: SEQUENCE SIZE (1..MAX) OF CertificateList; returns each CRL's DER and issuer.</summary>
    public static IReadOnlyList<(byte[] Der, X500DistinguishedName Issuer, DateTimeOffset ThisUpdate)> ReadCrls(ReadOnlyMemory<byte> value, CmpFailureReason reason) =>
        Guard(reason, "the crls value", () =>
            (IReadOnlyList<(byte[], X500DistinguishedName, DateTimeOffset)>)Asn1Sequence.GetInstance(Asn1Object.FromByteArray(value.ToArray()))
                .Select(e =>
                {
                    var crl = CertificateList.GetInstance(e);
                    return (crl.GetEncoded(Asn1Encodable.Der), Names.ToDotNet(crl.Issuer),
                        new DateTimeOffset(crl.ThisUpdate.ToDateTime().ToUniversalTime(), TimeSpan.Zero));
                }).ToList());

    private static T Guard<T>(CmpFailureReason reason, string what, Func<T> read)
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
            throw new CmpException(reason, $"{what} is malformed: {e.Message.ReplaceLineEndings(" ")}", innerException: e);
        }
    }
}
