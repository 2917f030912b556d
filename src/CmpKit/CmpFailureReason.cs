namespace CmpKit;

/// <summary>
/// Why a CMP transaction failed. There is one value per response check of the client
/// (the check ids C1..C37 refer to CmpKit's list of checks, derived from RFC 9810 and
/// OpenSSL's client) and one per local error.
/// </summary>
public enum CmpFailureReason
{
    /// <summary>No failure (the default value; never carried by a <see cref="CmpException"/>).</summary>
    None = 0,

    // ---- local errors -------------------------------------------------------------------
    /// <summary>The client options or the request given by the caller are incomplete or inconsistent.</summary>
    InvalidOptions,
    /// <summary>A key or certificate given by the caller cannot be used for what it was given for.</summary>
    InvalidCredentials,

    // ---- transfer (C1-C4) -----------------------------------------------------------------
    /// <summary>C1: the server answered with an HTTP status other than 200.</summary>
    HttpError,
    /// <summary>C1: the HTTP response's content type is not application/pkixcmp.</summary>
    InvalidContentType,
    /// <summary>C1: the response body is not exactly one DER-encoded PKIMessage.</summary>
    MalformedResponse,
    /// <summary>C1: the server could not be reached, or the connection failed.</summary>
    ConnectionFailed,
    /// <summary>C2: the response is larger than <c>MaxResponseSize</c>.</summary>
    ResponseTooLarge,
    /// <summary>C3: no response arrived within the per-message timeout.</summary>
    MessageTimeout,
    /// <summary>C3, C32: the transaction did not finish within the total timeout.</summary>
    TotalTimeout,
    /// <summary>C4: keep-alive was required but the server closed the connection.</summary>
    KeepAliveRefused,

    // ---- header (C5-C13) ------------------------------------------------------------------
    /// <summary>C5: the response's sender is not a directoryName.</summary>
    SenderNotDirectoryName,
    /// <summary>C6: the response's sender is not the expected sender.</summary>
    UnexpectedSender,
    /// <summary>C8: the response is not protected and unprotected responses of this kind are not allowed.</summary>
    MissingProtection,
    /// <summary>C9: the response's pvno is neither 2 nor 3.</summary>
    UnsupportedVersion,
    /// <summary>C10: the response's body type is not a known one.</summary>
    UnknownBodyType,
    /// <summary>C11: the response's transactionID is not the request's.</summary>
    TransactionIdMismatch,
    /// <summary>C12: the response's recipNonce is not the senderNonce of the request it answers.</summary>
    RecipNonceMismatch,
    /// <summary>
    /// C7, C27, C36: the response carries more certificates in one list (extraCerts, caPubs, a caCerts value) than
    /// <c>CmpClientOptions.MaxExtraCertificates</c> or <c>MaxCaCertificates</c> allow.
    /// </summary>
    TooManyCertificates,

    // ---- protection (C14-C20) -------------------------------------------------------------
    /// <summary>C14: the response is MAC-protected but no shared secret is configured.</summary>
    MissingSecret,
    /// <summary>C14: the MAC over the response does not verify.</summary>
    InvalidMac,
    /// <summary>C14: the MAC parameters are out of the accepted range (e.g. an excessive iteration count).</summary>
    MacParametersRejected,
    /// <summary>C15: the response is protected with an algorithm this client does not support.</summary>
    UnsupportedProtectionAlgorithm,
    /// <summary>C16: the response is signed but neither a pinned server certificate nor trust anchors are configured.</summary>
    NoTrustAnchor,
    /// <summary>C17, C18: no certificate was found that matches the sender and verifies the signature.</summary>
    SenderCertificateNotFound,
    /// <summary>C18: the signature over the response does not verify with the (pinned) sender certificate.</summary>
    InvalidSignature,
    /// <summary>C19: the sender certificate's key usage does not allow digitalSignature.</summary>
    SenderKeyUsageInvalid,
    /// <summary>C20: the sender certificate does not chain to a configured trust anchor.</summary>
    SenderCertificateUntrusted,

    // ---- response type and status (C21-C24) -----------------------------------------------
    /// <summary>C21: the server answered with an error message; see <see cref="CmpException.ServerStatus"/>.</summary>
    ServerError,
    /// <summary>C21, C25: the response's body type is not the one the request expects.</summary>
    UnexpectedBody,
    /// <summary>C23: the certificate response does not hold exactly one CertResponse.</summary>
    InvalidResponseCount,
    /// <summary>C23: the CertResponse's certReqId does not match the request.</summary>
    CertReqIdMismatch,
    /// <summary>C24: the server rejected the request; see <see cref="CmpException.ServerStatus"/>.</summary>
    RequestRejected,
    /// <summary>C24: the response carries a status not allowed here (e.g. keyUpdateWarning outside kur, unknown values).</summary>
    UnexpectedStatus,

    // ---- certificate response (C26-C30) ---------------------------------------------------
    /// <summary>C26: a positive certificate response holds no certificate.</summary>
    CertificateMissing,
    /// <summary>C26: the response holds an encrypted certificate or private key that cannot be used.</summary>
    UnsupportedCertificateEncoding,
    /// <summary>C26: the response carries a private key although central key generation was not requested.</summary>
    UnexpectedPrivateKey,
    /// <summary>C28: the new certificate's public key is not the enrollment key.</summary>
    PublicKeyMismatch,
    /// <summary>C29: the new certificate does not validate against the "out trusted" store.</summary>
    NewCertificateUntrusted,

    // ---- central key generation (C38-C44; RFC 9810 section 5.3.4, RFC 9483 section 4.1.6) ----
    /// <summary>C38: central key generation was requested but the positive response carries no private key.</summary>
    CentralKeyMissing,
    /// <summary>C39: the private key is sent in a form or with an algorithm this client does not support (e.g. the deprecated EncryptedValue).</summary>
    CentralKeyUnsupported,
    /// <summary>C39: the EnvelopedData has no RecipientInfo this client can use (not for its certificate, or no shared secret).</summary>
    CentralKeyNoRecipient,
    /// <summary>C40: the private key cannot be decrypted (wrong key, or damaged key or content encryption).</summary>
    CentralKeyDecryptionFailed,
    /// <summary>C41: the SignedData around the key package is malformed, or its signature or signed attributes do not verify.</summary>
    CentralKeyInvalidSignature,
    /// <summary>C42: the key generation authority's certificate does not chain to the trust anchors or is not authorized (id-kp-cmKGA).</summary>
    CentralKeyGeneratorUntrusted,
    /// <summary>C43: the key package is malformed or does not hold exactly one RSA or EC private key.</summary>
    CentralKeyMalformed,
    /// <summary>C44: the received private key does not belong to the new certificate's public key.</summary>
    CentralKeyMismatch,

    // ---- polling (C31-C33) ----------------------------------------------------------------
    /// <summary>C31: the pollRep is malformed (count, certReqId or checkAfter out of range).</summary>
    InvalidPollResponse,
    /// <summary>C33: the server answered "waiting" again while the client was already polling.</summary>
    UnexpectedWaiting,

    // ---- revocation (C34, C35) -------------------------------------------------------------
    /// <summary>C35: the rp does not hold exactly one status, or its crls field does not hold exactly one CRL.</summary>
    InvalidRevocationResponse,
    /// <summary>C35: the rp's revCerts is not exactly one CertId naming the issuer and serial number of the revoked certificate.</summary>
    RevokedCertificateMismatch,

    // ---- general messages (C36) -----------------------------------------------------------
    /// <summary>C36: the genp does not hold exactly one InfoTypeAndValue of the requested infoType.</summary>
    UnexpectedInfoType,
    /// <summary>C36: caCerts holds a certificate that is not a currently valid CA certificate, or is malformed.</summary>
    InvalidCaCertificates,
    /// <summary>C36: rootCaKeyUpdate's newWithNew does not verify via oldWithOld and newWithOld (or the trust anchors), or is malformed.</summary>
    NewRootCaCertificateUntrusted,
    /// <summary>C36: rootCaKeyUpdate's oldWithNew does not verify with newWithNew or is not for the old root CA key.</summary>
    InvalidOldWithNew,
    /// <summary>C36: the certReqTemplate value (certTemplate, keySpec) is malformed.</summary>
    InvalidCertificateRequestTemplate,
    /// <summary>C36: the crls value does not hold exactly one well-formed CRL.</summary>
    InvalidCrlUpdate,
    /// <summary>C36: the signKeyPairTypes value is absent, empty or not a list of AlgorithmIdentifiers.</summary>
    InvalidSignKeyPairTypes,
    /// <summary>C36: the suppLangTags value is not exactly one of the offered language tags.</summary>
    InvalidLanguageTag,
}
