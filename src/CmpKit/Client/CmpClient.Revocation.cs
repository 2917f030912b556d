using System.Numerics;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Validation;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Client;

// rr/rp (RFC 9810, sections 5.3.9, 5.3.10; OpenSSL's OSSL_CMP_exec_RR_ses): C34, C35.
public sealed partial class CmpClient
{
    /// <summary>Revokes a certificate: rr with its issuer and serial number, rp (RFC 9810, section 5.3.9; RFC 9483, section 4.2).</summary>
    /// <param name="certificate">The certificate to revoke (OpenSSL's -oldcert).</param>
    /// <param name="reason">The CRLReason to send (RFC 5280, section 5.3.1; 0-10 except 7), or null for none (OpenSSL's -revreason -1).</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The server's status and any warnings (e.g. already revoked).</returns>
    /// <exception cref="CmpException">The transaction failed; a rejection carries the server's status (RequestRejected).</exception>
    public Task<RevocationResult> RevokeAsync(X509Certificate2 certificate, X509RevocationReason? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var target = new RevocationTargetData(certificate.IssuerName, certificate.SerialNumberBytes.ToArray(), null, null);
        return RevokeCoreAsync(target, reason, () => PartiesFor(certificate, null, null), cancellationToken);
    }

    /// <summary>Revokes the certificate with the given issuer and serial number (OpenSSL 3.2's -issuer with -serial).</summary>
    /// <param name="issuer">The issuer of the certificate to revoke.</param>
    /// <param name="serialNumber">Its serial number (non-negative).</param>
    /// <param name="reason">The CRLReason to send (0-10 except 7), or null for none.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The server's status and any warnings.</returns>
    /// <exception cref="CmpException">The transaction failed, or the serial number is negative (InvalidOptions).</exception>
    public async Task<RevocationResult> RevokeAsync(X500DistinguishedName issuer, BigInteger serialNumber, X509RevocationReason? reason = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        if (serialNumber.Sign < 0)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "the serial number of the certificate to revoke must not be negative");
        }
        var target = new RevocationTargetData(issuer, serialNumber.ToByteArray(isUnsigned: false, isBigEndian: true), null, null);
        return await RevokeCoreAsync(target, reason, () => PartiesFor(null, null, issuer), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Revokes the certificate(s) for the key and subject of a PKCS#10 request (OpenSSL's rr with -csr):
    /// certDetails carries the CSR's subject and public key.
    /// </summary>
    /// <param name="pkcs10Request">The DER-encoded PKCS#10 request.</param>
    /// <param name="reason">The CRLReason to send (0-10 except 7), or null for none.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The server's status and any warnings.</returns>
    /// <exception cref="CmpException">The transaction failed, or the CSR is not valid (InvalidOptions).</exception>
    public async Task<RevocationResult> RevokePkcs10KeyAsync(ReadOnlyMemory<byte> pkcs10Request, X509RevocationReason? reason = null,
        CancellationToken cancellationToken = default)
    {
        var (subject, key) = RevocationMessages.ReadCsr(pkcs10Request);
        var target = new RevocationTargetData(null, null, subject, key);
        return await RevokeCoreAsync(target, reason, () => PartiesFor(null, subject, null), cancellationToken).ConfigureAwait(false);
    }

    private async Task<RevocationResult> RevokeCoreAsync(RevocationTargetData target, X509RevocationReason? reason, Func<Parties> parties, CancellationToken ct)
    {
        // C34: reason codes 0-10 except 7 (RFC 5280, section 5.3.1: value 7 is not used).
        if (reason is { } r && ((int)r is < 0 or > 10 || (int)r == 7))
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, $"revocation reason {(int)r} is not allowed; use 0-6 or 8-10, or none");
        }
        return await RunAsync(new RevocationOperation(this, target, reason is { } rc ? (int)rc : null, parties()), ct).ConfigureAwait(false);
    }

    private sealed class RevocationOperation : Operation<RevocationResult>
    {
        private readonly RevocationTargetData _target;
        private readonly int? _reason;

        public RevocationOperation(CmpClient client, RevocationTargetData target, int? reason, Parties parties) : base(client)
        {
            _target = target;
            _reason = reason;
            Parties = parties;
        }

        public override PkiBody BuildRequest() => RevocationMessages.Rr(_target, _reason);

        public override Task<bool> HandleFinalAsync(PkiMessage response, CancellationToken ct)
        {
            BodyChecks.ExpectBody(response, BodyType.Rp); // C21, C25
            var rp = RevocationMessages.ReadRp(response.Body);
            var warnings = new List<string>();
            if (RevocationChecks.Check(rp, _target, warnings, out var status)) // C35
            {
                PollCertReqId = -1; // waiting: poll as for any non-certificate request
                return Task.FromResult(false);
            }
            switch (status.Status)
            {
                case PkiStatus.GrantedWithMods:
                    warnings.Add("the server granted the revocation with modifications: " + status);
                    break;
                case PkiStatus.RevocationWarning:
                case PkiStatus.RevocationNotification:
                    warnings.Add($"the server answered {CmpStatusInfo.StatusName(status.Status)}: the certificate is probably already revoked ({status})");
                    break;
            }
            foreach (var w in warnings)
            {
                Client._logger.LogWarning("CMP rr: {Warning}", w);
            }
            Client._logger.LogInformation("CMP rr succeeded: {Status}", status.ToString());
            Result = new RevocationResult(status, warnings, Tx.State.TransactionId, [.. Tx.State.ReceivedExtraCerts]);
            return Task.FromResult(true);
        }
    }
}
