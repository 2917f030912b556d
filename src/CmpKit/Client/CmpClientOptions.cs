using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Client;

/// <summary>Shared-secret credentials for PasswordBasedMac protection (RFC 9810, section 5.1.3.1).</summary>
public sealed class CmpMacCredentials
{
    /// <summary>Creates MAC credentials.</summary>
    /// <param name="secret">The shared secret (OpenSSL's -secret, as bytes).</param>
    /// <param name="reference">The reference value sent as senderKID (OpenSSL's -ref), if any.</param>
    public CmpMacCredentials(ReadOnlyMemory<byte> secret, ReadOnlyMemory<byte>? reference = null)
    {
        Secret = secret;
        Reference = reference;
    }

    /// <summary>The shared secret.</summary>
    public ReadOnlyMemory<byte> Secret { get; }

    /// <summary>The reference (senderKID), if any.</summary>
    public ReadOnlyMemory<byte>? Reference { get; }

    /// <summary>The one-way function for the PBM base key (OpenSSL: the -digest, default SHA-256).</summary>
    public HashAlgorithmName OneWayFunction { get; init; } = HashAlgorithmName.SHA256;

    /// <summary>The HMAC hash (OpenSSL's -mac; OpenSSL defaults to hmac-sha1, RFC 9481 recommends SHA-256).</summary>
    public HashAlgorithmName MacAlgorithm { get; init; } = HashAlgorithmName.SHA256;

    /// <summary>The PBM iteration count for messages we send (OpenSSL uses 500).</summary>
    public int IterationCount { get; init; } = 500;

    /// <summary>The salt length in bytes for messages we send (OpenSSL uses 16).</summary>
    public int SaltLength { get; init; } = 16;
}

/// <summary>Certificate-based credentials for signature protection (RFC 9810, section 5.1.3.3).</summary>
public sealed class CmpSignatureCredentials
{
    /// <summary>Creates signature credentials.</summary>
    /// <param name="certificate">The protecting (client) certificate.</param>
    /// <param name="privateKey">Its private key (RSA or ECDsa).</param>
    /// <param name="chain">Intermediate certificates to send after it in extraCerts.</param>
    public CmpSignatureCredentials(X509Certificate2 certificate, AsymmetricAlgorithm privateKey, X509Certificate2Collection? chain = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(privateKey);
        Certificate = certificate;
        PrivateKey = privateKey;
        Chain = chain ?? [];
    }

    /// <summary>The protecting certificate.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The private key of <see cref="Certificate"/>.</summary>
    public AsymmetricAlgorithm PrivateKey { get; }

    /// <summary>The certificates of its chain (without the trust anchor, usually).</summary>
    public X509Certificate2Collection Chain { get; }
}

/// <summary>Which certificates of the server's chain get their revocation status checked (C20).</summary>
public enum CmpRevocationCheck
{
    /// <summary>None (the default, as OpenSSL's without -crl_check).</summary>
    None,

    /// <summary>The server's signing certificate only (OpenSSL's -crl_check).</summary>
    EndCertificate,

    /// <summary>Every certificate of the chain except the trust anchor (OpenSSL's -crl_check_all).</summary>
    EntireChain,
}

/// <summary>
/// The CMP context: everything that stays the same across transactions with one server
/// (OpenSSL's OSSL_CMP_CTX). Immutable once built; validated by <see cref="CmpClient"/>.
/// </summary>
public sealed record CmpClientOptions
{
    /// <summary>The recipient put in request headers; default: the pinned server certificate's subject, else the issuer of the old or client certificate, else NULL-DN.</summary>
    public X500DistinguishedName? Recipient { get; init; }

    /// <summary>C6: the sender responses must come from; default: the pinned server certificate's subject, else any.</summary>
    public X500DistinguishedName? ExpectedSender { get; init; }

    /// <summary>C16: a pinned server certificate, used directly to verify signed responses (OpenSSL's -srvcert).</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>C20: trust anchors for the server's signing certificate (OpenSSL's -trusted).</summary>
    public X509Certificate2Collection TrustAnchors { get; init; } = [];

    /// <summary>C20, C29: accept chains that end at a trust anchor which is not self-signed (OpenSSL's -partial_chain).</summary>
    public bool PartialChain { get; init; }

    /// <summary>
    /// C20: check the revocation status of the server's signing certificate (OpenSSL's -crl_check) or of
    /// its whole chain up to the trust anchor (-crl_check_all) with <see cref="CertificateRevocationLists"/>;
    /// a certificate without a usable CRL of its issuer fails the check. Not applied to a pinned
    /// <see cref="ServerCertificate"/> (C16: no path validation) nor to <see cref="OutTrusted"/> (C29: as
    /// OpenSSL, which disables status checking for the newly enrolled certificate).
    /// </summary>
    public CmpRevocationCheck RevocationCheck { get; init; }

    /// <summary>DER-encoded X.509 CRLs for <see cref="RevocationCheck"/>; decoded when the client is created.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> CertificateRevocationLists { get; init; } = [];

    /// <summary>C17: intermediate certificates that may help build chains (OpenSSL's -untrusted).</summary>
    public X509Certificate2Collection UntrustedCertificates { get; init; } = [];

    /// <summary>C19: accept server certificates whose keyUsage lacks digitalSignature (OpenSSL's -ignore_keyusage).</summary>
    public bool IgnoreKeyUsage { get; init; }

    /// <summary>C8: accept unprotected error messages and negative responses (OpenSSL's -unprotected_errors).</summary>
    public bool UnprotectedErrors { get; init; }

    /// <summary>MAC credentials (OpenSSL's -ref/-secret). Used for protection when no signature credentials are set, and always to verify MAC-protected responses.</summary>
    public CmpMacCredentials? MacCredentials { get; init; }

    /// <summary>Signature credentials (OpenSSL's -cert/-key).</summary>
    public CmpSignatureCredentials? SignatureCredentials { get; init; }

    /// <summary>The digest for signatures and POP (OpenSSL's -digest, default SHA-256).</summary>
    public HashAlgorithmName Digest { get; init; } = HashAlgorithmName.SHA256;

    /// <summary>Sign with RSASSA-PSS instead of PKCS#1 v1.5 when the key is RSA.</summary>
    public bool UseRsaPss { get; init; }

    /// <summary>Further certificates to send in extraCerts (OpenSSL's -extracerts).</summary>
    public X509Certificate2Collection ExtraCertificates { get; init; } = [];

    /// <summary>Send requests without protection (OpenSSL's -unprotected_requests).</summary>
    public bool UnprotectedRequests { get; init; }

    /// <summary>Ask the server to grant implicit confirmation (OpenSSL's -implicit_confirm).</summary>
    public bool ImplicitConfirm { get; init; }

    /// <summary>Do not send certConf even when the server did not grant implicit confirmation (OpenSSL's -disable_confirm; violates RFC 9810).</summary>
    public bool DisableConfirm { get; init; }

    /// <summary>C29: trust anchors the newly enrolled certificate must validate against (OpenSSL's -out_trusted).</summary>
    public X509Certificate2Collection? OutTrusted { get; init; }

    /// <summary>C13: accept caPubs of a MAC-protected ip as trust anchors for <see cref="OutTrusted"/> validation.</summary>
    public bool TrustCaPubsFromMacProtectedResponse { get; init; }

    /// <summary>C3: timeout for each response (OpenSSL's -msg_timeout, default 120 s). Null or zero: none.</summary>
    public TimeSpan? MessageTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>C3: timeout for a whole transaction including polling (OpenSSL's -total_timeout). Null or zero: none.</summary>
    public TimeSpan? TotalTimeout { get; init; }

    /// <summary>C14: the highest PBM iteration count accepted in responses (DoS protection).</summary>
    public int MaxPbmIterations { get; init; } = 100_000;

    /// <summary>
    /// C7: the most certificates accepted in the extraCerts of one response (DoS protection: each is decoded and
    /// offered to path building). A response with more fails with <see cref="CmpFailureReason.TooManyCertificates"/>
    /// before any of them is decoded. Default 100.
    /// </summary>
    public int MaxExtraCertificates { get; init; } = 100;

    /// <summary>
    /// C27, C36: the most CA certificates accepted in the caPubs of an ip/cp/kup or the caCerts value of a genp.
    /// More fail with <see cref="CmpFailureReason.TooManyCertificates"/>. Default 100.
    /// </summary>
    public int MaxCaCertificates { get; init; } = 100;

    /// <summary>
    /// C20, C29: the most intermediate CA certificates in a chain from a certificate to its trust anchor (as
    /// OpenSSL's -verify_depth, neither the end-entity certificate nor the trust anchor counts). A longer chain
    /// does not validate (<see cref="CmpFailureReason.SenderCertificateUntrusted"/>,
    /// <see cref="CmpFailureReason.NewCertificateUntrusted"/>). Default 10.
    /// </summary>
    public int MaxChainDepth { get; init; } = 10;

    /// <summary>
    /// C32: how long the client keeps polling after the server first said waiting, whatever the total timeout;
    /// when it ends, one last pollReq is sent and a further pollRep fails with <see cref="CmpFailureReason.TotalTimeout"/>.
    /// Applies to the blocking and the non-blocking form. Null or zero: no limit but <see cref="TotalTimeout"/>.
    /// Default 1 day (OpenSSL has no such limit; its total timeout is unlimited by default).
    /// </summary>
    public TimeSpan? MaxPollingDuration { get; init; } = TimeSpan.FromDays(1);

    /// <summary>C31: the longest checkAfter accepted in a pollRep.</summary>
    public TimeSpan MaxCheckAfter { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Allowed clock skew when checking certificate validity of the server's certificate.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// InfoTypeAndValues placed in the generalInfo field of the header of every message sent (OpenSSL's
    /// <c>-geninfo OID:int:N</c> and <c>OID:str:text</c>; see <see cref="CmpInfoTypeAndValue.Integer"/>
    /// and <see cref="CmpInfoTypeAndValue.Utf8String"/>). Checked when the client is created.
    /// </summary>
    public IReadOnlyList<CmpInfoTypeAndValue> GeneralInfo { get; init; } = [];

    /// <summary>
    /// The certificate profile to ask for (RFC 9483, section 3.1: the certProfile ITAV,
    /// id-it-certProfile, SEQUENCE OF UTF8String with this one name), placed in the generalInfo of
    /// the first message of ir, cr, kur, p10cr and genm transactions (OpenSSL 3.3's -profile).
    /// </summary>
    public string? CertificateProfile { get; init; }

    /// <summary>
    /// Called with the server certificate whenever a response's signature protection has been validated
    /// with a certificate not validated before in the transaction (checks C16-C20; OpenSSL's
    /// OSSL_CMP_CTX_get0_validatedSrvCert, the CLI's -srvcertout). Not called for MAC-protected responses.
    /// </summary>
    public Action<X509Certificate2>? ServerCertificateValidated { get; init; }
}
