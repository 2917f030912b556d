using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Protection;

namespace CmpKit.Validation;

/// <summary>C36: the checks of the typed general-message helpers (RFC 9810, section 5.3.19; OpenSSL's cmp_genm.c).</summary>
internal static class GeneralMessageChecks
{
    /// <summary>C36: the genp holds exactly one ITAV of <paramref name="infoType"/> (others are ignored).</summary>
    public static CmpInfoTypeAndValue ExpectInfoType(IReadOnlyList<CmpInfoTypeAndValue> genp, string infoType)
    {
        var matching = genp.Where(i => i.TypeValue == infoType).ToList();
        if (matching.Count != 1)
        {
            throw new CmpException(CmpFailureReason.UnexpectedInfoType,
                $"the genp holds {matching.Count} InfoTypeAndValue of type {infoType} (and {genp.Count - matching.Count} of other types); exactly one was expected");
        }
        return matching[0];
    }

    /// <summary>C36: caCerts are CA certificates (basicConstraints cA) valid at <paramref name="now"/>.</summary>
    public static void CaCertificates(IReadOnlyList<X509Certificate2> certificates, DateTimeOffset now)
    {
        foreach (var c in certificates)
        {
            if (c.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            {
                throw new CmpException(CmpFailureReason.InvalidCaCertificates, $"caCerts holds '{c.Subject}', which is not a CA certificate");
            }
            if (!ValidAt(c, now))
            {
                throw new CmpException(CmpFailureReason.InvalidCaCertificates,
                    $"caCerts holds '{c.Subject}', which is not valid now (valid {c.NotBefore.ToUniversalTime():u} to {c.NotAfter.ToUniversalTime():u})");
            }
        }
    }

    /// <summary>
    /// C36: newWithNew is self-signed and verifies via newWithOld, which carries the same key and is
    /// signed by the old root CA key (<paramref name="oldWithOld"/>, or else a trust anchor named as its
    /// issuer), all valid now; without newWithOld, newWithNew must already be a trust anchor. oldWithNew,
    /// if present, verifies with newWithNew's key and certifies the old root CA key.
    /// </summary>
    public static void RootCaKeyUpdate(RootCaKeyUpdateData update, X509Certificate2? oldWithOld, IReadOnlyList<X509Certificate2> trustAnchors, DateTimeOffset now)
    {
        var newWithNew = update.NewWithNew;
        var newKey = newWithNew.PublicKey.ExportSubjectPublicKeyInfo();
        if (!CertificateSignatures.IsSignedBy(newWithNew, newKey) || !ValidAt(newWithNew, now))
        {
            throw Untrusted("newWithNew is not a self-signed certificate valid now");
        }
        if (update.NewWithOld is not { } newWithOld)
        {
            if (!trustAnchors.Any(a => Certificates.SameEncoding(a, newWithNew)))
            {
                throw Untrusted("rootCaKeyUpdate has no newWithOld, and newWithNew is not a trust anchor");
            }
        }
        else
        {
            if (!Certificates.SamePublicKey(newWithOld, newKey) || !Names.AreEqual(Names.ToX509Name(newWithOld.SubjectName), newWithNew.SubjectName))
            {
                throw Untrusted("newWithOld does not certify newWithNew's subject and key");
            }
            if (!ValidAt(newWithOld, now))
            {
                throw Untrusted("newWithOld is not valid now");
            }
            var candidates = oldWithOld is not null ? [oldWithOld]
                : trustAnchors.Where(a => Names.AreEqual(Names.ToX509Name(a.SubjectName), newWithOld.IssuerName)).ToList();
            if (!candidates.Any(old => ValidAt(old, now) && CertificateSignatures.IsSignedBy(newWithOld, old.PublicKey.ExportSubjectPublicKeyInfo())))
            {
                throw Untrusted(oldWithOld is not null
                    ? "newWithOld does not verify with the old root CA certificate (oldWithOld), or that is not valid now"
                    : "newWithOld does not verify with any trust anchor");
            }
        }
        if (update.OldWithNew is { } oldWithNew)
        {
            if (!CertificateSignatures.IsSignedBy(oldWithNew, newKey))
            {
                throw new CmpException(CmpFailureReason.InvalidOldWithNew, "oldWithNew does not verify with newWithNew's key");
            }
            if (oldWithOld is not null && !Certificates.SamePublicKey(oldWithNew, oldWithOld.PublicKey.ExportSubjectPublicKeyInfo()))
            {
                throw new CmpException(CmpFailureReason.InvalidOldWithNew, "oldWithNew does not certify the old root CA key");
            }
        }
    }

    private static CmpException Untrusted(string text) => new(CmpFailureReason.NewRootCaCertificateUntrusted, text);

    /// <summary>C36: keySpec, if present, holds at least one entry, each id-regCtrl-algId (an AlgorithmIdentifier) or id-regCtrl-rsaKeyLen (a positive INTEGER).</summary>
    public static (IReadOnlyList<string> Algorithms, int? RsaKeyLength) KeySpec(CertReqTemplateData template)
    {
        const CmpFailureReason reason = CmpFailureReason.InvalidCertificateRequestTemplate;
        var algorithms = new List<string>();
        int? rsaKeyLength = null;
        if (template.KeySpec is not { } keySpec)
        {
            return (algorithms, null);
        }
        if (keySpec.Count == 0)
        {
            throw new CmpException(reason, "the certReqTemplate's keySpec is empty");
        }
        foreach (var (type, value) in keySpec)
        {
            switch (type)
            {
                case InfoTypes.RegCtrlAlgId:
                    algorithms.Add(GeneralMessages.ReadAlgorithmOid(value, reason));
                    break;
                case InfoTypes.RegCtrlRsaKeyLen:
                    var length = GeneralMessages.ReadInt(value, reason);
                    if (length <= 0)
                    {
                        throw new CmpException(reason, $"the certReqTemplate's keySpec asks for an RSA key length of {length}");
                    }
                    rsaKeyLength = length;
                    break;
                default:
                    throw new CmpException(reason, $"the certReqTemplate's keySpec holds an unknown control {type}");
            }
        }
        return (algorithms, rsaKeyLength);
    }

    /// <summary>C36: the crls value holds exactly one CRL.</summary>
    public static T SingleCrl<T>(IReadOnlyList<T> crls) => crls.Count == 1
        ? crls[0]
        : throw new CmpException(CmpFailureReason.InvalidCrlUpdate, $"the crls value holds {crls.Count} CRLs; exactly one was expected");

    /// <summary>C36: signKeyPairTypes holds at least one algorithm.</summary>
    public static void SignKeyPairTypes(IReadOnlyList<string> algorithms)
    {
        if (algorithms.Count == 0)
        {
            throw new CmpException(CmpFailureReason.InvalidSignKeyPairTypes, "the signKeyPairTypes value lists no algorithm");
        }
    }

    /// <summary>C36: suppLangTags in a genp holds exactly one tag, one of those offered (RFC 9810, section 5.3.19.13).</summary>
    public static string LanguageTag(IReadOnlyList<string> tags, IReadOnlyCollection<string> offered)
    {
        if (tags.Count != 1)
        {
            throw new CmpException(CmpFailureReason.InvalidLanguageTag, $"the suppLangTags value holds {tags.Count} tags; exactly one was expected");
        }
        if (!offered.Contains(tags[0], StringComparer.OrdinalIgnoreCase))
        {
            throw new CmpException(CmpFailureReason.InvalidLanguageTag, $"the server chose the language tag '{tags[0]}', which was not offered");
        }
        return tags[0];
    }

    private static bool ValidAt(X509Certificate2 c, DateTimeOffset now) =>
        now >= c.NotBefore.ToUniversalTime() && now <= c.NotAfter.ToUniversalTime();
}
