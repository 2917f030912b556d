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
            ProtectionVerifier.ProtectionKind.Mac => CheckMac(message, rc),
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
            CacheExtraCerts(message, rc.ExtraCerts);
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

    private RequestProblem? CheckMac(PkiMessage message, RequestContext rc)
    {
        if (_options.SrvSecret is not { IsEmpty: false } secret)
        {
            return new RequestProblem(PkiFailureInfo.WrongIntegrity, "MAC-protected requests are not accepted: no shared secret is configured");
        }
        try
        {
            if (!ProtectionVerifier.VerifyMac(message, secret.Span, _options.MaxPbmIterations, _macProtection?.Keys))
            {
                return new RequestProblem(PkiFailureInfo.BadMessageCheck, "the request's MAC does not verify with the shared secret");
            }
            rc.VerifiedMacAlgorithm = message.Header.ProtectionAlg;
            return null;
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
        rc.ExtraCerts = extraCerts;
        var anchors = TrustAnchors();
        if (anchors.Count == 0)
        {
            return new RequestProblem(PkiFailureInfo.SignerNotTrusted, "no trust anchors are configured for signature-protected requests");
        }
        var policy = new VerificationPolicy
        {
            TrustAnchors = anchors,
            Untrusted = [.. _options.SrvUntrusted, .. ValidatedSigners()],
            IgnoreKeyUsage = true,
            IgnoreValidityPeriod = _options.NoCheckTime,
            MaxExtraCertificates = _options.MaxExtraCertificates,
            MaxChainDepth = _options.MaxChainDepth,
            Time = _time,
        };
        try
        {
            // The validator keeps its findings in a TransactionState; the request's own transactionID spares a random one.
            var transactionId = message.Header.TransactionID?.GetOctets() ?? [];
            var state = new TransactionState(transactionId);
            try
            {
                SenderCertificateValidator.Validate(message, extraCerts, state, policy);
            }
            catch (CmpException e) when (e.Reason is CmpFailureReason.SenderCertificateNotFound or CmpFailureReason.SenderCertificateUntrusted
                                         && CachedExtraCertificates is { Count: > 0 } cached)
            {
                // Only then the certificates kept from earlier requests: a client that sends its chain is judged by
                // it alone (a kept certificate with the same name as one of its chain must not get in the way).
                state = new TransactionState(transactionId);
                SenderCertificateValidator.Validate(message, extraCerts, state,
                    policy with { Untrusted = [.. policy.Untrusted, .. cached] });
            }
            rc.Signer = state.ValidatedSender;
            RememberSigner(state.ValidatedSender);
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

    // Sender certificate caching, as OpenSSL's server keeps the sender certificate it validated: the last
    // request signers whose chain validated are candidates for later requests, so a client need not send its
    // chain again (suite row "without giving chain (requires sender cert caching)"). Only the signer
    // certificates themselves, not their chains: a path validated for one of them is remembered by
    // ValidatedPathCache while valid, but another certificate of the same CA still needs its chain
    // (unless extraCerts are cached, see CmpServer.ExtraCerts.cs).
    private const int MaxValidatedSigners = 16;
    private readonly Lock _signersLock = new();
    private readonly List<X509Certificate2> _validatedSigners = [];

    private List<X509Certificate2> ValidatedSigners()
    {
        lock (_signersLock)
        {
            return [.. _validatedSigners];
        }
    }

    private void RememberSigner(X509Certificate2? signer)
    {
        if (signer is null)
        {
            return;
        }
        lock (_signersLock)
        {
            _validatedSigners.RemoveAll(c => Certificates.SameEncoding(c, signer));
            _validatedSigners.Add(signer);
            if (_validatedSigners.Count > MaxValidatedSigners)
            {
                _validatedSigners.RemoveAt(0);
            }
        }
    }

    /// <summary>SrvTrusted, or the CA certificate when none are configured.</summary>
    // One list per server and CA certificate, so that ValidatedPathCache (keyed by the anchor list) serves
    // every request.
    private sealed record AnchorList(X509Certificate2? Ca, List<X509Certificate2> Anchors);
    private volatile AnchorList? _trustAnchors;

    private List<X509Certificate2> TrustAnchors()
    {
        var ca = _options.SrvTrusted.Count > 0 ? null : CertificateAuthority?.Certificate;
        if (_trustAnchors is { } known && ReferenceEquals(known.Ca, ca))
        {
            return known.Anchors;
        }
        List<X509Certificate2> anchors = _options.SrvTrusted.Count > 0 ? [.. _options.SrvTrusted] : ca is not null ? [ca] : [];
        _trustAnchors = new AnchorList(ca, anchors);
        return anchors;
    }

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
            ProtectionVerifier.ProtectionKind.Mac => (ProtectionSpec?)_macProtection?.Answering(rc.VerifiedMacAlgorithm) ?? _signatureProtection,
            ProtectionVerifier.ProtectionKind.Signature => (ProtectionSpec?)_signatureProtection ?? _macProtection,
            _ => (ProtectionSpec?)_macProtection ?? _signatureProtection,
        };
    }
}
