using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;

namespace CmpKit.Validation;

/// <summary>C35: the checks on an rp (RFC 9810, section 5.3.10; OpenSSL's OSSL_CMP_exec_RR_ses).</summary>
internal static class RevocationChecks
{
    /// <summary>
    /// C35: exactly one status; accepted, grantedWithMods, revocationWarning and revocationNotification
    /// pass; rejection fails with the server's status; waiting asks for polling (returns true);
    /// anything else (keyUpdateWarning, unknown values) fails. For a final status: revCerts, if present,
    /// is exactly one CertId naming the requested issuer and serial; crls, if present, is exactly one CRL.
    /// An empty revCerts counts as absent, with a warning added to <paramref name="warnings"/>: it claims
    /// nothing, and OpenSSL 3.0's mock server sends one (a deviation from CHECKS.md C35, docs/checks.md).
    /// </summary>
    public static bool Check(RpData rp, RevocationTargetData target, ICollection<string> warnings, out CmpStatusInfo status)
    {
        if (rp.Statuses.Count != 1)
        {
            throw new CmpException(CmpFailureReason.InvalidRevocationResponse,
                $"the rp holds {rp.Statuses.Count} statuses; exactly one was expected for the one certificate to revoke");
        }
        status = rp.Statuses[0];
        switch (status.Status)
        {
            case PkiStatus.Accepted:
            case PkiStatus.GrantedWithMods:
            case PkiStatus.RevocationWarning:
            case PkiStatus.RevocationNotification:
                break;
            case PkiStatus.Waiting:
                return true;
            case PkiStatus.Rejection:
                throw new CmpException(CmpFailureReason.RequestRejected, "the server rejected the revocation request: " + status, status);
            default:
                throw new CmpException(CmpFailureReason.UnexpectedStatus,
                    $"the rp has status {CmpStatusInfo.StatusName(status.Status)}, which is not allowed for rr", status);
        }
        if (rp.RevCerts is { Count: 0 })
        {
            warnings.Add("the rp's revCerts is an empty list; taken as absent (the status decides)");
        }
        else if (rp.RevCerts is { } revCerts)
        {
            if (revCerts.Count != 1)
            {
                throw new CmpException(CmpFailureReason.RevokedCertificateMismatch,
                    $"the rp's revCerts holds {revCerts.Count} entries; exactly one was expected");
            }
            var (issuer, serial) = revCerts[0];
            if (target.Issuer is not null && target.SerialNumber is not null &&
                (issuer is null || !Names.AreEqual(Names.ToX509Name(issuer), target.Issuer)
                 || !serial.AsSpan().SequenceEqual(target.SerialNumber.AsSpan().TrimStart((byte)0))))
            {
                throw new CmpException(CmpFailureReason.RevokedCertificateMismatch,
                    "the rp's revCerts names another certificate than the one to revoke (issuer or serial number differ)");
            }
        }
        if (rp.CrlCount is int crls && crls != 1)
        {
            throw new CmpException(CmpFailureReason.InvalidRevocationResponse, $"the rp's crls holds {crls} CRLs; exactly one was expected");
        }
        return false;
    }
}
