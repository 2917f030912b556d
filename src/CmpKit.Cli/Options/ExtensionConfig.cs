using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Cli.Options;

/// <summary>
/// Certificate extensions from an OpenSSL config section in x509v3_config syntax (as -reqexts and
/// -policies name them): basicConstraints, keyUsage, extendedKeyUsage, subjectAltName (inline or
/// @section), certificatePolicies (OIDs or @section with policyIdentifier). Each value may start
/// with "critical,". Anything else is a one-line error naming the section and the name.
/// </summary>
internal static class ExtensionConfig
{
    public static List<X509Extension> Load(OpenSslConfig config, string section, string option)
    {
        var entries = config.GetSection(section)
            ?? throw new CliException($"{option}: config file '{config.Source}' has no section [{section}]");
        var result = new List<X509Extension>();
        foreach (var (name, rawValue) in entries)
        {
            var (critical, value) = SplitCritical(rawValue);
            result.Add(name switch
            {
                "basicConstraints" => BasicConstraints(value, critical, section),
                "keyUsage" => KeyUsage(value, critical, section),
                "extendedKeyUsage" => ExtendedKeyUsage(value, critical, section),
                "subjectAltName" => SubjectAltName(config, value, critical, section),
                "certificatePolicies" => Policies(config, value, critical, section),
                _ => throw new CliException($"{option}: extension '{name}' in section [{section}] is not supported (basicConstraints, keyUsage, extendedKeyUsage, subjectAltName, certificatePolicies are)"),
            });
        }
        return result;
    }

    private static (bool Critical, string Value) SplitCritical(string value)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > 0 && parts[0] == "critical")
        {
            return (true, string.Join(",", parts.Skip(1)));
        }
        return (false, value.Trim());
    }

    private static IEnumerable<string> Items(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static X509Extension BasicConstraints(string value, bool critical, string section)
    {
        bool ca = false;
        int? pathLen = null;
        foreach (var item in Items(value))
        {
            var kv = item.Split(':', 2, StringSplitOptions.TrimEntries);
            switch (kv[0])
            {
                case "CA" when kv.Length == 2 && kv[1].Equals("TRUE", StringComparison.OrdinalIgnoreCase):
                    ca = true;
                    break;
                case "CA" when kv.Length == 2 && kv[1].Equals("FALSE", StringComparison.OrdinalIgnoreCase):
                    ca = false;
                    break;
                case "pathlen" when kv.Length == 2 && int.TryParse(kv[1], out var n) && n >= 0:
                    pathLen = n;
                    break;
                default:
                    throw new CliException($"basicConstraints in section [{section}]: cannot understand '{item}'");
            }
        }
        return new X509BasicConstraintsExtension(ca, pathLen is not null, pathLen ?? 0, critical);
    }

    private static X509Extension KeyUsage(string value, bool critical, string section)
    {
        X509KeyUsageFlags flags = X509KeyUsageFlags.None;
        foreach (var item in Items(value))
        {
            flags |= item switch
            {
                "digitalSignature" => X509KeyUsageFlags.DigitalSignature,
                "nonRepudiation" or "contentCommitment" => X509KeyUsageFlags.NonRepudiation,
                "keyEncipherment" => X509KeyUsageFlags.KeyEncipherment,
                "dataEncipherment" => X509KeyUsageFlags.DataEncipherment,
                "keyAgreement" => X509KeyUsageFlags.KeyAgreement,
                "keyCertSign" => X509KeyUsageFlags.KeyCertSign,
                "cRLSign" => X509KeyUsageFlags.CrlSign,
                "encipherOnly" => X509KeyUsageFlags.EncipherOnly,
                "decipherOnly" => X509KeyUsageFlags.DecipherOnly,
                _ => throw new CliException($"keyUsage in section [{section}]: unknown usage '{item}'"),
            };
        }
        return new X509KeyUsageExtension(flags, critical);
    }

    private static X509Extension ExtendedKeyUsage(string value, bool critical, string section)
    {
        var oids = new OidCollection();
        foreach (var item in Items(value))
        {
            oids.Add(new Oid(item switch
            {
                "serverAuth" => "1.3.6.1.5.5.7.3.1",
                "clientAuth" => "1.3.6.1.5.5.7.3.2",
                "codeSigning" => "1.3.6.1.5.5.7.3.3",
                "emailProtection" => "1.3.6.1.5.5.7.3.4",
                "timeStamping" => "1.3.6.1.5.5.7.3.8",
                "OCSPSigning" => "1.3.6.1.5.5.7.3.9",
                "cmcCA" => "1.3.6.1.5.5.7.3.27",
                "cmcRA" => "1.3.6.1.5.5.7.3.28",
                "cmKGA" => "1.3.6.1.5.5.7.3.32",
                _ when IsOid(item) => item,
                _ => throw new CliException($"extendedKeyUsage in section [{section}]: unknown purpose '{item}'"),
            }));
        }
        return new X509EnhancedKeyUsageExtension(oids, critical);
    }

    private static X509Extension SubjectAltName(OpenSslConfig config, string value, bool critical, string section)
    {
        var builder = new SubjectAlternativeNameBuilder();
        IEnumerable<KeyValuePair<string, string>> names;
        if (value.StartsWith('@'))
        {
            var sub = value[1..].Trim();
            names = config.GetSection(sub) ?? throw new CliException($"subjectAltName in section [{section}]: no section [{sub}]");
        }
        else
        {
            names = Items(value).Select(i =>
            {
                var kv = i.Split(':', 2, StringSplitOptions.TrimEntries);
                return kv.Length == 2 ? new KeyValuePair<string, string>(kv[0], kv[1])
                    : throw new CliException($"subjectAltName in section [{section}]: '{i}' is not TYPE:value");
            }).ToList();
        }
        foreach (var (rawType, v) in names)
        {
            // In a name section, keys are TYPE or TYPE.n (OpenSSL ignores the suffix after '.').
            var type = rawType.Split('.')[0];
            switch (type)
            {
                case "DNS":
                    builder.AddDnsName(v);
                    break;
                case "IP":
                    builder.AddIpAddress(IPAddress.TryParse(v, out var ip) ? ip
                        : throw new CliException($"subjectAltName in section [{section}]: '{v}' is not an IP address"));
                    break;
                case "URI":
                    builder.AddUri(Uri.TryCreate(v, UriKind.Absolute, out var uri) ? uri
                        : throw new CliException($"subjectAltName in section [{section}]: '{v}' is not an absolute URI"));
                    break;
                case "email":
                    builder.AddEmailAddress(v);
                    break;
                default:
                    throw new CliException($"subjectAltName in section [{section}]: name type '{rawType}' is not supported (DNS, IP, URI, email are)");
            }
        }
        return builder.Build(critical);
    }

    private static X509Extension Policies(OpenSslConfig config, string value, bool critical, string section)
    {
        var oids = new List<string>();
        foreach (var item in Items(value))
        {
            if (item.StartsWith('@'))
            {
                var sub = item[1..].Trim();
                var entries = config.GetSection(sub) ?? throw new CliException($"certificatePolicies in section [{section}]: no section [{sub}]");
                var id = entries.FirstOrDefault(e => e.Key == "policyIdentifier").Value
                    ?? throw new CliException($"certificatePolicies: section [{sub}] has no policyIdentifier");
                oids.Add(PolicyOid(id, sub));
            }
            else
            {
                oids.Add(PolicyOid(item, section));
            }
        }
        return Policies(oids, critical);
    }

    private static string PolicyOid(string text, string section) => text switch
    {
        "anyPolicy" => "2.5.29.32.0",
        _ when IsOid(text) => text,
        _ => throw new CliException($"certificatePolicies in section [{section}]: '{text}' is not an OID"),
    };

    /// <summary>A certificatePolicies extension with bare policy identifiers (RFC 5280, 4.2.1.4).</summary>
    public static X509Extension Policies(IEnumerable<string> oids, bool critical)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var oid in oids)
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(oid);
                }
            }
        }
        return new X509Extension("2.5.29.32", writer.Encode(), critical);
    }

    public static bool IsOid(string text) =>
        text.Length > 2 && text.Split('.').Length >= 2 && text.Split('.').All(p => p.Length > 0 && p.All(char.IsAsciiDigit));
}
