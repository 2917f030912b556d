using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Validation;

/// <summary>
/// Finds and validates the certificate that signed a response (RFC 9810, section 5.1.3.3;
/// OpenSSL's cmp_vfy.c): C16 pinned certificate or trust anchors required, C17 search order,
/// C18 acceptable candidate, C19 key usage, C20 chain to the trust anchors.
/// </summary>
internal static class SenderCertificateValidator
{
    /// <summary>Validates the signature protection of <paramref name="message"/>; on success caches the sender certificate.</summary>
    public static void Validate(PkiMessage message, IReadOnlyList<X509Certificate2> extraCerts, TransactionState state, VerificationPolicy policy)
    {
        var now = policy.Time.GetUtcNow();
        var sender = Names.DirectoryName(message.Header.Sender)!;

        // C16: a pinned server certificate is used directly: signature and key usage, no path validation.
        if (policy.PinnedServerCertificate is { } pinned)
        {
            if (!ProtectionVerifier.VerifySignature(message, pinned))
            {
                throw new CmpException(CmpFailureReason.InvalidSignature,
                    $"the response's signature does not verify with the pinned server certificate '{pinned.Subject}'");
            }
            CheckKeyUsage(pinned, policy);
            state.ValidatedSender = pinned;
            return;
        }
        if (policy.TrustAnchors.Count == 0)
        {
            throw new CmpException(CmpFailureReason.NoTrustAnchor,
                "the response is signed but no trust anchor (trusted certificates) or pinned server certificate is configured to verify it");
        }

        // C17: the cert validated earlier in this transaction, extraCerts, untrusted certs, trust store.
        var candidates = new List<X509Certificate2>();
        if (state.ValidatedSender is { } cached)
        {
            candidates.Add(cached);
        }
        candidates.AddRange(extraCerts);
        candidates.AddRange(policy.Untrusted);
        candidates.AddRange(policy.TrustAnchors);

        var kid = message.Header.SenderKID?.GetOctets();
        string? furthest = null;
        var reason = CmpFailureReason.SenderCertificateNotFound;
        foreach (var candidate in candidates)
        {
            // C18: valid now, subject = sender, SKID = senderKID (if both present), signature verifies.
            if (!Names.AreEqual(sender, candidate.SubjectName))
            {
                continue;
            }
            if (!policy.IgnoreValidityPeriod &&
                (now < candidate.NotBefore.ToUniversalTime() - policy.ClockSkew || now > candidate.NotAfter.ToUniversalTime() + policy.ClockSkew))
            {
                furthest ??= $"the sender's certificate '{candidate.Subject}' is not valid now (valid {candidate.NotBefore:u} to {candidate.NotAfter:u})";
                continue;
            }
            if (kid is not null && FactsOf(candidate).SubjectKeyId is { } skid && !skid.AsSpan().SequenceEqual(kid))
            {
                furthest ??= $"the certificate '{candidate.Subject}' does not match the response's senderKID";
                continue;
            }
            if (!ProtectionVerifier.VerifySignature(message, candidate))
            {
                furthest ??= $"the response's signature does not verify with the certificate '{candidate.Subject}'";
                continue;
            }
            // C19
            if (!policy.IgnoreKeyUsage && !FactsOf(candidate).AllowsDigitalSignature)
            {
                reason = CmpFailureReason.SenderKeyUsageInvalid;
                furthest = $"the sender's certificate '{candidate.Subject}' does not allow digitalSignature in its keyUsage";
                continue;
            }
            // C20
            var chainError = ValidateChain(candidate, extraCerts, policy, now, checkRevocation: true);
            if (chainError is not null)
            {
                if (reason != CmpFailureReason.SenderKeyUsageInvalid)
                {
                    reason = CmpFailureReason.SenderCertificateUntrusted;
                    furthest = $"the sender's certificate '{candidate.Subject}' is not trusted: {chainError}";
                }
                continue;
            }
            state.ValidatedSender = candidate;
            return;
        }
        throw new CmpException(reason, furthest ?? $"no certificate for the response's sender '{Names.Describe(sender)}' was found in extraCerts, the untrusted or the trusted certificates");
    }

    /// <summary>C19 for the pinned certificate.</summary>
    private static void CheckKeyUsage(X509Certificate2 certificate, VerificationPolicy policy)
    {
        if (!policy.IgnoreKeyUsage && !FactsOf(certificate).AllowsDigitalSignature)
        {
            throw new CmpException(CmpFailureReason.SenderKeyUsageInvalid,
                $"the sender's certificate '{certificate.Subject}' does not allow digitalSignature in its keyUsage");
        }
    }

    /// <summary>What C16 and C19 read from a signer's certificate, read once per certificate.</summary>
    /// <remarks>
    /// .NET decodes the extensions anew for each <see cref="X509Certificate2"/> (received certificates are fresh
    /// copies, <see cref="ParsedCertificateCache"/>), and every response of a transaction comes with the same
    /// server certificate: <see cref="DerKeyedCache{T}"/> keyed by its DER. Shared: the bytes are only compared.
    /// </remarks>
    private sealed record SignerFacts(byte[]? SubjectKeyId, bool AllowsDigitalSignature);

    private static readonly DerKeyedCache<SignerFacts> Facts = new(256);

    private static SignerFacts FactsOf(X509Certificate2 certificate) =>
        Facts.GetOrAdd(certificate.RawDataMemory.Span, certificate, static c => new SignerFacts(SubjectKeyId(c), AllowsDigitalSignature(c)))!;

    private static bool AllowsDigitalSignature(X509Certificate2 certificate)
    {
        try
        {
            var ku = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
            return ku is null || ku.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false; // a keyUsage extension that does not decode allows nothing
        }
    }

    /// <summary>The SubjectKeyIdentifier; empty (matching no senderKID) when the extension does not decode
    /// (.NET decodes it lazily and throws CryptographicException: found by fuzzing the server, docs/robustness.md).</summary>
    private static byte[]? SubjectKeyId(X509Certificate2 certificate)
    {
        try
        {
            return certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes.ToArray();
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return [];
        }
    }

    /// <summary>
    /// Builds and validates a chain to the trust anchors (custom root trust only, no network); with
    /// <paramref name="checkRevocation"/> and <see cref="VerificationPolicy.RevocationCheck"/> set, also
    /// the revocation status with the policy's CRLs (<see cref="CrlChecks"/>). Returns null on success,
    /// else why not. Shared by C20 (with revocation checking) and C29 (without: as OpenSSL, which
    /// disables status checking for -out_trusted). At most <see cref="VerificationPolicy.MaxChainDepth"/>
    /// intermediate CA certificates. Also used by the server.
    /// </summary>
    public static string? ValidateChain(X509Certificate2 certificate, IEnumerable<X509Certificate2> intermediates,
        VerificationPolicy policy, DateTimeOffset now, IReadOnlyList<X509Certificate2>? anchors = null, bool checkRevocation = false)
    {
        var path = BuildPath(certificate, intermediates, policy, now, anchors, out var error);
        if (path is null)
        {
            return error;
        }
        if (DepthError(path.Count, policy) is { } depthError)
        {
            return depthError;
        }
        if (checkRevocation && policy.RevocationCheck != Client.CmpRevocationCheck.None)
        {
            return CrlChecks.Check(path, policy.RevocationCheck == Client.CmpRevocationCheck.EntireChain, policy.Crls, now);
        }
        return null;
    }

    /// <summary>The validated path (end certificate first, trust anchor last), or null with the reason.</summary>
    private static List<X509Certificate2>? BuildPath(X509Certificate2 certificate, IEnumerable<X509Certificate2> intermediates,
        VerificationPolicy policy, DateTimeOffset now, IReadOnlyList<X509Certificate2>? anchors, out string? error)
    {
        error = null;
        var anchorList = anchors ?? policy.TrustAnchors;
        if (ValidatedPathCache.TryGet(anchorList, certificate, policy.PartialChain, policy.IgnoreValidityPeriod, now) is { } known)
        {
            return known;
        }
        var path = BuildPathWithX509Chain(certificate, intermediates, policy, now, anchorList, out error);
        if (path is not null)
        {
            ValidatedPathCache.Add(anchorList, certificate, policy.PartialChain, policy.IgnoreValidityPeriod, path);
        }
        return path;
    }

    private static List<X509Certificate2>? BuildPathWithX509Chain(X509Certificate2 certificate, IEnumerable<X509Certificate2> intermediates,
        VerificationPolicy policy, DateTimeOffset now, IReadOnlyList<X509Certificate2> anchorList, out string? error)
    {
        error = null;
        using var chain = new X509Chain();
        var p = chain.ChainPolicy;
        p.TrustMode = X509ChainTrustMode.CustomRootTrust;
        p.RevocationMode = X509RevocationMode.NoCheck;
        p.DisableCertificateDownloads = true;
        p.VerificationTime = now.UtcDateTime;
        p.VerificationTimeIgnored = false;
        if (policy.IgnoreValidityPeriod)
        {
            p.VerificationFlags |= X509VerificationFlags.IgnoreNotTimeValid;
        }
        foreach (var a in anchorList)
        {
            p.CustomTrustStore.Add(a);
        }
        foreach (var c in intermediates)
        {
            p.ExtraStore.Add(c);
        }
        foreach (var c in policy.Untrusted)
        {
            p.ExtraStore.Add(c);
        }
        if (chain.Build(certificate))
        {
            return [.. chain.ChainElements.Select(e => e.Certificate)];
        }
        // With PartialChain (OpenSSL's -partial_chain) a trust anchor need not be self-signed: the
        // chain may end at any anchor, which must itself be valid. Without it, as OpenSSL's default,
        // only a chain up to a self-signed anchor counts.
        if (policy.PartialChain)
        {
            for (int index = 0; index < chain.ChainElements.Count; index++)
            {
                var element = chain.ChainElements[index];
                if (anchorList.Any(a => Certificates.SameEncoding(a, element.Certificate)))
                {
                    var problems = chain.ChainElements.TakeWhile(e => e != element).Append(element)
                        .SelectMany(e => e.ChainElementStatus)
                        .Where(s => s.Status is not (X509ChainStatusFlags.NoError or X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.PartialChain))
                        .ToList();
                    if (problems.Count == 0)
                    {
                        return [.. chain.ChainElements.TakeWhile(e => e != element).Append(element).Select(e => e.Certificate)];
                    }
                }
            }
        }
        var status = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
        error = string.Join("; ", status).Length > 0 ? string.Join("; ", status) : "no chain to a trust anchor";
        return null;
    }

    /// <summary>
    /// The chain-depth cap (as OpenSSL's verify depth: the certificates between the end entity and the trust
    /// anchor); <paramref name="length"/> counts both ends. X509Chain has no depth limit of its own, so a valid but
    /// longer chain is refused after building; building itself is bounded by the extraCerts cap.
    /// </summary>
    private static string? DepthError(int length, VerificationPolicy policy)
    {
        var intermediates = length - 2;
        return intermediates > policy.MaxChainDepth
            ? $"the chain has {intermediates} intermediate CA certificates, more than the limit of {policy.MaxChainDepth}"
            : null;
    }
}
