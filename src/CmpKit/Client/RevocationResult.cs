using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Client;

/// <summary>The outcome of a successful revocation request (rr/rp, RFC 9810, section 5.3.9).</summary>
public sealed class RevocationResult
{
    internal RevocationResult(CmpStatusInfo status, IReadOnlyList<string> warnings, ReadOnlyMemory<byte> transactionId, X509Certificate2Collection extraCertificates)
    {
        Status = status;
        Warnings = warnings;
        TransactionId = transactionId;
        ExtraCertificates = extraCertificates;
    }

    /// <summary>The server's status: accepted, grantedWithMods, revocationWarning or revocationNotification.</summary>
    public CmpStatusInfo Status { get; }

    /// <summary>
    /// Warnings for the caller, e.g. that the certificate was already revoked (revocationWarning and
    /// revocationNotification, which CAs use for that) or that the request was granted with modifications.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The transaction id.</summary>
    public ReadOnlyMemory<byte> TransactionId { get; }

    /// <summary>C7: certificates received in extraCerts.</summary>
    public X509Certificate2Collection ExtraCertificates { get; }
}

/// <summary>A root CA key update (RFC 9810, section 5.3.19.15), verified as C36 describes.</summary>
public sealed class CmpRootCaKeyUpdate
{
    internal CmpRootCaKeyUpdate(X509Certificate2 newWithNew, X509Certificate2? newWithOld, X509Certificate2? oldWithNew)
    {
        NewWithNew = newWithNew;
        NewWithOld = newWithOld;
        OldWithNew = oldWithNew;
    }

    /// <summary>The new root CA certificate (self-signed with the new key).</summary>
    public X509Certificate2 NewWithNew { get; }

    /// <summary>The new root CA key certified with the old one, if sent.</summary>
    public X509Certificate2? NewWithOld { get; }

    /// <summary>The old root CA key certified with the new one, if sent.</summary>
    public X509Certificate2? OldWithNew { get; }
}

/// <summary>A certificate request template from the CA (RFC 9810, section 5.3.19.16; RFC 9483, section 4.3.3).</summary>
public sealed class CmpCertificateRequestTemplateInfo
{
    internal CmpCertificateRequestTemplateInfo(ReadOnlyMemory<byte> certTemplate, X500DistinguishedName? subject,
        IReadOnlyList<X509Extension> extensions, IReadOnlyList<System.Security.Cryptography.Oid> keyAlgorithms, int? rsaKeyLength)
    {
        CertTemplate = certTemplate;
        Subject = subject;
        Extensions = extensions;
        KeyAlgorithms = keyAlgorithms;
        RsaKeyLength = rsaKeyLength;
    }

    /// <summary>The DER CertTemplate (RFC 4211) as sent.</summary>
    public ReadOnlyMemory<byte> CertTemplate { get; }

    /// <summary>The subject the template prescribes, if any.</summary>
    public X500DistinguishedName? Subject { get; }

    /// <summary>The extensions the template prescribes (values may be empty where the client fills them).</summary>
    public IReadOnlyList<X509Extension> Extensions { get; }

    /// <summary>keySpec: the key algorithms the CA accepts (id-regCtrl-algId), in order; empty when keySpec is absent.</summary>
    public IReadOnlyList<System.Security.Cryptography.Oid> KeyAlgorithms { get; }

    /// <summary>keySpec: the RSA key length the CA asks for (id-regCtrl-rsaKeyLen), if any.</summary>
    public int? RsaKeyLength { get; }
}
