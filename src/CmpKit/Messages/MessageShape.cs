using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Messages;

/// <summary>
/// Walks the typed structure of a decoded PKIMessage (header free texts and the body as its
/// CHOICE says: CertRepMessage, ErrorMsgContent, PollRepContent, ...) so that content of the
/// wrong shape fails while decoding, inside <see cref="PkiMessageCodec.Decode"/>'s guard.
/// BouncyCastle checks a body's inner structure only when a getter is called, and throws
/// ArgumentException, InvalidOperationException or DecoderFallbackException then; without this
/// walk those escaped from the client's body checks (found by fuzzing, see docs/robustness.md).
/// </summary>
internal static class MessageShape
{
    /// <summary>Touches every part of the header and body that the client or the server reads.</summary>
    /// <exception cref="Exception">Whatever BouncyCastle throws for content of the wrong shape (the caller wraps it).</exception>
    public static void Touch(PkiMessage message)
    {
        var h = message.Header;
        // PKIProtection carries MAC or signature octets: a BIT STRING with unused bits is malformed (BouncyCastle
        // throws IOException from GetOctets, which escaped the client's MAC check: found by fuzzing the client).
        if (message.Protection is { PadBits: not 0 })
        {
            throw new ArgumentException("the protection BIT STRING is not octet-aligned");
        }
        FreeText(h.FreeText);
        foreach (var itav in h.GetGeneralInfo() ?? [])
        {
            _ = itav.InfoType;
            _ = itav.InfoValue;
        }
        var body = message.Body;
        var content = body.Content;
        switch ((BodyType)body.Type)
        {
            case BodyType.Ir or BodyType.Cr or BodyType.Kur or BodyType.Krr:
                // The entries are read by RequestReader (guarded): BouncyCastle parses each CertReqMsg's POP
                // eagerly, and other implementations encode raVerified loosely.
                _ = CertReqMessages.GetInstance(content);
                break;
            case BodyType.P10cr:
                var csr = CertificationRequest.GetInstance(content);
                var info = csr.GetCertificationRequestInfo();
                _ = info.Subject;
                _ = info.SubjectPublicKeyInfo;
                _ = csr.SignatureAlgorithm;
                _ = csr.Signature;
                break;
            case BodyType.Ip or BodyType.Cp or BodyType.Kup:
                // The CertResponses are read by BodyChecks.SingleCertResponse (guarded): BouncyCastle parses
                // each CertifiedKeyPair eagerly and refuses v1 certificates there, which recorded vectors carry.
                _ = CertRepMessage.GetInstance(content).GetCAPubs();
                break;
            case BodyType.Rr:
                foreach (var d in RevReqContent.GetInstance(content).ToRevDetailsArray())
                {
                    Template(d.CertDetails);
                    _ = d.CrlEntryDetails;
                }
                break;
            case BodyType.Rp:
                // Read by ProtectionChecks (unprotected rejections) with BouncyCastle's type; RevocationMessages.ReadRp reads the rest.
                foreach (var s in RevRepContent.GetInstance(content).GetStatus())
                {
                    Status(s);
                }
                break;
            case BodyType.Genm:
                ItavList(GenMsgContent.GetInstance(content).ToInfoTypeAndValueArray());
                break;
            case BodyType.Genp:
                ItavList(GenRepContent.GetInstance(content).ToInfoTypeAndValueArray());
                break;
            case BodyType.Error:
                var error = ErrorMsgContent.GetInstance(content);
                Status(error.PkiStatusInfo);
                _ = error.ErrorCode?.Value;
                FreeText(error.ErrorDetails);
                break;
            case BodyType.CertConf:
                foreach (var s in CertConfirmContent.GetInstance(content).ToCertStatusArray())
                {
                    _ = s.CertHash;
                    _ = s.CertReqID.Value;
                    if (s.StatusInfo is { } si)
                    {
                        Status(si);
                    }
                    _ = s.HashAlg;
                }
                break;
            case BodyType.PollReq:
                _ = PollReqContent.GetInstance(content).GetCertReqIDValues();
                break;
            case BodyType.PollRep:
                var poll = PollRepContent.GetInstance(content);
                for (int i = 0; i < poll.Count; i++)
                {
                    _ = poll.GetCertReqID(i).Value;
                    _ = poll.GetCheckAfter(i).Value;
                    FreeText(poll.GetReason(i));
                }
                break;
        }
    }

    private static void Status(PkiStatusInfo status)
    {
        _ = status.Status;
        FreeText(status.StatusString);
        _ = status.FailInfo;
    }

    private static void FreeText(PkiFreeText? text)
    {
        for (int i = 0; i < (text?.Count ?? 0); i++)
        {
            _ = text![i].GetString();
        }
    }

    private static void ItavList(InfoTypeAndValue[] itavs)
    {
        foreach (var itav in itavs)
        {
            _ = itav.InfoType;
            _ = itav.InfoValue;
        }
    }

    private static void Template(CertTemplate? t)
    {
        if (t is null)
        {
            return;
        }
        _ = t.SerialNumber;
        _ = t.SigningAlg;
        _ = t.Issuer;
        _ = t.Validity;
        _ = t.Subject;
        _ = t.PublicKey;
        _ = t.IssuerUID;
        _ = t.SubjectUID;
        _ = t.Extensions;
    }
}
