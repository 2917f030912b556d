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

    /// <summary>
    /// Whether two names match as OpenSSL's X509_NAME_cmp matches them (RFC 5280, section 7.1): equal
    /// <see cref="Canonical"/> forms. A name that cannot be read matches only an identical encoding.
    /// </summary>
    public static bool CanonicalEquals(X500DistinguishedName a, X500DistinguishedName b) =>
        a.RawData.AsSpan().SequenceEqual(b.RawData)
        || (Canonical(a.RawData) is { } ca && Canonical(b.RawData) is { } cb && ca == cb);

    /// <summary>
    /// A canonical form of a DER Name, usable as a dictionary key, in the way OpenSSL canonicalises names
    /// for X509_NAME_cmp: per RDN, each attribute's OID and, for a directory string (UTF8String,
    /// PrintableString, T61String, IA5String, VisibleString, BMPString, UniversalString), its text with
    /// leading and trailing white space removed, inner runs of white space made one space and ASCII letters
    /// lower-cased; any other value by its DER. Attributes of a multi-valued RDN are ordered. So
    /// "CN=Ab  c" as PrintableString and "cn=ab c" as UTF8String have the same form. Null when the
    /// encoding is not a Name.
    /// </summary>
    public static string? Canonical(ReadOnlySpan<byte> der)
    {
        try
        {
            var rdns = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(der.ToArray()));
            var sb = new System.Text.StringBuilder();
            foreach (var rdn in rdns)
            {
                var attributes = new List<string>();
                foreach (var element in Asn1Set.GetInstance(rdn))
                {
                    var atv = Asn1Sequence.GetInstance(element);
                    if (atv.Count != 2)
                    {
                        return null;
                    }
                    var oid = DerObjectIdentifier.GetInstance(atv[0]).Id;
                    var value = atv[1].ToAsn1Object();
                    attributes.Add(oid + "=" + (CanonicalText(value) is { } text
                        ? "s:" + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(text))
                        : "x:" + Convert.ToHexString(value.GetEncoded(Asn1Encodable.Der))));
                }
                attributes.Sort(StringComparer.Ordinal);
                sb.Append('/').AppendJoin('+', attributes);
            }
            return sb.ToString();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever BouncyCastle throws for a malformed encoding (IOException, ArgumentException, InvalidCastException, ...).
            return null;
        }
    }

    /// <summary>The canonical text of a directory string (see <see cref="Canonical"/>), or null for other types.</summary>
    private static string? CanonicalText(Asn1Object value)
    {
        string? text = value switch
        {
            // BouncyCastle's GetString() gives UniversalString as hex: decode UTF-32BE here.
            DerUniversalString u => new System.Text.UTF32Encoding(bigEndian: true, byteOrderMark: false, throwOnInvalidCharacters: true)
                .GetString(u.GetOctets()),
            DerUtf8String or DerPrintableString or DerT61String or DerIA5String or DerVisibleString or DerBmpString
                => ((IAsn1String)value).GetString(),
            _ => null,
        };
        if (text is null)
        {
            return null;
        }
        var sb = new System.Text.StringBuilder(text.Length);
        bool pendingSpace = false;
        foreach (var c in text)
        {
            // OpenSSL's ossl_isspace: space, \t, \n, \v, \f, \r.
            if (c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
            {
                pendingSpace = sb.Length > 0;
                continue;
            }
            if (pendingSpace)
            {
                sb.Append(' ');
                pendingSpace = false;
            }
            sb.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
        }
        return sb.ToString();
    }

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
