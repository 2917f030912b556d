using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;

namespace CmpKit.Validation;

/// <summary>
/// C28, C29: may the newly issued certificate be accepted? Each returns the exception that
/// describes the rejection (to be reported by a negative certConf, C37), or null.
/// </summary>
internal static class NewCertificateChecks
{
    /// <summary>C28: the certified public key must be the enrollment key.</summary>
    public static CmpException? KeyMatches(IssuedCertificate certificate, byte[] enrollmentPublicKeyInfo) =>
        certificate.HasPublicKey(enrollmentPublicKeyInfo)
            ? null
            : new CmpException(CmpFailureReason.PublicKeyMismatch, "the new certificate is for a different public key than the one requested");

    /// <summary>
    /// C29: with an "out trusted" store, the new certificate must validate against it, with the
    /// untrusted and received certificates as intermediates (and caPubs as anchors where C13 allows).
    /// </summary>
    public static CmpException? Trusted(X509Certificate2 certificate, IReadOnlyList<X509Certificate2> outTrusted,
        IReadOnlyList<X509Certificate2> extraAnchors, TransactionState state, VerificationPolicy policy)
    {
        var anchors = new List<X509Certificate2>(outTrusted);
        anchors.AddRange(extraAnchors);
        var error = SenderCertificateValidator.ValidateChain(certificate, state.ReceivedExtraCerts, policy, policy.Time.GetUtcNow(), anchors);
        return error is null
            ? null
            : new CmpException(CmpFailureReason.NewCertificateUntrusted,
                $"the new certificate does not validate against the 'out trusted' certificates: {error}");
    }
}
