namespace CmpKit.Cli.Options;

/// <summary>
/// OID names as OpenSSL's OBJ_txt2obj(text, 0) reads them where an option takes an OID (-geninfo):
/// a dotted OID, or the short or the long name of an object OpenSSL knows (case-sensitive, exact).
/// The table covers the objects that matter for CMP: the PKIX arcs (id-kp, id-it, ...), the id-it
/// infoTypes, extended key usages, the CRMF registration controls, extensions, name attributes, and
/// the hash, signature and MAC algorithms CMP uses. Names it does not cover are refused, never guessed.
/// </summary>
internal static class OidNames
{
    // (short name, long name or null when OpenSSL has the short name only, dotted OID)
    private static readonly (string Short, string? Long, string Oid)[] Table =
    [
        // PKIX arcs (RFC 5280, RFC 9810)
        ("PKIX", null, "1.3.6.1.5.5.7"),
        ("id-pkix-mod", null, "1.3.6.1.5.5.7.0"),
        ("id-pe", null, "1.3.6.1.5.5.7.1"),
        ("id-qt", null, "1.3.6.1.5.5.7.2"),
        ("id-kp", null, "1.3.6.1.5.5.7.3"),
        ("id-it", null, "1.3.6.1.5.5.7.4"),
        ("id-pkip", null, "1.3.6.1.5.5.7.5"),
        ("id-alg", null, "1.3.6.1.5.5.7.6"),
        ("id-cmc", null, "1.3.6.1.5.5.7.7"),
        ("id-on", null, "1.3.6.1.5.5.7.8"),
        ("id-pda", null, "1.3.6.1.5.5.7.9"),
        ("id-aca", null, "1.3.6.1.5.5.7.10"),
        ("id-qcs", null, "1.3.6.1.5.5.7.11"),
        ("id-cct", null, "1.3.6.1.5.5.7.12"),
        ("id-ppl", null, "1.3.6.1.5.5.7.21"),
        ("id-ad", null, "1.3.6.1.5.5.7.48"),
        ("authorityInfoAccess", "Authority Information Access", "1.3.6.1.5.5.7.1.1"),
        ("OCSP", "OCSP", "1.3.6.1.5.5.7.48.1"),
        ("caIssuers", "CA Issuers", "1.3.6.1.5.5.7.48.2"),

        // extended key usages (id-kp)
        ("serverAuth", "TLS Web Server Authentication", "1.3.6.1.5.5.7.3.1"),
        ("clientAuth", "TLS Web Client Authentication", "1.3.6.1.5.5.7.3.2"),
        ("codeSigning", "Code Signing", "1.3.6.1.5.5.7.3.3"),
        ("emailProtection", "E-mail Protection", "1.3.6.1.5.5.7.3.4"),
        ("timeStamping", "Time Stamping", "1.3.6.1.5.5.7.3.8"),
        ("OCSPSigning", "OCSP Signing", "1.3.6.1.5.5.7.3.9"),
        ("cmcCA", "CMC Certificate Authority", "1.3.6.1.5.5.7.3.27"),
        ("cmcRA", "CMC Registration Authority", "1.3.6.1.5.5.7.3.28"),
        ("cmKGA", "Certificate Management Key Generation Authority", "1.3.6.1.5.5.7.3.32"),

        // CRMF registration controls and info (RFC 4211, section 6 and 7)
        ("id-regCtrl", null, "1.3.6.1.5.5.7.5.1"),
        ("id-regInfo", null, "1.3.6.1.5.5.7.5.2"),
        ("id-regCtrl-regToken", null, "1.3.6.1.5.5.7.5.1.1"),
        ("id-regCtrl-authenticator", null, "1.3.6.1.5.5.7.5.1.2"),
        ("id-regCtrl-pkiPublicationInfo", null, "1.3.6.1.5.5.7.5.1.3"),
        ("id-regCtrl-pkiArchiveOptions", null, "1.3.6.1.5.5.7.5.1.4"),
        ("id-regCtrl-oldCertID", null, "1.3.6.1.5.5.7.5.1.5"),
        ("id-regCtrl-protocolEncrKey", null, "1.3.6.1.5.5.7.5.1.6"),
        ("id-regInfo-utf8Pairs", null, "1.3.6.1.5.5.7.5.2.1"),
        ("id-regInfo-certReq", null, "1.3.6.1.5.5.7.5.2.2"),

        // X.509 extensions (id-ce)
        ("id-ce", null, "2.5.29"),
        ("subjectKeyIdentifier", "X509v3 Subject Key Identifier", "2.5.29.14"),
        ("keyUsage", "X509v3 Key Usage", "2.5.29.15"),
        ("subjectAltName", "X509v3 Subject Alternative Name", "2.5.29.17"),
        ("issuerAltName", "X509v3 Issuer Alternative Name", "2.5.29.18"),
        ("basicConstraints", "X509v3 Basic Constraints", "2.5.29.19"),
        ("crlNumber", "X509v3 CRL Number", "2.5.29.20"),
        ("CRLReason", "X509v3 CRL Reason Code", "2.5.29.21"),
        ("crlDistributionPoints", "X509v3 CRL Distribution Points", "2.5.29.31"),
        ("certificatePolicies", "X509v3 Certificate Policies", "2.5.29.32"),
        ("anyPolicy", "X509v3 Any Policy", "2.5.29.32.0"),
        ("authorityKeyIdentifier", "X509v3 Authority Key Identifier", "2.5.29.35"),
        ("extendedKeyUsage", "X509v3 Extended Key Usage", "2.5.29.37"),
        ("anyExtendedKeyUsage", "Any Extended Key Usage", "2.5.29.37.0"),

        // name attributes
        ("CN", "commonName", "2.5.4.3"),
        ("SN", "surname", "2.5.4.4"),
        ("serialNumber", "serialNumber", "2.5.4.5"),
        ("C", "countryName", "2.5.4.6"),
        ("L", "localityName", "2.5.4.7"),
        ("ST", "stateOrProvinceName", "2.5.4.8"),
        ("O", "organizationName", "2.5.4.10"),
        ("OU", "organizationalUnitName", "2.5.4.11"),
        ("title", "title", "2.5.4.12"),
        ("GN", "givenName", "2.5.4.42"),
        ("emailAddress", "emailAddress", "1.2.840.113549.1.9.1"),
        ("UID", "userId", "0.9.2342.19200300.100.1.1"),
        ("DC", "domainComponent", "0.9.2342.19200300.100.1.25"),

        // algorithms (RFC 9481)
        ("SHA1", "sha1", "1.3.14.3.2.26"),
        ("SHA224", "sha224", "2.16.840.1.101.3.4.2.4"),
        ("SHA256", "sha256", "2.16.840.1.101.3.4.2.1"),
        ("SHA384", "sha384", "2.16.840.1.101.3.4.2.2"),
        ("SHA512", "sha512", "2.16.840.1.101.3.4.2.3"),
        ("rsaEncryption", "rsaEncryption", "1.2.840.113549.1.1.1"),
        ("RSASSA-PSS", "rsassaPss", "1.2.840.113549.1.1.10"),
        ("RSA-SHA256", "sha256WithRSAEncryption", "1.2.840.113549.1.1.11"),
        ("RSA-SHA384", "sha384WithRSAEncryption", "1.2.840.113549.1.1.12"),
        ("RSA-SHA512", "sha512WithRSAEncryption", "1.2.840.113549.1.1.13"),
        ("id-ecPublicKey", null, "1.2.840.10045.2.1"),
        ("prime256v1", null, "1.2.840.10045.3.1.7"),
        ("secp384r1", null, "1.3.132.0.34"),
        ("secp521r1", null, "1.3.132.0.35"),
        ("ecdsa-with-SHA256", null, "1.2.840.10045.4.3.2"),
        ("ecdsa-with-SHA384", null, "1.2.840.10045.4.3.3"),
        ("ecdsa-with-SHA512", null, "1.2.840.10045.4.3.4"),
        ("ED25519", null, "1.3.101.112"),
        ("ED448", null, "1.3.101.113"),
        ("hmacWithSHA1", null, "1.2.840.113549.2.7"),
        ("hmacWithSHA256", null, "1.2.840.113549.2.9"),
        ("hmacWithSHA384", null, "1.2.840.113549.2.10"),
        ("hmacWithSHA512", null, "1.2.840.113549.2.11"),
        ("id-PasswordBasedMAC", "password based MAC", "1.2.840.113533.7.66.13"),
        ("id-DHBasedMac", "Diffie-Hellman based MAC", "1.2.840.113533.7.66.30"),
    ];

    private static readonly Dictionary<string, string> ByName = BuildIndex();

    private static Dictionary<string, string> BuildIndex()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (sn, ln, oid) in Table)
        {
            d[sn] = oid;
            if (ln is not null)
            {
                d.TryAdd(ln, oid);
            }
        }
        // the infoTypes of the id-it arc: OpenSSL's short name is "id-it-" + the name -infotype takes
        foreach (var (name, oid) in Commands.ClientCommand.InfoTypeNames)
        {
            d["id-it-" + name] = oid;
        }
        return d;
    }

    /// <summary>The dotted OID for <paramref name="text"/> (a dotted OID or a known name); null when neither.</summary>
    public static string? Resolve(string text) =>
        ByName.TryGetValue(text, out var oid) ? oid : ExtensionConfig.IsOid(text) ? text : null;
}
