namespace CmpKit;

/// <summary>PKIStatus values (RFC 9810, section 5.2.3).</summary>
public enum PkiStatus
{
    /// <summary>The request was granted as asked.</summary>
    Accepted = 0,
    /// <summary>The request was granted with modifications.</summary>
    GrantedWithMods = 1,
    /// <summary>The request was rejected.</summary>
    Rejection = 2,
    /// <summary>The request has not been processed yet; poll later.</summary>
    Waiting = 3,
    /// <summary>A revocation is imminent.</summary>
    RevocationWarning = 4,
    /// <summary>A revocation has occurred.</summary>
    RevocationNotification = 5,
    /// <summary>Key update already done for the old certificate.</summary>
    KeyUpdateWarning = 6,
}

/// <summary>PKIFailureInfo bits (RFC 9810, section 5.2.3), as flags: bit n of the ASN.1 BIT STRING is <c>1 &lt;&lt; n</c>.</summary>
[Flags]
public enum PkiFailureInfo
{
    /// <summary>No failure bit set.</summary>
    None = 0,
    /// <summary>Unrecognized or unsupported algorithm identifier.</summary>
    BadAlg = 1 << 0,
    /// <summary>Integrity check failed (e.g. signature did not verify).</summary>
    BadMessageCheck = 1 << 1,
    /// <summary>Transaction not permitted or supported.</summary>
    BadRequest = 1 << 2,
    /// <summary>messageTime was not sufficiently close to the system time.</summary>
    BadTime = 1 << 3,
    /// <summary>No certificate could be found matching the provided criteria.</summary>
    BadCertId = 1 << 4,
    /// <summary>The data submitted has the wrong format.</summary>
    BadDataFormat = 1 << 5,
    /// <summary>The authority indicated in the request is different from the one creating the response token.</summary>
    WrongAuthority = 1 << 6,
    /// <summary>The requester's data is incorrect (for notary services).</summary>
    IncorrectData = 1 << 7,
    /// <summary>The timestamp is missing but should be there.</summary>
    MissingTimeStamp = 1 << 8,
    /// <summary>The proof-of-possession failed.</summary>
    BadPop = 1 << 9,
    /// <summary>The certificate has already been revoked.</summary>
    CertRevoked = 1 << 10,
    /// <summary>The certificate has already been confirmed.</summary>
    CertConfirmed = 1 << 11,
    /// <summary>Invalid integrity, password-based instead of signature or vice versa.</summary>
    WrongIntegrity = 1 << 12,
    /// <summary>Invalid recipient nonce, either missing or wrong value.</summary>
    BadRecipientNonce = 1 << 13,
    /// <summary>The TSA's time source is not available.</summary>
    TimeNotAvailable = 1 << 14,
    /// <summary>The requested TSA policy is not supported.</summary>
    UnacceptedPolicy = 1 << 15,
    /// <summary>The requested extension is not supported.</summary>
    UnacceptedExtension = 1 << 16,
    /// <summary>The additional information requested could not be understood or is not available.</summary>
    AddInfoNotAvailable = 1 << 17,
    /// <summary>Invalid sender nonce, either missing or wrong size.</summary>
    BadSenderNonce = 1 << 18,
    /// <summary>Invalid certificate template or missing mandatory information.</summary>
    BadCertTemplate = 1 << 19,
    /// <summary>Signer of the message unknown or not trusted.</summary>
    SignerNotTrusted = 1 << 20,
    /// <summary>The transaction identifier is already in use.</summary>
    TransactionIdInUse = 1 << 21,
    /// <summary>The version of the message is not supported.</summary>
    UnsupportedVersion = 1 << 22,
    /// <summary>The sender was not authorized to make the preceding request.</summary>
    NotAuthorized = 1 << 23,
    /// <summary>The request cannot be handled due to system unavailability.</summary>
    SystemUnavail = 1 << 24,
    /// <summary>The request cannot be handled due to system failure.</summary>
    SystemFailure = 1 << 25,
    /// <summary>Certificate cannot be issued because a duplicate certificate already exists.</summary>
    DuplicateCertReq = 1 << 26,
}
