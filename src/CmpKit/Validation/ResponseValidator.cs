using CmpKit.Messages;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Validation;

/// <summary>
/// Runs the checks every response must pass, in OpenSSL's order (ossl_cmp_msg_check_update):
/// sender (C5, C6), protection (C8, C14-C20), pvno (C9), transactionID (C11), recipNonce (C12);
/// then collects extraCerts (C7) and remembers the senderNonce. C1 and C10 ran at decoding.
/// </summary>
internal static class ResponseValidator
{
    public static void Validate(PkiMessage response, TransactionState state, VerificationPolicy policy)
    {
        var header = response.Header;
        HeaderChecks.SenderIsDirectoryName(header);   // C5
        HeaderChecks.SenderIsExpected(header, policy); // C6
        var extraCerts = Certificates.ToDotNet(HeaderChecks.ExtraCertsWithinCap(response, policy)); // C7 (cap)
        state.LastResponseMacProtected = ProtectionChecks.Validate(response, extraCerts, state, policy); // C8, C14-C20
        HeaderChecks.VersionSupported(header);         // C9
        HeaderChecks.TransactionIdMatches(header, state); // C11
        HeaderChecks.RecipNonceMatches(header, response.Body.Type, state); // C12

        // Only a response that passed every check may influence what comes next.
        state.AddExtraCerts(extraCerts);                // C7
        state.RecipNonce = header.SenderNonce?.GetOctets();
    }
}
