using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Transport;
using CmpKit.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Client;

/// <summary>The kind of certificate request (OpenSSL's -cmd ir|cr|kur|p10cr).</summary>
public enum CertificateRequestKind
{
    /// <summary>Initialization request (ir, RFC 9810 section 5.3.1).</summary>
    Initial,
    /// <summary>Certification request for an additional certificate (cr, section 5.3.3).</summary>
    Additional,
    /// <summary>Key update request (kur, section 5.3.5).</summary>
    KeyUpdate,
    /// <summary>PKCS#10 certification request (p10cr, section 5.3.4).</summary>
    Pkcs10,
}

/// <summary>
/// A CMP client (RFC 9810, RFC 9483): one method per transaction, each reading top to bottom like
/// the RFC's message flow: build request, protect, send, validate, (poll), confirm, result.
/// Every response passes the checks C1-C37 of CmpKit's check list before anything in it is used.
/// All transactions share one pipeline (see <c>CmpClient.Pipeline.cs</c>); the blocking methods loop
/// over the same steps the non-blocking <see cref="TryRequestCertificateAsync"/> exposes.
/// </summary>
public sealed partial class CmpClient
{
    private readonly ICmpTransport _transport;
    private readonly CmpClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly VerificationPolicy _policy;
    private readonly ProtectionSpec? _protection;
    private readonly InfoTypeAndValue[] _generalInfo;
    private readonly InfoTypeAndValue? _certProfile;

    /// <summary>Creates a client that sends through <paramref name="transport"/>.</summary>
    /// <param name="transport">How messages reach the server (HTTP, in-process, ...).</param>
    /// <param name="options">The CMP context; validated here.</param>
    /// <param name="logger">Receives one line per message and result; never secrets.</param>
    /// <param name="timeProvider">Clock and timers (timeouts, polling); the system's by default.</param>
    /// <exception cref="CmpException">The options are inconsistent (<see cref="CmpFailureReason.InvalidOptions"/>).</exception>
    public CmpClient(ICmpTransport transport, CmpClientOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        _transport = transport;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        if (options.MaxExtraCertificates < 0 || options.MaxCaCertificates < 0 || options.MaxChainDepth < 0)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "MaxExtraCertificates, MaxCaCertificates and MaxChainDepth must not be negative");
        }
        _protection = CreateProtection(options);
        _generalInfo = [.. (options.GeneralInfo ?? []).Select(GeneralMessages.ToBc)];
        _certProfile = options.CertificateProfile is { } profile ? GeneralMessages.CertProfile([profile]) : null;
        _policy = new VerificationPolicy
        {
            PinnedServerCertificate = options.ServerCertificate,
            ExpectedSender = options.ExpectedSender,
            TrustAnchors = [.. options.TrustAnchors],
            Untrusted = [.. options.UntrustedCertificates],
            IgnoreKeyUsage = options.IgnoreKeyUsage,
            UnprotectedErrors = options.UnprotectedErrors,
            Secret = options.MacCredentials?.Secret,
            PbmKeys = (_protection as MacProtectionSpec)?.Keys,
            MaxPbmIterations = options.MaxPbmIterations,
            MaxExtraCertificates = options.MaxExtraCertificates,
            MaxChainDepth = options.MaxChainDepth,
            ClockSkew = options.ClockSkew,
            PartialChain = options.PartialChain,
            RevocationCheck = options.RevocationCheck,
            Crls = Validation.CrlChecks.Parse(options.CertificateRevocationLists ?? []),
            MaxCheckAfter = options.MaxCheckAfter,
            Time = _time,
        };
    }

    /// <summary>Creates a client that talks HTTP (RFC 9811) to <paramref name="serverUri"/>.</summary>
    /// <param name="httpClient">The HTTP client; not owned by this object.</param>
    /// <param name="serverUri">The CMP endpoint, e.g. http://ca.example/pkix/.</param>
    /// <param name="options">The CMP context.</param>
    /// <param name="logger">Optional logger.</param>
    /// <param name="timeProvider">Optional clock.</param>
    public CmpClient(HttpClient httpClient, Uri serverUri, CmpClientOptions options, ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(new HttpCmpTransport(httpClient, serverUri), options, logger, timeProvider)
    {
    }

    /// <summary>The options this client was created with.</summary>
    public CmpClientOptions Options => _options;

    /// <summary>Initial enrollment: ir/ip/certConf/pkiConf (RFC 9810, section 5.3.1; OpenSSL's OSSL_CMP_exec_IR_ses).</summary>
    /// <param name="template">What to request.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The new certificate and what came with it.</returns>
    /// <exception cref="CmpException">The transaction failed; <see cref="CmpException.Reason"/> says why.</exception>
    public Task<EnrollmentResult> InitialEnrollAsync(CertificateRequestTemplate template, CancellationToken cancellationToken = default) =>
        RequestCertificateAsync(CertificateRequestKind.Initial, template, cancellationToken);

    /// <summary>Enrollment of an additional certificate: cr/cp (RFC 9810, section 5.3.3; OSSL_CMP_exec_CR_ses).</summary>
    /// <param name="template">What to request.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The new certificate and what came with it.</returns>
    /// <exception cref="CmpException">The transaction failed.</exception>
    public Task<EnrollmentResult> EnrollAsync(CertificateRequestTemplate template, CancellationToken cancellationToken = default) =>
        RequestCertificateAsync(CertificateRequestKind.Additional, template, cancellationToken);

    /// <summary>Key update: kur/kup (RFC 9810, section 5.3.5; OSSL_CMP_exec_KUR_ses). Set <see cref="CertificateRequestTemplate.OldCertificate"/>.</summary>
    /// <param name="template">What to request, including the certificate to update.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The new certificate and what came with it.</returns>
    /// <exception cref="CmpException">The transaction failed.</exception>
    public Task<EnrollmentResult> UpdateKeyAsync(CertificateRequestTemplate template, CancellationToken cancellationToken = default) =>
        RequestCertificateAsync(CertificateRequestKind.KeyUpdate, template, cancellationToken);

    /// <summary>PKCS#10 enrollment: p10cr/cp (RFC 9810, section 5.3.4; OSSL_CMP_exec_P10CR_ses).</summary>
    /// <param name="pkcs10Request">The DER-encoded PKCS#10 certification request.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The new certificate and what came with it.</returns>
    /// <exception cref="CmpException">The transaction failed.</exception>
    public Task<EnrollmentResult> EnrollPkcs10Async(ReadOnlyMemory<byte> pkcs10Request, CancellationToken cancellationToken = default) =>
        RequestCertificateAsync(CertificateRequestKind.Pkcs10, new CertificateRequestTemplate { Pkcs10Request = pkcs10Request }, cancellationToken);

    /// <summary>
    /// Any certificate request through the one pipeline (OpenSSL's OSSL_CMP_exec_certreq): build the
    /// request, protect, send, validate, poll while the server says waiting (waiting checkAfter, capped
    /// by the total timeout, C32), check the certificate, confirm.
    /// </summary>
    /// <param name="kind">ir, cr, kur or p10cr.</param>
    /// <param name="template">What to request (for p10cr: <see cref="CertificateRequestTemplate.Pkcs10Request"/>).</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The new certificate and what came with it.</returns>
    /// <exception cref="CmpException">The transaction failed.</exception>
    public async Task<EnrollmentResult> RequestCertificateAsync(CertificateRequestKind kind, CertificateRequestTemplate template,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        return await RunAsync(new CertificateOperation(this, kind, template), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The non-blocking form of <see cref="RequestCertificateAsync"/> (OpenSSL's OSSL_CMP_try_certreq):
    /// sends the request and returns either the result or, when the server delays delivery (RFC 9810,
    /// section 5.3.22), a <see cref="CmpPendingRequest"/> saying when to check back. It never sleeps.
    /// Continue with <see cref="ContinueRequestAsync"/>, or end with <see cref="AbortRequestAsync"/>.
    /// The total timeout (<see cref="CmpClientOptions.TotalTimeout"/>) counts from this call.
    /// </summary>
    /// <param name="kind">ir, cr, kur or p10cr.</param>
    /// <param name="template">What to request.</param>
    /// <param name="cancellationToken">Cancels this step (the transaction then ends).</param>
    /// <returns>The result, or the pending request.</returns>
    /// <exception cref="CmpException">The transaction failed.</exception>
    public async Task<CmpRequestProgress> TryRequestCertificateAsync(CertificateRequestKind kind, CertificateRequestTemplate template,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        var operation = new CertificateOperation(this, kind, template);
        return await TryStepAsync(new CmpPendingRequest(this, operation, kind), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Continues a pending request: sends one pollReq and returns the result, or the same pending
    /// request with a new <see cref="CmpPendingRequest.CheckAfter"/> (C31, C32). A second waiting status
    /// after polling fails after an error message to the server (C33).
    /// </summary>
    /// <param name="pending">The pending request returned by an earlier step.</param>
    /// <param name="cancellationToken">Cancels this step (the transaction then ends).</param>
    /// <returns>The result, or the pending request.</returns>
    /// <exception cref="CmpException">The transaction failed, or <paramref name="pending"/> is not pending (InvalidOptions).</exception>
    public async Task<CmpRequestProgress> ContinueRequestAsync(CmpPendingRequest pending, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        CheckOwner(pending);
        pending.Enter();
        return await TryStepAsync(pending, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Aborts a pending request (C32, C37): sends an error message (rejection, "polling aborted") to the
    /// server, expects pkiConf (C21), and ends the transaction.
    /// </summary>
    /// <param name="pending">The pending request.</param>
    /// <param name="cancellationToken">Cancels the abort.</param>
    /// <exception cref="CmpException">The server did not confirm, or <paramref name="pending"/> is not pending (InvalidOptions). The transaction has ended either way.</exception>
    public async Task AbortRequestAsync(CmpPendingRequest pending, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pending);
        CheckOwner(pending);
        pending.Enter();
        var op = pending.Operation;
        try
        {
            var error = RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.None, "polling aborted", 0, "by application");
            await op.Tx.SendErrorAsync(error, op.Parties, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("CMP polling aborted by the application; the server confirmed");
        }
        catch (CmpException e)
        {
            e.TransactionId ??= op.Tx.State.TransactionId;
            _logger.LogDebug("CMP abort failed: {Reason}", e.Reason);
            throw;
        }
        finally
        {
            pending.End();
        }
    }

    private void CheckOwner(CmpPendingRequest pending)
    {
        if (!ReferenceEquals(pending.Client, this))
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "the pending request belongs to another CmpClient", transactionId: pending.TransactionId);
        }
    }

    private async Task<CmpRequestProgress> TryStepAsync(CmpPendingRequest pending, CancellationToken ct)
    {
        var op = (CertificateOperation)pending.Operation;
        bool waiting = false;
        try
        {
            if (await StepAsync(op, ct).ConfigureAwait(false) is TimeSpan wait)
            {
                waiting = true;
                pending.Wait(wait, _time.GetUtcNow() + wait);
                _logger.LogInformation("CMP server says waiting; check again in {Seconds} s", (int)Math.Ceiling(wait.TotalSeconds));
                return new CmpRequestProgress(pending);
            }
            return new CmpRequestProgress(op.Result!);
        }
        catch (CmpException e)
        {
            e.TransactionId ??= op.Tx.State.TransactionId;
            _logger.LogDebug("CMP transaction failed: {Reason}", e.Reason);
            throw;
        }
        finally
        {
            if (!waiting)
            {
                pending.End();
            }
        }
    }

    private static ProtectionSpec? CreateProtection(CmpClientOptions o)
    {
        if (o.UnprotectedRequests)
        {
            return null;
        }
        // As OpenSSL: a shared secret, when given, protects requests; else the certificate's key.
        if (o.MacCredentials is { } mac)
        {
            if (mac.Secret.IsEmpty)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "the shared secret for MAC protection is empty");
            }
            if (mac.IterationCount < 100)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "the PBM iteration count must be at least 100 (RFC 4211, section 4.4)");
            }
            return new MacProtectionSpec(mac.Secret.ToArray(), mac.Reference?.ToArray(), mac.OneWayFunction, mac.MacAlgorithm,
                mac.IterationCount, mac.SaltLength);
        }
        if (o.SignatureCredentials is { } sig)
        {
            if (!PublicKeyMatches(sig.Certificate, sig.PrivateKey))
            {
                throw new CmpException(CmpFailureReason.InvalidCredentials, "the private key does not belong to the client certificate");
            }
            return new SignatureProtectionSpec(sig.Certificate, sig.PrivateKey, OwnChain(sig, o.UntrustedCertificates), o.Digest, o.UseRsaPss);
        }
        throw new CmpException(CmpFailureReason.InvalidOptions,
            "no credentials to protect requests: give MAC credentials (reference and secret) or signature credentials (certificate and key), or allow unprotected requests");
    }

    /// <summary>
    /// The chain sent after the protecting certificate in extraCerts (RFC 9483, 3.3): the given
    /// chain, completed as far as possible from the untrusted certificates, as OpenSSL does;
    /// self-signed certificates (trust anchors) are left out.
    /// </summary>
    private static List<X509Certificate2> OwnChain(CmpSignatureCredentials credentials, X509Certificate2Collection untrusted)
    {
        var result = new List<X509Certificate2>();
        if (credentials.Chain.Count == 0 && untrusted.Count == 0)
        {
            // Nothing to complete the chain from: an X509Chain would only cost time (and could only add
            // certificates from the system store, which OpenSSL does not send either).
            return result;
        }
        var built = CompleteChain(credentials.Certificate, [], [.. credentials.Chain, .. untrusted]);
        foreach (var c in credentials.Chain.Concat(built))
        {
            bool selfSigned = c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData);
            if (!selfSigned && !result.Any(r => Certificates.SameEncoding(r, c)))
            {
                result.Add(c);
            }
        }
        return result;
    }

    /// <summary>
    /// The certificates above <paramref name="leaf"/> as far as they can be found among
    /// <paramref name="anchors"/> and <paramref name="others"/>: chain completion for what is sent or saved
    /// (extraCerts, -chainout), not validation (that is SenderCertificateValidator's).
    /// </summary>
    internal static List<X509Certificate2> CompleteChain(X509Certificate2 leaf, IEnumerable<X509Certificate2> anchors, IEnumerable<X509Certificate2> others)
    {
        using var chain = new X509Chain();
        var p = chain.ChainPolicy;
        p.TrustMode = X509ChainTrustMode.CustomRootTrust;
        p.RevocationMode = X509RevocationMode.NoCheck;
        p.DisableCertificateDownloads = true;
        p.VerificationFlags = X509VerificationFlags.AllFlags;
        foreach (var c in anchors)
        {
            p.CustomTrustStore.Add(c);
        }
        foreach (var c in others)
        {
            p.ExtraStore.Add(c);
        }
        chain.Build(leaf);
        return [.. chain.ChainElements.Skip(1).Select(e => e.Certificate)];
    }

    internal static bool PublicKeyMatches(X509Certificate2 certificate, AsymmetricAlgorithm key)
    {
        try
        {
            return certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(ExportSpki(key));
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    internal static byte[] ExportSpki(AsymmetricAlgorithm key) => Protection.SubjectPublicKeys.Export(key);
}
