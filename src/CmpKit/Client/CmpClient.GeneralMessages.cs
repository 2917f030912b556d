using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Validation;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Client;

// genm/genp (RFC 9810, sections 5.3.19, 5.3.20; RFC 9483, section 4.3; OpenSSL's OSSL_CMP_exec_GENM_ses and cmp_genm.c): C36.
public sealed partial class CmpClient
{
    /// <summary>
    /// Sends a general message (genm) with the given InfoTypeAndValues and returns the genp's list as
    /// received (OpenSSL's OSSL_CMP_exec_GENM_ses). Delayed delivery (an error message with status
    /// waiting) is followed by polling as for any request.
    /// </summary>
    /// <param name="items">The ITAVs to send (may be empty).</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The genp's ITAVs, in order.</returns>
    /// <exception cref="CmpException">The transaction failed.</exception>
    public Task<IReadOnlyList<CmpInfoTypeAndValue>> GeneralMessageAsync(IEnumerable<CmpInfoTypeAndValue> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        return GeneralMessageAsync([.. items], genp => genp, cancellationToken);
    }

    /// <summary>Gets the CA certificates the server offers (id-it-caCerts, RFC 9483, section 4.3.1); C36: each a CA certificate valid now.</summary>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The certificates; empty when the server sent none.</returns>
    /// <exception cref="CmpException">The transaction failed (UnexpectedInfoType, InvalidCaCertificates, ...).</exception>
    public Task<X509Certificate2Collection> GetCaCertificatesAsync(CancellationToken cancellationToken = default) =>
        GeneralMessageAsync([new CmpInfoTypeAndValue(new Oid(InfoTypes.CaCerts))], genp =>
        {
            var itav = GeneralMessageChecks.ExpectInfoType(genp, InfoTypes.CaCerts);
            var certs = itav.Value is { } v ? GeneralMessages.ReadCertificates(v, CmpFailureReason.InvalidCaCertificates, _options.MaxCaCertificates) : [];
            GeneralMessageChecks.CaCertificates(certs, _time.GetUtcNow());
            return new X509Certificate2Collection(certs.ToArray());
        }, cancellationToken);

    /// <summary>
    /// Asks for a root CA key update (id-it-rootCaCert → id-it-rootCaKeyUpdate, RFC 9483, section 4.3.2).
    /// C36: newWithNew must verify via <paramref name="oldRootCaCertificate"/> and newWithOld (or, without
    /// it, via the trust anchors), and oldWithNew, if sent, with newWithNew.
    /// </summary>
    /// <param name="oldRootCaCertificate">The root CA certificate in use (oldWithOld), sent to the server; null to use the trust anchors.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The verified update, or null when the server says there is none.</returns>
    /// <exception cref="CmpException">The transaction failed (UnexpectedInfoType, NewRootCaCertificateUntrusted, InvalidOldWithNew, ...).</exception>
    public Task<CmpRootCaKeyUpdate?> GetRootCaKeyUpdateAsync(X509Certificate2? oldRootCaCertificate = null, CancellationToken cancellationToken = default)
    {
        var request = new CmpInfoTypeAndValue(new Oid(InfoTypes.RootCaCert),
            oldRootCaCertificate is null ? (ReadOnlyMemory<byte>?)null : new ReadOnlyMemory<byte>(GeneralMessages.EncodeCertificate(oldRootCaCertificate)));
        return GeneralMessageAsync([request], genp =>
        {
            var itav = GeneralMessageChecks.ExpectInfoType(genp, InfoTypes.RootCaKeyUpdate);
            if (itav.Value is not { } v)
            {
                return null;
            }
            var update = GeneralMessages.ReadRootCaKeyUpdate(v, CmpFailureReason.NewRootCaCertificateUntrusted);
            GeneralMessageChecks.RootCaKeyUpdate(update, oldRootCaCertificate, _policy.TrustAnchors, _time.GetUtcNow());
            return new CmpRootCaKeyUpdate(update.NewWithNew, update.NewWithOld, update.OldWithNew);
        }, cancellationToken);
    }

    /// <summary>
    /// Gets the certificate request template (id-it-certReqTemplate, RFC 9483, section 4.3.3), with
    /// the certificate profile of <see cref="CmpClientOptions.CertificateProfile"/> if set. C36: keySpec well-formed.
    /// </summary>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The template, or null when the server has none.</returns>
    /// <exception cref="CmpException">The transaction failed (UnexpectedInfoType, InvalidCertificateRequestTemplate, ...).</exception>
    public Task<CmpCertificateRequestTemplateInfo?> GetCertificateRequestTemplateAsync(CancellationToken cancellationToken = default) =>
        GeneralMessageAsync([new CmpInfoTypeAndValue(new Oid(InfoTypes.CertReqTemplate))], genp =>
        {
            var itav = GeneralMessageChecks.ExpectInfoType(genp, InfoTypes.CertReqTemplate);
            if (itav.Value is not { } v)
            {
                return null;
            }
            var data = GeneralMessages.ReadCertReqTemplate(v, CmpFailureReason.InvalidCertificateRequestTemplate);
            var (algorithms, rsaKeyLength) = GeneralMessageChecks.KeySpec(data);
            return new CmpCertificateRequestTemplateInfo(data.TemplateDer, data.Subject, data.Extensions,
                [.. algorithms.Select(a => new Oid(a))], rsaKeyLength);
        }, cancellationToken);

    /// <summary>
    /// Asks for a CRL newer than the one the caller has (id-it-crlStatusList → id-it-crls, RFC 9483,
    /// section 4.3.4). C36: the answer holds exactly one CRL.
    /// </summary>
    /// <param name="issuer">The CRL issuer (the CRLSource issuer choice), used when <paramref name="distributionPoint"/> is empty.</param>
    /// <param name="distributionPoint">The CRL distribution point's full names (URIs), if known.</param>
    /// <param name="thisUpdate">thisUpdate of the CRL the caller has, if any.</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The DER CRL, or null when the server has no newer one.</returns>
    /// <exception cref="CmpException">The transaction failed (UnexpectedInfoType, InvalidCrlUpdate, ...).</exception>
    public async Task<ReadOnlyMemory<byte>?> GetCrlUpdateAsync(X500DistinguishedName? issuer, IReadOnlyList<Uri>? distributionPoint = null,
        DateTimeOffset? thisUpdate = null, CancellationToken cancellationToken = default)
    {
        if (issuer is null && (distributionPoint is null || distributionPoint.Count == 0))
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "a CRL update request needs the CRL issuer or a distribution point");
        }
        var value = GeneralMessages.EncodeCrlStatusList(issuer, distributionPoint ?? [], thisUpdate);
        return await GeneralMessageAsync([new CmpInfoTypeAndValue(new Oid(InfoTypes.CrlStatusList), value)], genp =>
        {
            var itav = GeneralMessageChecks.ExpectInfoType(genp, InfoTypes.Crls);
            if (itav.Value is not { } v)
            {
                return (ReadOnlyMemory<byte>?)null;
            }
            var crl = GeneralMessageChecks.SingleCrl(GeneralMessages.ReadCrls(v, CmpFailureReason.InvalidCrlUpdate));
            return crl.Der;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets the signature algorithms the CA accepts for protection (id-it-signKeyPairTypes, RFC 9810, section 5.3.19.2).</summary>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The algorithm OIDs.</returns>
    /// <exception cref="CmpException">The transaction failed (UnexpectedInfoType, InvalidSignKeyPairTypes, ...).</exception>
    public Task<IReadOnlyList<Oid>> GetSignKeyPairTypesAsync(CancellationToken cancellationToken = default) =>
        GeneralMessageAsync([new CmpInfoTypeAndValue(new Oid(InfoTypes.SignKeyPairTypes))], genp =>
        {
            var itav = GeneralMessageChecks.ExpectInfoType(genp, InfoTypes.SignKeyPairTypes);
            var algorithms = itav.Value is { } v ? GeneralMessages.ReadAlgorithmList(v, CmpFailureReason.InvalidSignKeyPairTypes) : [];
            GeneralMessageChecks.SignKeyPairTypes(algorithms);
            return (IReadOnlyList<Oid>)[.. algorithms.Select(a => new Oid(a))];
        }, cancellationToken);

    /// <summary>
    /// Negotiates the language for texts (id-it-suppLangTags, RFC 9810, section 5.3.19.13): offers
    /// <paramref name="languageTags"/>; C36: the server picks exactly one of them.
    /// </summary>
    /// <param name="languageTags">The tags the client supports, e.g. "en", "de".</param>
    /// <param name="cancellationToken">Cancels the transaction.</param>
    /// <returns>The tag the server chose.</returns>
    /// <exception cref="CmpException">The transaction failed (UnexpectedInfoType, InvalidLanguageTag, ...).</exception>
    public async Task<string> NegotiateLanguageTagAsync(IReadOnlyList<string> languageTags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(languageTags);
        if (languageTags.Count == 0)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, "offer at least one language tag");
        }
        var offer = new CmpInfoTypeAndValue(new Oid(InfoTypes.SupportedLanguageTags), GeneralMessages.EncodeUtf8Strings(languageTags));
        return await GeneralMessageAsync([offer], genp =>
        {
            var itav = GeneralMessageChecks.ExpectInfoType(genp, InfoTypes.SupportedLanguageTags);
            var tags = itav.Value is { } v ? GeneralMessages.ReadUtf8Strings(v, CmpFailureReason.InvalidLanguageTag) : [];
            return GeneralMessageChecks.LanguageTag(tags, [.. languageTags]);
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> GeneralMessageAsync<T>(IReadOnlyList<CmpInfoTypeAndValue> items, Func<IReadOnlyList<CmpInfoTypeAndValue>, T> interpret, CancellationToken ct) =>
        await RunAsync(new GeneralMessageOperation<T>(this, items, interpret), ct).ConfigureAwait(false);

    private sealed class GeneralMessageOperation<T> : Operation<T>
    {
        private readonly IReadOnlyList<CmpInfoTypeAndValue> _items;
        private readonly Func<IReadOnlyList<CmpInfoTypeAndValue>, T> _interpret;

        public GeneralMessageOperation(CmpClient client, IReadOnlyList<CmpInfoTypeAndValue> items, Func<IReadOnlyList<CmpInfoTypeAndValue>, T> interpret)
            : base(client)
        {
            _items = items;
            _interpret = interpret;
            Parties = client.PartiesFor(null, null, null);
        }

        public override IReadOnlyList<InfoTypeAndValue> FirstGeneralInfo => Client._certProfile is { } p ? [p] : [];

        public override PkiBody BuildRequest() => GeneralMessages.Genm(_items);

        public override Task<bool> HandleFinalAsync(PkiMessage response, CancellationToken ct)
        {
            BodyChecks.ExpectBody(response, BodyType.Genp); // C21, C25
            Result = _interpret(GeneralMessages.ReadGenp(response.Body)); // C36 for the typed helpers
            return Task.FromResult(true);
        }
    }
}
