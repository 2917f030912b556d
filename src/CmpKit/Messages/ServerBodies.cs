using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

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
