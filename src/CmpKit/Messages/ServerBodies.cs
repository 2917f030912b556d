using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Messages;

/// <summary>One RevDetails of an rr (RFC 9810, section 5.3.9): which certificate, by issuer and serial number.</summary>
/// <param name="Issuer">certDetails.issuer, if present.</param>
/// <param name="SerialNumber">certDetails.serialNumber (unsigned big-endian, no leading zeros), if present.</param>
/// <param name="RequestCount">How many RevDetails the rr holds.</param>
internal sealed record RevocationRequestData(X500DistinguishedName? Issuer, byte[]? SerialNumber, int RequestCount)
{
    /// <summary>Whether this names <paramref name="certificate"/> (issuer and serial number both present and equal).</summary>
    public bool Matches(X509Certificate2 certificate) =>
        Issuer is not null && SerialNumber is not null
        && new OldCertificateId(Issuer, SerialNumber).Matches(certificate);
}

/// <summary>What the server needs of a CRL it hands out: its DER, issuer and thisUpdate (RFC 5280, section 5.1).</summary>
/// <param name="Der">The DER CertificateList.</param>
/// <param name="Issuer">The CRL issuer.</param>
/// <param name="ThisUpdate">thisUpdate.</param>
internal sealed record CrlData(byte[] Der, X500DistinguishedName Issuer, DateTimeOffset ThisUpdate);

/// <summary>One CRLStatus of a crlStatusList (RFC 9810, section 5.3.19.17): its CRLSource and thisUpdate.</summary>
/// <param name="IssuerNames">How many GeneralNames the issuer choice holds (0 when the source is a distribution point).</param>
/// <param name="Issuer">The first issuer name when it is a directoryName, else null.</param>
/// <param name="HasDistributionPoint">Whether the source is a distribution point name.</param>
/// <param name="ThisUpdate">thisUpdate of the CRL the client has, if given.</param>
internal sealed record CrlStatusData(int IssuerNames, X500DistinguishedName? Issuer, bool HasDistributionPoint, DateTimeOffset? ThisUpdate);

/// <summary>
/// Reads rr and genm and builds genp for the server side (RFC 9810, sections 5.3.9, 5.3.19, 5.3.20).
/// Malformed content fails with <see cref="CmpException"/> (<see cref="CmpFailureReason.MalformedResponse"/>).
/// </summary>
internal static class ServerBodies
{
    /// <summary>The first RevDetails of an rr and how many there are.</summary>
    public static RevocationRequestData ReadRevocationRequest(PkiBody body) => Guard(() =>
    {
        var details = RevReqContent.GetInstance(body.Content).ToRevDetailsArray();
        if (details.Length == 0)
        {
            throw new CmpException(CmpFailureReason.MalformedResponse, "the rr holds no RevDetails");
        }
        var template = details[0].CertDetails;
        var issuer = template.Issuer is { } name ? Names.ToDotNet(name) : null;
        var serial = template.SerialNumber?.Value.ToByteArrayUnsigned();
        return new RevocationRequestData(issuer, serial, details.Length);
    });

    /// <summary>The InfoTypeAndValues of a genm, in order (possibly none).</summary>
    public static IReadOnlyList<InfoTypeAndValue> ReadGeneralMessage(PkiBody body) =>
        Guard(() => (IReadOnlyList<InfoTypeAndValue>)GenMsgContent.GetInstance(body.Content).ToInfoTypeAndValueArray());

    /// <summary>A genp with these InfoTypeAndValues (RFC 9810, section 5.3.20).</summary>
    public static PkiBody Genp(IEnumerable<InfoTypeAndValue> itavs) =>
        new(PkiBody.TYPE_GEN_REP, GenRepContent.GetInstance(new DerSequence(itavs.Cast<Asn1Encodable>().ToArray())));

    /// <summary>id-it-caCerts (RFC 9810, section 5.3.19.16; RFC 9483, section 4.3.1).</summary>
    public static readonly DerObjectIdentifier CaCertsOid = new("1.3.6.1.5.5.7.4.17");

    /// <summary>Whether the ITAV asks for CA certificates (id-it-caCerts without a value).</summary>
    public static bool AsksForCaCerts(InfoTypeAndValue itav) => itav.InfoType.Equals(CaCertsOid);

    /// <summary>The caCerts answer: SEQUENCE SIZE (1..MAX) OF CMPCertificate, or no value when there are none.</summary>
    public static InfoTypeAndValue CaCerts(IReadOnlyCollection<X509Certificate2> certificates) =>
        certificates.Count == 0
            ? new InfoTypeAndValue(CaCertsOid)
            : new InfoTypeAndValue(CaCertsOid, new DerSequence(certificates.Select(c => (Asn1Encodable)Certificates.ToCmp(c)).ToArray()));

    /// <summary>
    /// The value of an id-it-rootCaCert request (RFC 9810, section 5.3.19.15): the client's current root CA
    /// certificate (oldWithOld), or null when the value is absent.
    /// </summary>
    public static X509Certificate2? ReadRootCaCert(InfoTypeAndValue itav) => Guard(() =>
        itav.InfoValue is null ? null
            : Certificates.ToDotNet(CmpCertificate.GetInstance(itav.InfoValue), CmpFailureReason.MalformedResponse)
              ?? throw new CmpException(CmpFailureReason.MalformedResponse, "the rootCaCert value is not an X.509 certificate"));

    /// <summary>
    /// id-it-rootCaKeyUpdate (RFC 9810, section 5.3.19.15): RootCaKeyUpdateContent ::= SEQUENCE { newWithNew,
    /// newWithOld [0] OPTIONAL, oldWithNew [1] OPTIONAL }, or no value (no update available) when
    /// <paramref name="newWithNew"/> is null.
    /// </summary>
    public static InfoTypeAndValue RootCaKeyUpdate(X509Certificate2? newWithNew, X509Certificate2? newWithOld, X509Certificate2? oldWithNew)
    {
        var oid = new DerObjectIdentifier(InfoTypes.RootCaKeyUpdate);
        if (newWithNew is null)
        {
            return new InfoTypeAndValue(oid);
        }
        var content = new Asn1EncodableVector(Certificates.ToCmp(newWithNew));
        if (newWithOld is not null)
        {
            content.Add(new DerTaggedObject(true, 0, Certificates.ToCmp(newWithOld)));
        }
        if (oldWithNew is not null)
        {
            content.Add(new DerTaggedObject(true, 1, Certificates.ToCmp(oldWithNew)));
        }
        return new InfoTypeAndValue(oid, new DerSequence(content));
    }

    /// <summary>
    /// id-it-certReqTemplate (RFC 9810, section 5.3.19.16; RFC 9483, section 4.3.3): CertReqTemplateContent ::=
    /// SEQUENCE { certTemplate CertTemplate, keySpec Controls OPTIONAL }, here a template naming only the issuer
    /// and a keySpec offering an EC key (id-regCtrl-algId, id-ecPublicKey without parameters) or an RSA key of
    /// <paramref name="rsaKeyLength"/> bits (id-regCtrl-rsaKeyLen), as OpenSSL's mock server answers.
    /// </summary>
    public static InfoTypeAndValue CertReqTemplate(X500DistinguishedName? issuer, int rsaKeyLength)
    {
        var template = new Org.BouncyCastle.Asn1.Crmf.CertTemplateBuilder();
        if (issuer is not null)
        {
            template.SetIssuer(Names.ToX509Name(issuer));
        }
        var keySpec = new DerSequence(
            new DerSequence(new DerObjectIdentifier(InfoTypes.RegCtrlAlgId), new AlgorithmIdentifier(new DerObjectIdentifier("1.2.840.10045.2.1"))),
            new DerSequence(new DerObjectIdentifier(InfoTypes.RegCtrlRsaKeyLen), DerInteger.ValueOf(rsaKeyLength)));
        return new InfoTypeAndValue(new DerObjectIdentifier(InfoTypes.CertReqTemplate), new DerSequence(template.Build(), keySpec));
    }

    /// <summary>
    /// The CRLStatus entries of an id-it-crlStatusList request (RFC 9810, section 5.3.19.17): SEQUENCE OF
    /// CRLStatus, CRLStatus ::= SEQUENCE { source CRLSource, thisUpdate Time OPTIONAL }, CRLSource ::= CHOICE
    /// { dpn [0] DistributionPointName, issuer [1] GeneralNames } (explicitly tagged, as the CMP module does).
    /// </summary>
    public static IReadOnlyList<CrlStatusData> ReadCrlStatusList(InfoTypeAndValue itav) => Guard(() =>
    {
        if (itav.InfoValue is null)
        {
            throw new CmpException(CmpFailureReason.MalformedResponse, "the crlStatusList has no value");
        }
        var list = new List<CrlStatusData>();
        foreach (var element in Asn1Sequence.GetInstance(itav.InfoValue))
        {
            var status = Asn1Sequence.GetInstance(element);
            if (status.Count is < 1 or > 2)
            {
                throw new CmpException(CmpFailureReason.MalformedResponse, "a CRLStatus does not have 1 or 2 elements");
            }
            var source = Asn1TaggedObject.GetInstance(status[0]);
            DateTimeOffset? thisUpdate = status.Count == 2
                ? new DateTimeOffset(Time.GetInstance(status[1]).ToDateTime().ToUniversalTime(), TimeSpan.Zero)
                : null;
            switch (source.TagNo)
            {
                case 0 when source.TagClass == Asn1Tags.ContextSpecific:
                    _ = DistributionPointName.GetInstance(source.GetExplicitBaseObject());
                    list.Add(new CrlStatusData(0, null, true, thisUpdate));
                    break;
                case 1 when source.TagClass == Asn1Tags.ContextSpecific:
                    var names = GeneralNames.GetInstance(source.GetExplicitBaseObject()).GetNames();
                    var first = names.Length > 0 ? Names.DirectoryName(names[0]) : null;
                    list.Add(new CrlStatusData(names.Length, first is null ? null : Names.ToDotNet(first), false, thisUpdate));
                    break;
                default:
                    throw new CmpException(CmpFailureReason.MalformedResponse, $"a CRLSource has the unknown choice [{source.TagNo}]");
            }
        }
        return (IReadOnlyList<CrlStatusData>)list;
    });

    /// <summary>Reads a DER CRL (exactly one CertificateList, RFC 5280, section 5.1).</summary>
    public static CrlData ReadCrl(ReadOnlyMemory<byte> der) => Guard(() =>
    {
        var crl = CertificateList.GetInstance(Asn1Object.FromByteArray(der.ToArray()));
        return new CrlData(crl.GetEncoded(Asn1Encodable.Der), Names.ToDotNet(crl.Issuer),
            new DateTimeOffset(crl.ThisUpdate.ToDateTime().ToUniversalTime(), TimeSpan.Zero));
    });

    /// <summary>id-it-crls (RFC 9810, section 5.3.19.18): SEQUENCE SIZE (1..MAX) OF CertificateList, or no value when <paramref name="crl"/> is null.</summary>
    public static InfoTypeAndValue Crls(CrlData? crl) =>
        crl is null
            ? new InfoTypeAndValue(new DerObjectIdentifier(InfoTypes.Crls))
            : new InfoTypeAndValue(new DerObjectIdentifier(InfoTypes.Crls), new DerSequence(CertificateList.GetInstance(Asn1Object.FromByteArray(crl.Der))));

    /// <summary>
    /// The profile names of the certProfile generalInfo of a request header (RFC 9810, section 5.1.1.4:
    /// SEQUENCE SIZE (1..MAX) OF UTF8String), or null when the header has none. Only the first certProfile counts.
    /// </summary>
    public static IReadOnlyList<string>? ReadCertProfile(PkiHeader header) => Guard(() =>
    {
        var itav = header.GetGeneralInfo()?.FirstOrDefault(i => i.InfoType.Id == InfoTypes.CertProfile);
        if (itav is null)
        {
            return null;
        }
        if (itav.InfoValue is null)
        {
            return (IReadOnlyList<string>)[];
        }
        return Asn1Sequence.GetInstance(itav.InfoValue).Select(e => DerUtf8String.GetInstance(e).GetString()).ToList();
    });

    /// <summary>The dotted OID of an InfoTypeAndValue's infoType, for logs.</summary>
    public static string InfoType(InfoTypeAndValue itav) => itav.InfoType.Id;

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
