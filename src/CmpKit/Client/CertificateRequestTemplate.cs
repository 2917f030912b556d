using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Client;

/// <summary>How the client proves possession of the new private key (RFC 4211, section 4).</summary>
public enum ProofOfPossessionMethod
{
    /// <summary>A signature with the new key over the CertRequest (the default; needs the private key).</summary>
    Signature = 0,
    /// <summary>The RA has verified possession already (raVerified).</summary>
    RaVerified = 1,
    /// <summary>No proof of possession is sent.</summary>
    None = 2,
}

/// <summary>
/// What to ask for in an ir, cr or kur (the CRMF CertTemplate and its controls, RFC 4211), or the
/// PKCS#10 request of a p10cr. Anything not given is filled from the reference certificate where
/// OpenSSL does so (subject, issuer and SANs of the old or client certificate).
/// </summary>
public sealed class CertificateRequestTemplate
{
    /// <summary>The new key pair (RSA or ECDsa with a private key). Needed for signature POP.</summary>
    public AsymmetricAlgorithm? NewKey { get; init; }

    /// <summary>The new public key as DER SubjectPublicKeyInfo, when the private key is not at hand (POP raVerified or none).</summary>
    public ReadOnlyMemory<byte>? NewPublicKey { get; init; }

    /// <summary>The subject to ask for.</summary>
    public X500DistinguishedName? Subject { get; init; }

    /// <summary>The issuer to ask for.</summary>
    public X500DistinguishedName? Issuer { get; init; }

    /// <summary>Validity in days from now (notBefore = now, notAfter = now + days).</summary>
    public int? ValidityDays { get; init; }

    /// <summary>DNS names for the subjectAltName extension.</summary>
    public IReadOnlyList<string> DnsNames { get; init; } = [];

    /// <summary>IP addresses for the subjectAltName extension.</summary>
    public IReadOnlyList<IPAddress> IpAddresses { get; init; } = [];

    /// <summary>URIs for the subjectAltName extension.</summary>
    public IReadOnlyList<Uri> Uris { get; init; } = [];

    /// <summary>E-mail addresses (rfc822Name) for the subjectAltName extension.</summary>
    public IReadOnlyList<string> EmailAddresses { get; init; } = [];

    /// <summary>Whether the subjectAltName extension built from the lists above is critical.</summary>
    public bool SubjectAlternativeNamesCritical { get; init; }

    /// <summary>Do not copy SANs from the reference certificate when none are given (OpenSSL's -san_nodefault).</summary>
    public bool NoDefaultSubjectAlternativeNames { get; init; }

    /// <summary>Further extensions to request (key usage, extended key usage, basic constraints, ...).</summary>
    public IReadOnlyList<X509Extension> Extensions { get; init; } = [];

    /// <summary>Certificate policy OIDs to request (certificatePolicies extension).</summary>
    public IReadOnlyList<Oid> PolicyOids { get; init; } = [];

    /// <summary>Whether the certificatePolicies extension built from <see cref="PolicyOids"/> is critical.</summary>
    public bool PoliciesCritical { get; init; }

    /// <summary>The certificate to update (kur) or to take defaults from; its issuer and serial go into the oldCertID control for kur.</summary>
    public X509Certificate2? OldCertificate { get; init; }

    /// <summary>A DER PKCS#10 request: the body of a p10cr, or for ir/cr/kur a source of subject, key and extensions.</summary>
    public ReadOnlyMemory<byte>? Pkcs10Request { get; init; }

    /// <summary>The proof-of-possession method.</summary>
    public ProofOfPossessionMethod ProofOfPossession { get; init; } = ProofOfPossessionMethod.Signature;

    /// <summary>
    /// Ask the server to generate the key pair (central key generation, RFC 9483 section 4.1.6; OpenSSL's
    /// <c>-centralkeygen</c> or <c>-popo -1</c>). The request then carries no proof of possession and a
    /// publicKey with only the algorithm of <see cref="NewKey"/> or <see cref="NewPublicKey"/> (else of the
    /// PKCS#10 request's key, the old certificate's or the client's key, as OpenSSL does), or none at all
    /// when there is no such key. The response must carry the private key, encrypted for the client's
    /// certificate or with its MAC secret and signed by a trusted key generation authority; it is checked
    /// and returned in <see cref="EnrollmentResult.PrivateKey"/>. Not for p10cr; <see cref="ProofOfPossession"/>
    /// must not be <see cref="ProofOfPossessionMethod.RaVerified"/>.
    /// </summary>
    public bool CentralKeyGeneration { get; init; }
}
