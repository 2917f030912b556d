using CmpKit.Validation;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Server;

public sealed partial class CmpServer
{
    private readonly record struct RequestProblem(PkiFailureInfo Failure, string Text);

    /// <summary>
    /// Checks the protection of a request (RFC 9810, section 5.1.3): PBM with the shared secret, or a
    /// signature by a certificate that chains to the trust anchors. Null when acceptable; records in
    /// <paramref name="rc"/> how the request was protected so that the response can mirror it.
    /// </summary>
    private RequestProblem? CheckProtection(PkiMessage message, RequestContext rc)
    {
        ProtectionVerifier.ProtectionKind kind;
        try
        {
            kind = ProtectionVerifier.Classify(message);
        }
        catch (CmpException e)
        {
            return _options.AcceptUnprotected ? null : new RequestProblem(PkiFailureInfo.BadAlg, e.Message);
        }
        rc.Protection = kind;
        var problem = kind switch
        {
            ProtectionVerifier.ProtectionKind.Mac => CheckMac(message),
            ProtectionVerifier.ProtectionKind.Signature => CheckSignature(message, rc),
            _ => _options.AcceptUnprotected || (_options.AcceptUnprotectedErrors && IsNegativeRequest(message)) ? null
                : new RequestProblem(PkiFailureInfo.BadMessageCheck, "the request is not protected"),
        };
        if (problem is not null && _options.AcceptUnprotected)
        {
            _logger.LogWarning("CMP server: accepting a request with invalid protection: {Text}", problem.Value.Text);
            return null;
        }
        if (problem is null && kind is ProtectionVerifier.ProtectionKind.Mac or ProtectionVerifier.ProtectionKind.Signature)
        {
            CacheExtraCerts(message);
        }
        return problem;
    }

    /// <summary>An error message, or a certConf that rejects the certificate: what "unprotected errors" allows.</summary>
    private static bool IsNegativeRequest(PkiMessage message)
    {
        if (message.Body.Type == (int)BodyType.Error)
        {
            return true;
        }
        if (message.Body.Type != (int)BodyType.CertConf)
        {
            return false;
        }
        try
        {
            var statuses = RequestReader.ReadCertConf(message.Body);
            return statuses.Count == 0 || statuses.Any(s => s.Status?.Status == PkiStatus.Rejection);
        }
        catch (CmpException)
        {
            return false;
        }
    }

    private RequestProblem? CheckMac(PkiMessage message)
    {
        if (_options.SrvSecret is not { IsEmpty: false } secret)
        {
            return new RequestProblem(PkiFailureInfo.WrongIntegrity, "MAC-protected requests are not accepted: no shared secret is configured");
        }
        try
        {
            return ProtectionVerifier.VerifyMac(message, secret.Span, _options.MaxPbmIterations) ? null
                : new RequestProblem(PkiFailureInfo.BadMessageCheck, "the request's MAC does not verify with the shared secret");
        }
        catch (CmpException e)
        {
            return new RequestProblem(PkiFailureInfo.BadAlg, "the request's MAC cannot be checked: " + e.Message);
        }
    }

    /// <summary>
    /// Signature protection (RFC 9810, section 5.1.3.3), checked by the same validator the client
    /// uses on responses (C16-C20 mirrored): a certificate whose subject is the header's sender (and
    /// whose SKID is the senderKID, when both exist) must verify the signature and chain to the trust
    /// anchors (custom root trust; no revocation checks). Key usage is not required of clients.
    /// </summary>
    private RequestProblem? CheckSignature(PkiMessage message, RequestContext rc)
    {
        List<X509Certificate2> extraCerts;
        try
        {
            extraCerts = Certificates.ToDotNet(message.GetExtraCerts());
        }
        catch (CmpException e)
        {
            return new RequestProblem(PkiFailureInfo.BadDataFormat, e.Message);
        }
        var anchors = TrustAnchors();
        if (anchors.Count == 0)
        {
            return new RequestProblem(PkiFailureInfo.SignerNotTrusted, "no trust anchors are configured for signature-protected requests");
        }
        var policy = new VerificationPolicy
        {
            TrustAnchors = anchors,
            Untrusted = [.. _options.SrvUntrusted, .. CachedSenderChains()],
            IgnoreKeyUsage = true,
            IgnoreValidityPeriod = _options.NoCheckTime,
            MaxExtraCertificates = _options.MaxExtraCertificates,
            MaxChainDepth = _options.MaxChainDepth,
            Time = _time,
        };
        try
        {
            var state = new TransactionState();
            try
            {
                SenderCertificateValidator.Validate(message, extraCerts, state, policy);
            }
            catch (CmpException e) when (e.Reason is CmpFailureReason.SenderCertificateNotFound or CmpFailureReason.SenderCertificateUntrusted
                                         && CachedExtraCertificates is { Count: > 0 } cached)
            {
                // Only then the certificates kept from earlier requests: a client that sends its chain is judged by
                // it alone (a kept certificate with the same name as one of its chain must not get in the way).
                state = new TransactionState();
                SenderCertificateValidator.Validate(message, extraCerts, state,
                    policy with { Untrusted = [.. policy.Untrusted, .. cached] });
            }
            rc.Signer = state.ValidatedSender;
            RememberSenderChain(state.ValidatedSender, extraCerts, policy);
            return null;
        }
        catch (CmpException e)
        {
            var failure = e.Reason switch
            {
                CmpFailureReason.UnsupportedProtectionAlgorithm => PkiFailureInfo.BadAlg,
                CmpFailureReason.SenderCertificateUntrusted or CmpFailureReason.NoTrustAnchor => PkiFailureInfo.SignerNotTrusted,
                _ => PkiFailureInfo.BadMessageCheck,
            };
            return new RequestProblem(failure, e.Message.Replace("response", "request", StringComparison.Ordinal));
        }
    }

    // Sender certificate caching (as OpenSSL's mock server keeps the sender certificate it validated): the
    // intermediates of the chains of the last validated request signers, so that a later request by the same
    // signer need not carry its chain in extraCerts again. They are only untrusted certificates: every chain
    // is still validated to the trust anchors.
    private const int MaxCachedSenderChains = 16;
    private readonly Lock _senderChainLock = new();
    private readonly List<X509Certificate2[]> _senderChains = [];

    private List<X509Certificate2> CachedSenderChains()
    {
        lock (_senderChainLock)
        {
            return _senderChains.SelectMany(c => c).ToList();
        }
    }

    private void RememberSenderChain(X509Certificate2? signer, IReadOnlyList<X509Certificate2> extraCerts, VerificationPolicy policy)
    {
        if (signer is null)
        {
            return;
        }
        using var chain = new X509Chain();
        var p = chain.ChainPolicy;
        p.TrustMode = X509ChainTrustMode.CustomRootTrust;
        p.RevocationMode = X509RevocationMode.NoCheck;
        p.DisableCertificateDownloads = true;
        p.VerificationFlags = X509VerificationFlags.AllFlags;
        p.CustomTrustStore.AddRange(policy.TrustAnchors.ToArray());
        p.ExtraStore.AddRange(extraCerts.Concat(policy.Untrusted).ToArray());
        chain.Build(signer);
        var intermediates = chain.ChainElements.Skip(1).Select(e => e.Certificate)
            .Where(c => !policy.TrustAnchors.Any(a => a.RawData.AsSpan().SequenceEqual(c.RawData)))
            .Select(c => X509CertificateLoader.LoadCertificate(c.RawData)).ToArray();
        if (intermediates.Length == 0)
        {
            return;
        }
        lock (_senderChainLock)
        {
            _senderChains.RemoveAll(c => c.Length == intermediates.Length && c.Zip(intermediates).All(x => x.First.RawData.AsSpan().SequenceEqual(x.Second.RawData)));
            _senderChains.Add(intermediates);
            if (_senderChains.Count > MaxCachedSenderChains)
            {
                _senderChains.RemoveAt(0);
            }
        }
    }

    /// <summary>SrvTrusted, or the CA certificate when none are configured.</summary>
    private List<X509Certificate2> TrustAnchors() =>
        _options.SrvTrusted.Count > 0 ? [.. _options.SrvTrusted]
        : CertificateAuthority is { } ca ? [ca.Certificate] : [];

    /// <summary>
    /// Responses are protected as the request was (RFC 9810, section 5.1.3.1: MAC answered by MAC), with a
    /// signature otherwise where a signing certificate exists; unprotected only when configured or when
    /// there is no key at all.
    /// </summary>
    private ProtectionSpec? ChooseResponseProtection(RequestContext rc, bool negative)
    {
        if (_options.SendUnprotected || (negative && _options.SendUnprotectedErrors))
        {
            return null;
        }
        return rc.Protection switch
        {
            ProtectionVerifier.ProtectionKind.Mac => (ProtectionSpec?)_macProtection ?? _signatureProtection,
            ProtectionVerifier.ProtectionKind.Signature => (ProtectionSpec?)_signatureProtection ?? _macProtection,
            _ => (ProtectionSpec?)_macProtection ?? _signatureProtection,
        };
    }
}
