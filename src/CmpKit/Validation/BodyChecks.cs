using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;

namespace CmpKit.Validation;

/// <summary>Checks on response bodies: C21 (expected type), C23-C26 (certificate response), C31 (pollRep).</summary>
internal static class BodyChecks
{
    /// <summary>
    /// C21: the body must be one of <paramref name="expected"/>. An error message fails with the
    /// server's status (ServerError); anything else is UnexpectedBody.
    /// </summary>
    public static void ExpectBody(PkiMessage response, params BodyType[] expected)
    {
        var type = response.Body.Type;
        if (expected.Any(e => (int)e == type))
        {
            return;
        }
        if (type == (int)BodyType.Error)
        {
            var error = ErrorMsgContent.GetInstance(response.Body.Content);
            var status = StatusInfos.ToCmp(error.PkiStatusInfo, error);
            throw new CmpException(CmpFailureReason.ServerError, "the server sent an error message: " + status, status);
        }
        throw new CmpException(CmpFailureReason.UnexpectedBody,
            $"the server answered with {BodyTypes.Name(type)} where {string.Join(" or ", expected.Select(BodyTypes.Name))} was expected");
    }

    /// <summary>An error message with status waiting (RFC 9810 delayed delivery, C22).</summary>
    public static bool IsWaitingError(PkiMessage response) =>
        response.Body.Type == (int)BodyType.Error &&
        ErrorMsgContent.GetInstance(response.Body.Content).PkiStatusInfo.Status.IntValue == (int)PkiStatus.Waiting;

    /// <summary>
    /// C23: exactly one CertResponse; for ir/cr/kur its certReqId must be <paramref name="expectedCertReqId"/>,
    /// for p10cr (null) it is taken from the response and must be &gt;= -1.
    /// </summary>
    public static CertResponse SingleCertResponse(CertRepMessage rep, long? expectedCertReqId)
    {
        CertResponse[] responses;
        try
        {
            // BouncyCastle parses the CertResponses only here; touch what C23/C24 read next.
            responses = rep.GetResponse();
            foreach (var each in responses)
            {
                _ = each.CertReqID.Value;
                _ = StatusInfos.ToCmp(each.Status);
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidCastException or IOException)
        {
            throw new CmpException(CmpFailureReason.MalformedResponse,
                "the certificate response is malformed: " + e.Message.ReplaceLineEndings(" "), innerException: e);
        }
        if (responses.Length != 1)
        {
            throw new CmpException(CmpFailureReason.InvalidResponseCount,
                $"the certificate response holds {responses.Length} CertResponses; exactly one was expected");
        }
        var r = responses[0];
        var id = r.CertReqID.Value;
        if (expectedCertReqId is long want ? id.BitLength > 62 || id.LongValue != want : id.BitLength > 62 || id.LongValue < -1)
        {
            throw new CmpException(CmpFailureReason.CertReqIdMismatch,
                $"the CertResponse has certReqId {id}" + (expectedCertReqId is long w ? $"; {w.ToString(CultureInfo.InvariantCulture)} was expected" : "; it must be -1 or more"));
        }
        return r;
    }

    /// <summary>
    /// C24: accepted and grantedWithMods pass; rejection fails with the server's status; waiting
    /// asks for polling (returns true); keyUpdateWarning only for kur; anything else fails.
    /// </summary>
    public static bool StatusAllowsCertificate(CertResponse response, BodyType requestType, out CmpStatusInfo status)
    {
        status = StatusInfos.ToCmp(response.Status);
        switch (status.Status)
        {
            case PkiStatus.Accepted:
            case PkiStatus.GrantedWithMods:
                return false;
            case PkiStatus.Waiting:
                return true;
            case PkiStatus.KeyUpdateWarning when requestType == BodyType.Kur:
                return false;
            case PkiStatus.Rejection:
                throw new CmpException(CmpFailureReason.RequestRejected, "the server rejected the request: " + status, status);
            default:
                throw new CmpException(CmpFailureReason.UnexpectedStatus,
                    $"the certificate response has status {CmpStatusInfo.StatusName(status.Status)}, which is not allowed for {BodyTypes.Name(requestType)}", status);
        }
    }

    /// <summary>
    /// C26: the certificate must be present, in plain form; a private key only with central key
    /// generation (<paramref name="centralKeyGeneration"/>), where it is returned for C38-C44.
    /// </summary>
    public static IssuedCertificate NewCertificate(CertResponse response, bool centralKeyGeneration, out EncryptedKey? privateKey)
    {
        try
        {
            return NewCertificateCore(response, centralKeyGeneration, out privateKey);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidCastException or IOException)
        {
            // BouncyCastle parses the CertifiedKeyPair only here (and refuses e.g. v1 certificates with ArgumentException).
            throw new CmpException(CmpFailureReason.MalformedResponse,
                "the certificate response's certifiedKeyPair is malformed: " + e.Message.ReplaceLineEndings(" "), innerException: e);
        }
    }

    private static IssuedCertificate NewCertificateCore(CertResponse response, bool centralKeyGeneration, out EncryptedKey? privateKey)
    {
        var ckp = response.CertifiedKeyPair
            ?? throw new CmpException(CmpFailureReason.CertificateMissing, "the positive certificate response holds no certificate");
        privateKey = ckp.PrivateKey;
        if (privateKey is not null && !centralKeyGeneration)
        {
            throw new CmpException(CmpFailureReason.UnexpectedPrivateKey,
                "the certificate response carries a private key although central key generation was not requested");
        }
        var coec = ckp.CertOrEncCert;
        if (coec.HasEncryptedCertificate)
        {
            throw new CmpException(CmpFailureReason.UnsupportedCertificateEncoding,
                "the certificate response holds an encrypted certificate (indirect POP), which is not supported yet");
        }
        if (coec.Certificate is not { IsX509v3PKCert: true } certificate)
        {
            throw new CmpException(CmpFailureReason.CertificateMissing, "the certificate response holds no X.509 certificate");
        }
        var structure = certificate.X509v3PKCert;
        return new IssuedCertificate(structure, structure.GetEncoded(Asn1Encodable.Der));
    }

    /// <summary>C31: a pollRep has exactly one entry with the expected certReqId and a checkAfter in range; returns checkAfter.</summary>
    public static TimeSpan PollRep(PkiMessage response, long certReqId, VerificationPolicy policy)
    {
        var rep = PollRepContent.GetInstance(response.Body.Content);
        if (rep.Count != 1)
        {
            throw new CmpException(CmpFailureReason.InvalidPollResponse, $"the pollRep has {rep.Count} entries; exactly one was expected");
        }
        var id = rep.GetCertReqID(0).Value;
        if (id.BitLength > 62 || id.LongValue != certReqId)
        {
            throw new CmpException(CmpFailureReason.InvalidPollResponse, $"the pollRep is for certReqId {id}, not {certReqId.ToString(CultureInfo.InvariantCulture)}");
        }
        var after = rep.GetCheckAfter(0).Value;
        if (after.SignValue < 0 || after.BitLength > 31 || TimeSpan.FromSeconds(after.IntValue) > policy.MaxCheckAfter)
        {
            throw new CmpException(CmpFailureReason.InvalidPollResponse,
                $"the pollRep's checkAfter of {after} seconds is out of range (0..{(long)policy.MaxCheckAfter.TotalSeconds})");
        }
        return TimeSpan.FromSeconds(after.IntValue);
    }
}
