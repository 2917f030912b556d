using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Server;

/// <summary>
/// Configuration of <see cref="CmpServer"/>, mirroring the mock-server options of <c>openssl cmp</c>
/// (<c>-srv_ref</c>, <c>-srv_secret</c>, <c>-srv_cert</c>, ... <c>-accept_raverified</c>). Immutable.
/// </summary>
public sealed class MockCaOptions
{
    /// <summary>senderKID of MAC-protected responses (OpenSSL's <c>-srv_ref</c>).</summary>
    public ReadOnlyMemory<byte>? SrvRef { get; init; }

    /// <summary>
    /// Shared secret to verify MAC-protected requests and to protect their responses (OpenSSL's <c>-srv_secret</c>).
    /// Null or empty: none (an empty value counts as none because a null <c>byte[]</c> converts to an empty memory).
    /// </summary>
    public ReadOnlyMemory<byte>? SrvSecret { get; init; }

    /// <summary>Certificate that signs responses (OpenSSL's <c>-srv_cert</c>); default: the CA certificate when the CA has a key here.</summary>
    public X509Certificate2? SrvCert { get; init; }

    /// <summary>Private key of <see cref="SrvCert"/> (OpenSSL's <c>-srv_key</c>).</summary>
    public AsymmetricAlgorithm? SrvKey { get; init; }

    /// <summary>Trust anchors for the certificates of signature-protected requests (OpenSSL's <c>-srv_trusted</c>); when empty, the CA certificate.</summary>
    public X509Certificate2Collection SrvTrusted { get; init; } = [];

    /// <summary>Intermediate certificates for building the chain of a request's signer (OpenSSL's <c>-srv_untrusted</c>).</summary>
    public X509Certificate2Collection SrvUntrusted { get; init; } = [];

    /// <summary>Reference certificate (OpenSSL's <c>-ref_cert</c>, used for rr and some genm answers); kept for completeness.</summary>
    public X509Certificate2? RefCert { get; init; }

    /// <summary>A fixed certificate returned by every enrollment instead of issuing one (OpenSSL's <c>-rsp_cert</c>).</summary>
    public X509Certificate2? RspCert { get; init; }

    /// <summary>
    /// The key pair returned on central key generation (OpenSSL's <c>-rsp_key</c>), the private key of
    /// <see cref="RspCert"/> when that is set. Without it, a fresh key of the requested algorithm is generated
    /// (then <see cref="RspCert"/> must not be set, since it could not match).
    /// </summary>
    public AsymmetricAlgorithm? RspKey { get; init; }

    /// <summary>Certificates added to extraCerts of ip/cp/kup, after the signer certificate (OpenSSL's <c>-rsp_extracerts</c>).</summary>
    public X509Certificate2Collection RspExtraCerts { get; init; } = [];

    /// <summary>Certificates sent as caPubs in ip/cp/kup (OpenSSL's <c>-rsp_capubs</c>).</summary>
    public X509Certificate2Collection RspCaPubs { get; init; } = [];

    /// <summary>
    /// The DER CRL a genm with id-it-crlStatusList is answered with (OpenSSL's <c>-rsp_crl</c>; RFC 9483, section 4.3.4):
    /// sent when the client's CRLStatus names its issuer (or a distribution point) and has no thisUpdate, or an older
    /// one; otherwise the id-it-crls answer has no value. Null: every such genm gets an answer without a CRL.
    /// </summary>
    public ReadOnlyMemory<byte>? RspCrl { get; init; }

    /// <summary>
    /// The new root CA certificate a genm with id-it-rootCaCert is answered with in id-it-rootCaKeyUpdate (OpenSSL's
    /// <c>-rsp_newwithnew</c>; RFC 9483, section 4.3.2), unless the client's oldWithOld has another subject. Null: the
    /// answer has no value (no update available).
    /// </summary>
    public X509Certificate2? RspNewWithNew { get; init; }

    /// <summary>The newWithOld link certificate of the rootCaKeyUpdate answer (OpenSSL's <c>-rsp_newwithold</c>); needs <see cref="RspNewWithNew"/>.</summary>
    public X509Certificate2? RspNewWithOld { get; init; }

    /// <summary>The oldWithNew link certificate of the rootCaKeyUpdate answer (OpenSSL's <c>-rsp_oldwithnew</c>); needs <see cref="RspNewWithNew"/>.</summary>
    public X509Certificate2? RspOldWithNew { get; init; }

    /// <summary>
    /// The certificate profiles a certificate request may name in its certProfile generalInfo (RFC 9810, section
    /// 5.1.1.4); a request naming another profile (its first entry counts) is rejected with badCertTemplate.
    /// Default: "profile1", the one profile OpenSSL's mock server knows. Null: any profile is accepted.
    /// </summary>
    public IReadOnlyCollection<string>? CertProfiles { get; init; } = ["profile1"];

    /// <summary>
    /// Do not keep the certificates received in requests' extraCerts (OpenSSL's <c>-no_cache_extracerts</c>). By
    /// default, as OpenSSL's server does, the extraCerts of every request whose protection verified are kept (up to
    /// <see cref="MaxCachedExtraCerts"/>, oldest forgotten first) as untrusted certificates for building the chains
    /// of later signed requests, so that a client need not send its chain again.
    /// </summary>
    public bool NoCacheExtraCerts { get; init; }

    /// <summary>How many certificates from requests' extraCerts are kept at most (see <see cref="NoCacheExtraCerts"/>); default 256.</summary>
    public int MaxCachedExtraCerts { get; init; } = 256;

    /// <summary>
    /// How many times the client is told to wait before it gets the certificate (OpenSSL's <c>-poll_count</c>):
    /// the first answer is an ip/cp/kup with status waiting, the next N-1 pollReqs get a pollRep,
    /// and the following pollReq gets the final ip/cp/kup. 0: no polling.
    /// </summary>
    public int PollCount { get; init; }

    /// <summary>checkAfter in pollRep, seconds (OpenSSL's <c>-check_after</c>, default 1).</summary>
    public int CheckAfter { get; init; } = 1;

    /// <summary>Grant implicit confirmation when the request asks for it (OpenSSL's <c>-grant_implicitconf</c>).</summary>
    public bool GrantImplicitConfirm { get; init; }

    /// <summary>PKIStatus of responses (OpenSSL's <c>-pkistatus</c>, 0..6); -1: accepted.</summary>
    public int PkiStatus { get; init; } = -1;

    /// <summary>A single failure bit number (OpenSSL's <c>-failure</c>, 0..26); -1: none.</summary>
    public int Failure { get; init; } = -1;

    /// <summary>Failure bits as a number (bit n = 1 &lt;&lt; n; OpenSSL's <c>-failurebits</c>); combined with <see cref="Failure"/>.</summary>
    public int FailureBits { get; init; }

    /// <summary>statusString of responses (OpenSSL's <c>-statusstring</c>).</summary>
    public string? StatusString { get; init; }

    /// <summary>Answer every request with an error message (OpenSSL's <c>-send_error</c>).</summary>
    public bool SendError { get; init; }

    /// <summary>Send all responses without protection (OpenSSL's <c>-send_unprotected</c>).</summary>
    public bool SendUnprotected { get; init; }

    /// <summary>Send negative responses (error messages, rejections) without protection (OpenSSL's <c>-send_unprot_err</c>).</summary>
    public bool SendUnprotectedErrors { get; init; }

    /// <summary>Accept requests with missing or invalid protection (OpenSSL's <c>-accept_unprotected</c>).</summary>
    public bool AcceptUnprotected { get; init; }

    /// <summary>Accept unprotected error messages and negative certConfs from clients (OpenSSL's <c>-accept_unprot_err</c>).</summary>
    public bool AcceptUnprotectedErrors { get; init; }

    /// <summary>Accept raVerified as proof of possession (OpenSSL's <c>-accept_raverified</c>).</summary>
    public bool AcceptRaVerified { get; init; }

    /// <summary>Ignore validity periods when validating the signer of a request (OpenSSL's <c>-no_check_time</c>).</summary>
    public bool NoCheckTime { get; init; }

    /// <summary>For hosts: stop after this many messages (OpenSSL's <c>-max_msgs</c>); 0: unlimited. The engine only counts.</summary>
    public int MaxMessages { get; init; }

    /// <summary>CA certificate for issuing real certificates (needs <see cref="CaKey"/>); when neither it nor <see cref="RspCert"/> is given, an ephemeral CA is created.</summary>
    public X509Certificate2? CaCertificate { get; init; }

    /// <summary>Private key of <see cref="CaCertificate"/>.</summary>
    public AsymmetricAlgorithm? CaKey { get; init; }

    /// <summary>Validity of issued certificates when the request does not say (default 365 days).</summary>
    public TimeSpan DefaultValidity { get; init; } = TimeSpan.FromDays(365);

    /// <summary>
    /// How many transactions are remembered at once, finished or not; when a new one would exceed it, the one
    /// that started first is forgotten (its next request gets "no transaction with this transactionID is
    /// open"). Default 1000.
    /// </summary>
    public int MaxTransactions { get; init; } = 1000;

    /// <summary>
    /// How long a transaction is remembered after its last request; then it is forgotten as if it had never
    /// been (a pollReq or certConf for it is refused). Never shorter than twice <see cref="CheckAfter"/>, so
    /// that a client that polls as told is not cut off. Measured with the server's TimeProvider. Default 10 minutes.
    /// </summary>
    public TimeSpan TransactionLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How many issued certificates the server remembers for revocation (rr) and <see cref="CmpServer.IsRevoked"/>;
    /// beyond it the one issued first is forgotten (an rr for it is then answered "not known"). The configured
    /// certificates (ref_cert, rsp_cert) are always remembered. Default 100,000.
    /// </summary>
    public int MaxKnownCertificates { get; init; } = 100_000;

    /// <summary>The highest PBM iteration count accepted in requests (DoS protection).</summary>
    public int MaxPbmIterations { get; init; } = 100_000;

    /// <summary>
    /// The most certificates accepted in the extraCerts of a request (DoS protection: each is decoded and
    /// offered to path building); a request with more gets a badRequest error before any is decoded. Default 100.
    /// </summary>
    public int MaxExtraCertificates { get; init; } = 100;

    /// <summary>
    /// The most intermediate CA certificates in the chain from a request's signer to a trust anchor (as
    /// OpenSSL's -verify_depth: neither end counts); a longer chain is not trusted (signerNotTrusted). Default 10.
    /// </summary>
    public int MaxChainDepth { get; init; } = 10;
}
