using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Validation;

/// <summary>
/// Revocation checking with CRLs given by the caller (RFC 5280, section 6.3), for C20 when
/// <see cref="Client.CmpClientOptions.RevocationCheck"/> asks for it (OpenSSL's -crl_check and
/// -crl_check_all). Fails closed: a certificate to check needs a CRL from its issuer that is signed by
/// the issuer's key, current, complete (no delta CRL, no issuing distribution point) and has no
/// critical extension this code does not understand; without one the check fails, as OpenSSL's
/// "unable to get certificate CRL" does.
/// </summary>
internal static class CrlChecks
{
    private const string CrlNumber = "2.5.29.20";
    private const string AuthorityKeyIdentifier = "2.5.29.35";
    private const string ReasonCode = "2.5.29.21";

    /// <summary>Decodes the CRLs once, when the client is created.</summary>
    /// <exception cref="CmpException">A CRL does not decode (InvalidOptions).</exception>
    public static IReadOnlyList<CertificateList> Parse(IEnumerable<ReadOnlyMemory<byte>> crls)
    {
        var list = new List<CertificateList>();
        int n = 0;
        foreach (var der in crls)
        {
            n++;
            try
            {
                using var stream = new Asn1InputStream(der.ToArray());
                var crl = CertificateList.GetInstance(stream.ReadObject());
                if (stream.ReadObject() is not null)
                {
                    throw new IOException("trailing data after the CRL");
                }
                // touch every field now, so that a damaged CRL fails here and not during a transaction
                _ = crl.Issuer.GetEncoded(Asn1Encodable.Der);
                _ = crl.ThisUpdate.ToDateTime();
                _ = crl.NextUpdate?.ToDateTime();
                foreach (var entry in crl.GetRevokedCertificates())
                {
                    _ = entry.UserCertificate.Value;
                    _ = entry.Extensions;
                }
                _ = crl.TbsCertList.Extensions;
                list.Add(crl);
            }
            catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or InvalidOperationException or FormatException or NullReferenceException)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, $"CRL number {n} is not a DER-encoded X.509 CRL: {e.Message}", innerException: e);
            }
        }
        return list;
    }

    /// <summary>
    /// Checks the revocation status of <paramref name="path"/>[0] (the end certificate) or, with
    /// <paramref name="entireChain"/>, of every certificate of the path except its last (the trust anchor).
    /// Returns null when none is revoked, else why the check failed.
    /// </summary>
    /// <param name="path">The validated path, end certificate first, trust anchor last.</param>
    /// <param name="entireChain">OpenSSL's -crl_check_all rather than -crl_check.</param>
    /// <param name="crls">The CRLs available.</param>
    /// <param name="now">The validation time.</param>
    public static string? Check(IReadOnlyList<X509Certificate2> path, bool entireChain, IReadOnlyList<CertificateList> crls, DateTimeOffset now)
    {
        int last = entireChain ? path.Count - 2 : Math.Min(0, path.Count - 2);
        for (int i = 0; i <= last; i++)
        {
            if (CheckOne(path[i], path[i + 1], crls, now) is { } error)
            {
                return error;
            }
        }
        return null;
    }

    private static string? CheckOne(X509Certificate2 certificate, X509Certificate2 issuer, IReadOnlyList<CertificateList> crls, DateTimeOffset now)
    {
        var why = new List<string>();
        foreach (var crl in crls)
        {
            if (!Names.AreEqual(crl.Issuer, certificate.IssuerName))
            {
                continue;
            }
            if (Unusable(crl, issuer, now) is { } reason)
            {
                why.Add(reason);
                continue;
            }
            var serial = new Org.BouncyCastle.Math.BigInteger(certificate.SerialNumberBytes.ToArray());
            foreach (var entry in crl.GetRevokedCertificates())
            {
                if (entry.UserCertificate.Value.Equals(serial))
                {
                    var code = entry.Extensions?.GetExtension(new DerObjectIdentifier(ReasonCode)) is { } ext
                        ? $" (reason {ReasonName(DerEnumerated.GetInstance(ext.GetParsedValue()).IntValueExact)})"
                        : "";
                    return $"the certificate '{certificate.Subject}' is revoked{code} according to the CRL of '{issuer.Subject}'";
                }
            }
            return null; // a usable CRL that does not list it
        }
        return why.Count == 0
            ? $"no CRL of '{certificate.Issuer}' is available to check the certificate '{certificate.Subject}'"
            : $"no usable CRL to check the certificate '{certificate.Subject}': {string.Join("; ", why.Distinct())}";
    }

    /// <summary>Why a CRL of the right issuer cannot be used (RFC 5280, section 6.3.3), or null.</summary>
    private static string? Unusable(CertificateList crl, X509Certificate2 issuer, DateTimeOffset now)
    {
        if (crl.TbsCertList.Extensions is { } extensions)
        {
            foreach (var oid in extensions.GetExtensionOids())
            {
                if (extensions.GetExtension(oid).IsCritical && oid.Id is not (CrlNumber or AuthorityKeyIdentifier))
                {
                    // delta CRL indicator, issuing distribution point, anything else: not a complete CRL we understand
                    return $"the CRL of '{issuer.Subject}' has the critical extension {oid.Id}, which is not supported";
                }
            }
        }
        if (!crl.SignatureAlgorithm.Equals(crl.TbsCertList.Signature))
        {
            return $"the CRL of '{issuer.Subject}' names two different signature algorithms";
        }
        try
        {
            var ku = issuer.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
            if (ku is not null && !ku.KeyUsages.HasFlag(X509KeyUsageFlags.CrlSign))
            {
                return $"the certificate of '{issuer.Subject}' does not allow cRLSign in its keyUsage";
            }
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return $"the keyUsage of the certificate of '{issuer.Subject}' does not decode";
        }
        bool verifies;
        try
        {
            verifies = SignatureAlgorithms.Verify(issuer, crl.SignatureAlgorithm, crl.TbsCertList.GetEncoded(Asn1Encodable.Der), crl.Signature.GetOctets());
        }
        catch (CmpException)
        {
            verifies = false; // an algorithm we cannot verify does not verify
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            verifies = false;
        }
        if (!verifies)
        {
            return $"the CRL's signature does not verify with the key of '{issuer.Subject}'";
        }
        if (crl.ThisUpdate.ToDateTime().ToUniversalTime() > now.UtcDateTime)
        {
            return $"the CRL of '{issuer.Subject}' is not yet valid (thisUpdate {crl.ThisUpdate.ToDateTime():u})";
        }
        if (crl.NextUpdate is { } next && next.ToDateTime().ToUniversalTime() < now.UtcDateTime)
        {
            return $"the CRL of '{issuer.Subject}' has expired (nextUpdate {next.ToDateTime():u})";
        }
        return null;
    }

    private static string ReasonName(int code) => code switch
    {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
