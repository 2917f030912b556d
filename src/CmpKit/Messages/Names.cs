using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Messages;

/// <summary>Conversions between .NET distinguished names and the GeneralName of CMP headers.</summary>
internal static class Names
{
    /// <summary>The NULL-DN (an empty SEQUENCE) as directoryName, RFC 9810 section 5.1.1.</summary>
    public static GeneralName NullDn => new(new X509Name(new List<DerObjectIdentifier>(), new List<string>()));

    public static X509Name ToX509Name(X500DistinguishedName name) =>
        X509Name.GetInstance(Asn1Object.FromByteArray(name.RawData));

    public static X500DistinguishedName ToDotNet(X509Name name) => new(name.GetEncoded(Asn1Encodable.Der));

    public static GeneralName ToGeneralName(X500DistinguishedName? name) =>
        name is null ? NullDn : new GeneralName(ToX509Name(name));

    /// <summary>The directoryName of a GeneralName, or null if it is another kind of name.</summary>
    public static X509Name? DirectoryName(GeneralName? name) =>
        name is { TagNo: GeneralName.DirectoryName } ? X509Name.GetInstance(name.Name) : null;

    public static bool IsNullDn(X509Name name) => name.GetOidList().Count == 0;

    /// <summary>DN equality as X509_NAME_cmp does it: equal encodings, or equivalent after normalisation.</summary>
    public static bool AreEqual(X509Name a, X509Name b)
    {
        if (a.GetEncoded(Asn1Encodable.Der).AsSpan().SequenceEqual(b.GetEncoded(Asn1Encodable.Der)))
        {
            return true;
        }
        return a.Equivalent(b, true);
    }

    public static bool AreEqual(X509Name a, X500DistinguishedName b) => AreEqual(a, ToX509Name(b));

    /// <summary>A readable form of a name for messages, in OpenSSL's /A=b/C=d style.</summary>
    public static string Describe(X509Name? name)
    {
        if (name is null)
        {
            return "(none)";
        }
        if (IsNullDn(name))
        {
            return "NULL-DN";
        }
        var dn = ToDotNet(name).Format(false);
        return dn;
    }

    public static string Describe(GeneralName? name)
    {
        try
        {
            return name switch
            {
                null => "(none)",
                { TagNo: GeneralName.DirectoryName } => Describe(X509Name.GetInstance(name.Name)),
                _ => name.ToString(),
            };
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            // e.g. a UTF8String with invalid UTF-8 (DecoderFallbackException, an ArgumentException): found by fuzzing the client.
            return $"(a GeneralName [{name!.TagNo}] that cannot be displayed)";
        }
    }
}
