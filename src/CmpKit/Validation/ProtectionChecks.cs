using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Validation;

/// <summary>C8, C14, C15: is the response protected as required, and does its protection verify.</summary>
internal static class ProtectionChecks
{
    /// <summary>Returns whether the message was MAC-protected (C13 needs it).</summary>
    public static bool Validate(PkiMessage message, IReadOnlyList<X509Certificate2> extraCerts, TransactionState state, VerificationPolicy policy)
    {
        var kind = ProtectionVerifier.Classify(message); // C15
        switch (kind)
        {
            case ProtectionVerifier.ProtectionKind.None:
                AllowedUnprotected(message, policy); // C8
                return false;
            case ProtectionVerifier.ProtectionKind.Mac:
                // C14
                if (policy.Secret is not { } secret)
                {
                    throw new CmpException(CmpFailureReason.MissingSecret,
                        "the response is MAC-protected but no shared secret is configured to verify it");
                }
                if (!ProtectionVerifier.VerifyMac(message, secret.Span, policy.MaxPbmIterations, policy.PbmKeys))
                {
                    throw new CmpException(CmpFailureReason.InvalidMac,
                        "the MAC of the response does not verify (wrong shared secret, or the message was altered)");
                }
                return true;
            default:
                SenderCertificateValidator.Validate(message, extraCerts, state, policy); // C16-C20
                return false;
        }
    }

    /// <summary>
    /// C8: an unprotected response is acceptable only with the "unprotected errors" option, and only
    /// for error messages, rp with rejection, pkiConf, and ip/cp/kup with one rejected response
    /// (RFC 9810, section 3.6.4; OpenSSL's unprotected_exception).
    /// </summary>
    private static void AllowedUnprotected(PkiMessage message, VerificationPolicy policy)
    {
        var type = message.Body.Type;
        if (policy.UnprotectedErrors)
        {
            switch ((BodyType)type)
            {
                case BodyType.Error:
                case BodyType.PkiConf:
                    return;
                case BodyType.Rp:
                    if (IsRejection(() => RevRepContent.GetInstance(message.Body.Content).GetStatus() is [var first, ..] ? first : null))
                    {
                        return;
                    }
                    break;
                case BodyType.Ip:
                case BodyType.Cp:
                case BodyType.Kup:
                    if (IsRejection(() => CertRepMessage.GetInstance(message.Body.Content).GetResponse() is [var only] ? only.Status : null))
                    {
                        return;
                    }
                    break;
            }
        }
        throw new CmpException(CmpFailureReason.MissingProtection,
            $"the response ({BodyTypes.Name(type)}) is not protected" +
            (policy.UnprotectedErrors ? "; only negative responses may be unprotected" : "; unprotected responses are accepted only for errors with the 'unprotected errors' option"));
    }

    /// <summary>Whether the status read by <paramref name="read"/> is rejection; a body that does not parse is not
    /// (BouncyCastle reads CertResponses lazily and threw ArgumentException here: found by fuzzing the client).</summary>
    private static bool IsRejection(Func<Org.BouncyCastle.Asn1.Cmp.PkiStatusInfo?> read)
    {
        try
        {
            return read() is { } status && status.Status.IntValue == (int)PkiStatus.Rejection;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidCastException or IOException)
        {
            return false;
        }
    }
}
