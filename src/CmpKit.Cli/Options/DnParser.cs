using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace CmpKit.Cli.Options;

/// <summary>
/// Parses distinguished names in OpenSSL's command-line syntax (<c>-subject</c>, <c>-issuer</c>,
/// <c>-recipient</c>, <c>-expect_sender</c>): <c>/type0=value0/type1=value1+type2=value2...</c>,
/// where <c>+</c> joins attributes into one multi-valued RDN and <c>\</c> escapes the next
/// character of a value. Types are OpenSSL short or long names or dotted OIDs. Values are
/// encoded as OpenSSL does with its default <c>utf8only</c> string mask: UTF8String, except
/// PrintableString for C, serialNumber, dnQualifier, jurisdictionC and IA5String for
/// emailAddress and DC; OpenSSL's length limits (C exactly 2, CN at most 64 ...) apply.
/// </summary>
internal static partial class DnParser
{
    private sealed record AttributeType(string Oid, UniversalTagNumber Tag, int MinLength = 1, int MaxLength = int.MaxValue);

    private static readonly Dictionary<string, AttributeType> Types = BuildTypes();

    /// <summary>Parses a DN; attributes with an empty value are skipped with a warning.</summary>
    /// <param name="text">The DN, e.g. <c>/C=AU/O=Example/CN=leaf</c>.</param>
    /// <param name="warnings">Receives "skipped" warnings; may be null.</param>
    /// <exception cref="CliException">syntax error, unknown type, value not encodable.</exception>
    public static X500DistinguishedName Parse(string text, ICollection<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || text[0] != '/')
        {
            throw new CliException($"DN '{text}' must have the form /type0=value0/type1=value1/... (characters may be escaped with \\)");
        }

        var rdns = new List<List<byte[]>>();
        bool isMulti = false;
        int i = 1;
        while (i < text.Length)
        {
            int typeStart = i;
            while (i < text.Length && text[i] != '=')
            {
                i++;
            }

            string type = text[typeStart..i];
            if (i >= text.Length)
            {
                throw new CliException($"missing '=' after attribute type '{type}' in DN '{text}'");
            }

            i++; // '='
            var value = new StringBuilder();
            bool nextIsMulti = false;
            while (i < text.Length && text[i] != '/')
            {
                char c = text[i];
                if (c == '+')
                {
                    nextIsMulti = true;
                    break;
                }

                if (c == '\\')
                {
                    i++;
                    if (i >= text.Length)
                    {
                        throw new CliException($"escape character at end of DN '{text}'");
                    }
                }

                value.Append(text[i]);
                i++;
            }

            if (i < text.Length)
            {
                i++; // the '/' or '+'
            }

            AttributeType attribute = Lookup(type)
                ?? throw new CliException($"unknown attribute type '{type}' in DN '{text}'");
            if (value.Length == 0)
            {
                warnings?.Add($"no value provided for attribute '{type}' in DN '{text}'; skipped");
                isMulti = nextIsMulti;
                continue;
            }

            byte[] atv = EncodeAttribute(attribute, type, value.ToString(), text);
            if (isMulti && rdns.Count > 0)
            {
                rdns[^1].Add(atv);
            }
            else
            {
                rdns.Add([atv]);
            }

            isMulti = nextIsMulti;
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var rdn in rdns)
            {
                using (writer.PushSetOf()) // DER sorts the members of a multi-valued RDN, as OpenSSL does
                {
                    foreach (byte[] atv in rdn)
                    {
                        writer.WriteEncodedValue(atv);
                    }
                }
            }
        }

        return new X500DistinguishedName(writer.Encode());
    }

    private static AttributeType? Lookup(string type)
    {
        if (Types.TryGetValue(type, out var known))
        {
            return known;
        }

        if (DottedOid().IsMatch(type))
        {
            // A dotted OID of a known type follows that type's rules, any other is UTF8String.
            return Types.Values.FirstOrDefault(t => t.Oid == type) ?? new AttributeType(type, UniversalTagNumber.UTF8String);
        }

        return null;
    }

    // The attribute as one AttributeTypeAndValue, encoded by X500DistinguishedNameBuilder
    // (which checks the characters against the string type) and cut out of its one-RDN name.
    private static byte[] EncodeAttribute(AttributeType attribute, string type, string value, string dn)
    {
        int length = value.EnumerateRunes().Count();
        if (attribute.MinLength == attribute.MaxLength && length != attribute.MaxLength)
        {
            throw new CliException($"value of '{type}' in DN '{dn}' must be {attribute.MaxLength} characters long");
        }

        if (length > attribute.MaxLength)
        {
            throw new CliException($"value of '{type}' in DN '{dn}' is longer than {attribute.MaxLength} characters");
        }

        X500DistinguishedName single;
        try
        {
            var builder = new X500DistinguishedNameBuilder();
            builder.Add(attribute.Oid, value, attribute.Tag);
            single = builder.Build();
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or EncoderFallbackException)
        {
            string kind = attribute.Tag switch
            {
                UniversalTagNumber.PrintableString => "a PrintableString (letters, digits, space and '()+,-./:=?)",
                UniversalTagNumber.IA5String => "an IA5String (ASCII)",
                _ => "a " + attribute.Tag,
            };
            throw new CliException($"value of '{type}' in DN '{dn}' has characters not allowed in {kind}");
        }

        var reader = new AsnReader(single.RawData, AsnEncodingRules.DER);
        var rdnSet = reader.ReadSequence().ReadSetOf();
        return rdnSet.ReadEncodedValue().ToArray();
    }

    [GeneratedRegex(@"^[0-2](\.(0|[1-9][0-9]*))+$", RegexOptions.CultureInvariant)]
    private static partial Regex DottedOid();

    private static Dictionary<string, AttributeType> BuildTypes()
    {
        const UniversalTagNumber Utf8 = UniversalTagNumber.UTF8String;
        const UniversalTagNumber Printable = UniversalTagNumber.PrintableString;
        const UniversalTagNumber Ia5 = UniversalTagNumber.IA5String;
        var map = new Dictionary<string, AttributeType>(StringComparer.Ordinal);
        void Add(string shortName, string longName, AttributeType t)
        {
            map[shortName] = t;
            map[longName] = t;
        }

        Add("C", "countryName", new("2.5.4.6", Printable, 2, 2));
        Add("ST", "stateOrProvinceName", new("2.5.4.8", Utf8, 1, 128));
        Add("L", "localityName", new("2.5.4.7", Utf8, 1, 128));
        Add("O", "organizationName", new("2.5.4.10", Utf8, 1, 64));
        Add("OU", "organizationalUnitName", new("2.5.4.11", Utf8, 1, 64));
        Add("CN", "commonName", new("2.5.4.3", Utf8, 1, 64));
        Add("emailAddress", "emailAddress", new("1.2.840.113549.1.9.1", Ia5, 1, 128));
        Add("serialNumber", "serialNumber", new("2.5.4.5", Printable, 1, 64));
        Add("DC", "domainComponent", new("0.9.2342.19200300.100.1.25", Ia5));
        Add("UID", "userId", new("0.9.2342.19200300.100.1.1", Utf8));
        Add("mail", "rfc822Mailbox", new("0.9.2342.19200300.100.1.3", Utf8));
        Add("street", "streetAddress", new("2.5.4.9", Utf8));
        Add("title", "title", new("2.5.4.12", Utf8, 1, 64));
        Add("GN", "givenName", new("2.5.4.42", Utf8, 1, 32768));
        Add("SN", "surname", new("2.5.4.4", Utf8, 1, 32768));
        Add("initials", "initials", new("2.5.4.43", Utf8, 1, 32768));
        Add("pseudonym", "pseudonym", new("2.5.4.65", Utf8));
        Add("generationQualifier", "generationQualifier", new("2.5.4.44", Utf8, 1, 32768));
        Add("dnQualifier", "dnQualifier", new("2.5.4.46", Printable));
        Add("name", "name", new("2.5.4.41", Utf8, 1, 32768));
        Add("postalCode", "postalCode", new("2.5.4.17", Utf8, 1, 40));
        Add("postOfficeBox", "postOfficeBox", new("2.5.4.18", Utf8));
        Add("businessCategory", "businessCategory", new("2.5.4.15", Utf8, 1, 128));
        Add("description", "description", new("2.5.4.13", Utf8));
        Add("telephoneNumber", "telephoneNumber", new("2.5.4.20", Utf8));
        Add("role", "role", new("2.5.4.72", Utf8));
        Add("organizationIdentifier", "organizationIdentifier", new("2.5.4.97", Utf8));
        Add("unstructuredName", "unstructuredName", new("1.2.840.113549.1.9.2", Utf8));
        Add("jurisdictionL", "jurisdictionLocalityName", new("1.3.6.1.4.1.311.60.2.1.1", Utf8));
        Add("jurisdictionST", "jurisdictionStateOrProvinceName", new("1.3.6.1.4.1.311.60.2.1.2", Utf8));
        Add("jurisdictionC", "jurisdictionCountryName", new("1.3.6.1.4.1.311.60.2.1.3", Printable, 2, 2));
        return map;
    }
}
