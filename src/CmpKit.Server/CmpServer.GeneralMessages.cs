using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Server;

// genm answered with genp (RFC 9810, sections 5.3.19 and 5.3.20; RFC 9483, section 4.3), as OpenSSL's mock server
// answers them: caCerts, rootCaCert -> rootCaKeyUpdate, crlStatusList -> crls, certReqTemplate; any other
// InfoTypeAndValue is echoed.
public sealed partial class CmpServer
{
    /// <summary>
    /// genm (RFC 9810, section 5.3.19) answered with genp (5.3.20), one answer per InfoTypeAndValue in order; an
    /// empty genm gets an empty genp. A request the server cannot answer (a malformed value, a CRL issuer it has
    /// no CRL of) makes the whole answer an error message.
    /// </summary>
    private byte[] HandleGeneralMessage(PkiMessage message, RequestContext rc)
    {
        IReadOnlyList<InfoTypeAndValue> itavs;
        try
        {
            itavs = ServerBodies.ReadGeneralMessage(message.Body);
        }
        catch (CmpException e)
        {
            return Error(rc, PkiFailureInfo.BadDataFormat, e.Message);
        }
        _logger.LogInformation("CMP server: genm with {Count} InfoTypeAndValue(s){Types}", itavs.Count,
            itavs.Count == 0 ? "" : ": " + string.Join(", ", itavs.Select(ServerBodies.InfoType)));
        var answers = new List<InfoTypeAndValue>(itavs.Count);
        foreach (var itav in itavs)
        {
            InfoTypeAndValue answer;
            try
            {
                answer = Answer(itav);
            }
            catch (CmpException e)
            {
                return Error(rc, PkiFailureInfo.BadDataFormat, e.Message);
            }
            catch (GeneralMessageRefusal refusal)
            {
                _logger.LogWarning("CMP server: refusing genm: {Text}", refusal.Message);
                return Error(rc, refusal.Failure, refusal.Message);
            }
            answers.Add(answer);
        }
        return Respond(rc, ServerBodies.Genp(answers), negative: false);
    }

    /// <summary>A genm the server understands but will not answer (not a malformed one).</summary>
    private sealed class GeneralMessageRefusal(PkiFailureInfo failure, string message) : Exception(message)
    {
        public PkiFailureInfo Failure { get; } = failure;
    }

    private InfoTypeAndValue Answer(InfoTypeAndValue itav) => itav.InfoType.Id switch
    {
        InfoTypes.CaCerts => ServerBodies.CaCerts(CaCertificates()),
        InfoTypes.RootCaCert => RootCaKeyUpdate(itav),
        InfoTypes.CrlStatusList => CrlUpdate(itav),
        // RFC 9483, section 4.3.3, as OpenSSL's mock server: the issuer of the reference certificate (here, without one,
        // the CA's name), and an EC key or a 4096-bit RSA key.
        InfoTypes.CertReqTemplate => ServerBodies.CertReqTemplate(
            _options.RefCert?.IssuerName ?? CertificateAuthority?.Certificate.SubjectName, 4096),
        _ => itav,
    };

    private List<X509Certificate2> CaCertificates() =>
        _options.RspCaPubs.Count > 0 ? [.. _options.RspCaPubs]
        : CertificateAuthority is { } ca ? [ca.Certificate]
        : [];

    /// <summary>
    /// id-it-rootCaCert (RFC 9483, section 4.3.2) answered with id-it-rootCaKeyUpdate: <see cref="MockCaOptions.RspNewWithNew"/>
    /// with its link certificates, unless the client's oldWithOld (if sent) has another subject than newWithNew; then, or
    /// without a configured newWithNew, the answer has no value (no update available), as with OpenSSL's mock server.
    /// </summary>
    private InfoTypeAndValue RootCaKeyUpdate(InfoTypeAndValue request)
    {
        var oldWithOld = ServerBodies.ReadRootCaCert(request);
        if (_options.RspNewWithNew is not { } newWithNew)
        {
            return ServerBodies.RootCaKeyUpdate(null, null, null);
        }
        if (oldWithOld is not null && !Names.CanonicalEquals(oldWithOld.SubjectName, newWithNew.SubjectName))
        {
            _logger.LogInformation("CMP server: rootCaCert '{Old}' is not the subject of the new root CA '{New}': no update",
                oldWithOld.Subject, newWithNew.Subject);
            return ServerBodies.RootCaKeyUpdate(null, null, null);
        }
        return ServerBodies.RootCaKeyUpdate(newWithNew, _options.RspNewWithOld, _options.RspOldWithNew);
    }

    /// <summary>
    /// id-it-crlStatusList (RFC 9483, section 4.3.4) answered with id-it-crls, as OpenSSL's mock server does: exactly one
    /// CRLStatus; its issuer, when given, must be a directoryName naming the issuer of <see cref="MockCaOptions.RspCrl"/>
    /// (a distribution point name is not checked); the CRL is sent when the client gave no thisUpdate or an older one,
    /// else (or without a configured CRL) the answer has no value.
    /// </summary>
    private InfoTypeAndValue CrlUpdate(InfoTypeAndValue request)
    {
        var list = ServerBodies.ReadCrlStatusList(request);
        if (list.Count != 1)
        {
            throw new GeneralMessageRefusal(PkiFailureInfo.BadRequest, $"the crlStatusList holds {list.Count} CRLStatus entries; exactly one is supported");
        }
        if (_rspCrl is not { } crl)
        {
            return ServerBodies.Crls(null);
        }
        var status = list[0];
        if (status.IssuerNames > 0 || !status.HasDistributionPoint)
        {
            if (status.Issuer is null)
            {
                throw new GeneralMessageRefusal(PkiFailureInfo.BadRequest, "the CRLStatus's issuer is not a directoryName");
            }
            if (!Names.CanonicalEquals(status.Issuer, crl.Issuer))
            {
                throw new GeneralMessageRefusal(PkiFailureInfo.BadRequest,
                    $"no CRL of issuer '{status.Issuer.Name}' is available (only of '{crl.Issuer.Name}')");
            }
        }
        var newer = status.ThisUpdate is not { } known || known < crl.ThisUpdate;
        _logger.LogInformation("CMP server: crlStatusList: {Outcome}", newer ? "sending the CRL" : "the client has the latest CRL");
        return ServerBodies.Crls(newer ? crl : null);
    }
}
