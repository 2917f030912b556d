using System.Formats.Asn1;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Cli.Options;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Validation;
using Microsoft.Extensions.Logging;

namespace CmpKit.Cli.Commands;

// -cmd rr and -cmd genm, with the options OpenSSL (3.0 and master) gives them.
internal sealed partial class ClientCommand
{
    /// <summary>
    /// OpenSSL's -infotype names: the part after "id-it-" of the short names OpenSSL knows for the
    /// id-it arc (1.3.6.1.5.5.7.4), e.g. caCerts for id-it-caCerts.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> InfoTypeNames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["caProtEncCert"] = "1.3.6.1.5.5.7.4.1",
        ["signKeyPairTypes"] = "1.3.6.1.5.5.7.4.2",
        ["encKeyPairTypes"] = "1.3.6.1.5.5.7.4.3",
        ["preferredSymmAlg"] = "1.3.6.1.5.5.7.4.4",
        ["caKeyUpdateInfo"] = "1.3.6.1.5.5.7.4.5",
        ["currentCRL"] = "1.3.6.1.5.5.7.4.6",
        ["unsupportedOIDs"] = "1.3.6.1.5.5.7.4.7",
        ["subscriptionRequest"] = "1.3.6.1.5.5.7.4.8",
        ["subscriptionResponse"] = "1.3.6.1.5.5.7.4.9",
        ["keyPairParamReq"] = "1.3.6.1.5.5.7.4.10",
        ["keyPairParamRep"] = "1.3.6.1.5.5.7.4.11",
        ["revPassphrase"] = "1.3.6.1.5.5.7.4.12",
        ["implicitConfirm"] = "1.3.6.1.5.5.7.4.13",
        ["confirmWaitTime"] = "1.3.6.1.5.5.7.4.14",
        ["origPKIMessage"] = "1.3.6.1.5.5.7.4.15",
        ["suppLangTags"] = "1.3.6.1.5.5.7.4.16",
        ["caCerts"] = "1.3.6.1.5.5.7.4.17",
        ["rootCaKeyUpdate"] = "1.3.6.1.5.5.7.4.18",
        ["certReqTemplate"] = "1.3.6.1.5.5.7.4.19",
        ["rootCaCert"] = "1.3.6.1.5.5.7.4.20",
        ["certProfile"] = "1.3.6.1.5.5.7.4.21",
        ["crlStatusList"] = "1.3.6.1.5.5.7.4.22",
        ["crls"] = "1.3.6.1.5.5.7.4.23",
    };

    /// <summary>A name for an infoType OID: OpenSSL's (without "id-it-"), else the dotted OID.</summary>
    internal static string InfoTypeName(string oid) =>
        InfoTypeNames.FirstOrDefault(p => p.Value == oid).Key ?? oid;

    /// <summary>
    /// -geninfo: items <c>OID:int:N</c> or <c>OID:str:text</c> separated by commas and/or whitespace
    /// (OpenSSL 3.0 has only the first form, master both), put into the generalInfo of every request
    /// header. The OID may be dotted or a name OpenSSL knows (e.g. <c>id-kp</c>, see <see cref="OidNames"/>);
    /// the text may be empty and cannot hold a comma or whitespace.
    /// </summary>
    internal static IReadOnlyList<CmpInfoTypeAndValue> ParseGeneralInfo(string? spec)
    {
        var list = new List<CmpInfoTypeAndValue>();
        if (spec is null)
        {
            return list;
        }
        foreach (var raw in spec.Split([',', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = raw.Split(':', 3);
            if (parts.Length != 3 || parts[0].Length == 0)
            {
                throw new CliException($"-geninfo: '{raw}' is not <OID>:int:<number> or <OID>:str:<text>");
            }
            var oid = OidNames.Resolve(parts[0])
                ?? throw new CliException($"-geninfo: '{parts[0]}' in '{raw}' is neither a dotted OID nor a known OID name");
            list.Add(parts[1] switch
            {
                "int" => BigInteger.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                    ? CmpInfoTypeAndValue.Integer(oid, n)
                    : throw new CliException($"-geninfo: '{parts[2]}' in '{raw}' is not an integer"),
                "str" => CmpInfoTypeAndValue.Utf8String(oid, parts[2]),
                _ => throw new CliException($"-geninfo: unknown type '{parts[1]}' in '{raw}' (int or str)"),
            });
        }
        return list;
    }

    /// <summary>
    /// rr: the certificate to revoke from -oldcert, or -issuer with -serial, or the key and subject of
    /// -csr (OpenSSL master's precedence and warnings); -revreason -1 (default) sends no reason.
    /// </summary>
    private Func<CmpClient, CancellationToken, Task> PrepareRevocation()
    {
        X509RevocationReason? reason = (_r.Int("revreason") ?? -1) switch
        {
            -1 => null,
            var r and >= 0 and <= 10 and not 7 => (X509RevocationReason)r,
            var r => throw new CliException($"-revreason: {r} is not a CRL reason code (0..6, 8..10, or -1 for none)"),
        };
        bool hasIssuer = _r.IsSet("issuer"), hasSerial = _r.IsSet("serial");
        if (hasIssuer || hasSerial)
        {
            if (!(hasIssuer && hasSerial))
            {
                throw new CliException("must give both -issuer and -serial options or neither");
            }
            if (_r.IsSet("oldcert"))
            {
                _warnings.Add("ignoring -oldcert option since -issuer and -serial are given");
            }
            if (_r.IsSet("csr"))
            {
                _warnings.Add("ignoring -csr option since -issuer and -serial are given");
            }
            var issuer = _r.Dn("issuer", _warnings)!;
            var serial = ParseSerial(_r.String("serial")!);
            return async (client, ct) => Report(await client.RevokeAsync(issuer, serial, reason, ct).ConfigureAwait(false));
        }
        if (_r.Cert("oldcert", "certificate to be revoked", "keypass") is { } oldCert)
        {
            if (_r.IsSet("csr"))
            {
                _warnings.Add("ignoring -csr option since the certificate to be revoked is given with -oldcert");
            }
            return async (client, ct) => Report(await client.RevokeAsync(oldCert, reason, ct).ConfigureAwait(false));
        }
        if (_r.String("csr") is { } csrPath)
        {
            var csr = LoadCsr(csrPath);
            return async (client, ct) => Report(await client.RevokePkcs10KeyAsync(csr, reason, ct).ConfigureAwait(false));
        }
        throw new CliException("missing -oldcert, or -issuer and -serial, for the certificate to be revoked, and no -csr given");

        void Report(RevocationResult result)
        {
            _logger.LogInformation("revocation accepted: {Status}", result.Status.ToString());
            WriteCertificates("extracertsout", result.ExtraCertificates, "extra certificates received");
        }
    }

    /// <summary>OpenSSL's -serial: decimal, or hexadecimal with 0x.</summary>
    internal static BigInteger ParseSerial(string text)
    {
        var t = text.Trim();
        bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? BigInteger.TryParse("0" + t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            : BigInteger.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return ok && value.Sign >= 0 ? value : throw new CliException($"-serial: '{text}' is not a non-negative serial number (decimal, or hex with 0x)");
    }

    /// <summary>
    /// genm: without -infotype an empty genm, with it an ITAV of that type and no value; as OpenSSL
    /// master, caCerts, rootCaCert, certReqTemplate and crlStatusList use the typed requests and save
    /// their results (-cacertsout; -newwithnew, -newwithold, -oldwithnew; -template, -keyspec; -crlout).
    /// </summary>
    private Func<CmpClient, CancellationToken, Task> PrepareGeneralMessage(CmpClientOptions options)
    {
        var name = _r.String("infotype");
        if (name is null)
        {
            return async (client, ct) => PrintItavs(await client.GeneralMessageAsync([], ct).ConfigureAwait(false));
        }
        if (!InfoTypeNames.TryGetValue(name, out var oid))
        {
            throw new CliException($"-infotype: unknown OID name '{name}' (e.g. caCerts, rootCaCert, certReqTemplate, crlStatusList, signKeyPairTypes)");
        }
        switch (name)
        {
            case "caCerts":
                _ = _r.String("cacertsout") ?? throw new CliException("missing -cacertsout option for -infotype caCerts");
                return async (client, ct) =>
                {
                    var certs = await client.GetCaCertificatesAsync(ct).ConfigureAwait(false);
                    if (certs.Count == 0)
                    {
                        _logger.LogWarning("no CA certificates provided by server");
                    }
                    // As openssl cmp 3.0, which saves "0 CA certificate(s)": an empty file when there are none.
                    WriteCertificates("cacertsout", certs, "CA certificates received");
                };
            case "rootCaCert":
                if (!_r.IsSet("newwithnew"))
                {
                    throw new CliException("missing -newwithnew option for -infotype rootCaCert");
                }
                var oldWithOld = _r.Cert("oldwithold", "current root CA certificate (oldWithOld)");
                if (oldWithOld is null)
                {
                    _warnings.Add("no -oldwithold given, will use all certificates given with -trusted as trust anchors for verifying the newWithNew certificate");
                }
                return async (client, ct) =>
                {
                    var update = await client.GetRootCaKeyUpdateAsync(oldWithOld, ct).ConfigureAwait(false);
                    if (update is null)
                    {
                        _logger.LogInformation("no root CA certificate update available");
                    }
                    else if (update.OldWithNew is null)
                    {
                        _logger.LogWarning("oldWithNew certificate not provided by server");
                    }
                    SaveOrDelete("newwithnew", update?.NewWithNew, "newWithNew certificate");
                    SaveOrDelete("newwithold", update?.NewWithOld, "newWithOld certificate");
                    SaveOrDelete("oldwithnew", update?.OldWithNew, "oldWithNew certificate");
                };
            case "certReqTemplate":
                var templatePath = _r.String("template") ?? throw new CliException("missing -template option for genm with infotype certReqTemplate");
                // Before anything is sent: a file that cannot be written would lose what the server answers.
                CheckOutputDirectory("template", templatePath);
                if (_r.String("keyspec") is { } keySpecPath)
                {
                    CheckOutputDirectory("keyspec", keySpecPath);
                }
                return async (client, ct) =>
                {
                    // The raw genp, so that the keySpec can be saved as received (the typed helper interprets it).
                    var genp = await client.GeneralMessageAsync([new CmpInfoTypeAndValue(new Oid(oid))], ct).ConfigureAwait(false);
                    var itav = GeneralMessageChecks.ExpectInfoType(genp, InfoTypes.CertReqTemplate);
                    if (itav.Value is not { } value || value.IsEmpty)
                    {
                        _logger.LogWarning("no certificate request template available");
                        TryDelete(templatePath);
                        if (_r.String("keyspec") is { } ks)
                        {
                            TryDelete(ks);
                        }
                        return;
                    }
                    var data = GeneralMessages.ReadCertReqTemplate(value, CmpFailureReason.InvalidCertificateRequestTemplate);
                    GeneralMessageChecks.KeySpec(data); // C36
                    WriteBytes(templatePath, data.TemplateDer, "-template", "certTemplate");
                    var keySpec = KeySpecDer(value);
                    if (keySpec is null)
                    {
                        _logger.LogWarning("no key specifications available");
                        if (_r.String("keyspec") is { } ks)
                        {
                            TryDelete(ks);
                        }
                    }
                    else if (_r.String("keyspec") is { } ks)
                    {
                        WriteBytes(ks, keySpec, "-keyspec", "keySpec");
                    }
                };
            case "crlStatusList":
                var crlOut = _r.String("crlout") ?? throw new CliException("missing -crlout option for -infotype crlStatusList");
                var crlForm = _r.String("crlform") ?? "DER";
                if (!crlForm.Equals("DER", StringComparison.OrdinalIgnoreCase) && !crlForm.Equals("PEM", StringComparison.OrdinalIgnoreCase))
                {
                    throw new CliException("-crlform: must be PEM or DER");
                }
                var crlCert = _r.Cert("crlcert", "certificate whose CRL is asked for");
                CrlInfo? oldCrl = _r.String("oldcrl") is { } oldCrlPath ? ReadCrl(oldCrlPath) : null;
                if (crlCert is null && oldCrl is null)
                {
                    throw new CliException("missing -oldcrl and no -crlcert given for -infotype crlStatusList");
                }
                var distributionPoint = crlCert is null ? [] : CrlDistributionPointUris(crlCert);
                // As OpenSSL's OSSL_CMP_CRLSTATUS_create: the certificate, when given, names the CRL source; the old CRL gives thisUpdate.
                var issuer = crlCert?.IssuerName ?? oldCrl!.Issuer;
                if (crlCert is not null && oldCrl is not null && !Names.CanonicalEquals(crlCert.IssuerName, oldCrl.Issuer))
                {
                    _logger.LogWarning("-oldcrl and -crlcert have different issuers");
                }
                return async (client, ct) =>
                {
                    var crl = await client.GetCrlUpdateAsync(distributionPoint.Count > 0 ? null : issuer, distributionPoint, oldCrl?.ThisUpdate, ct).ConfigureAwait(false);
                    if (crl is not { } der)
                    {
                        _logger.LogInformation("no CRL update available");
                        TryDelete(crlOut);
                        return;
                    }
                    WriteBytes(crlOut, crlForm.Equals("PEM", StringComparison.OrdinalIgnoreCase)
                        ? Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", der.Span) + "\n")
                        : der.ToArray(), "-crlout", "CRL received");
                };
            default:
                return async (client, ct) =>
                    PrintItavs(await client.GeneralMessageAsync([new CmpInfoTypeAndValue(new Oid(oid))], ct).ConfigureAwait(false));
        }
    }

    /// <summary>Fails when the folder an output file is to be written to does not exist (or the path names a folder).</summary>
    private static void CheckOutputDirectory(string option, string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new CliException($"-{option}: '{path}' is not a usable file name: {e.Message}", e);
        }
        if (Path.GetDirectoryName(full) is { Length: > 0 } dir && !Directory.Exists(dir))
        {
            throw new CliException($"-{option}: cannot save to '{path}': the directory '{dir}' does not exist");
        }
        if (Directory.Exists(full))
        {
            throw new CliException($"-{option}: cannot save to '{path}': it is a directory");
        }
    }

    private void PrintItavs(IReadOnlyList<CmpInfoTypeAndValue> genp)
    {
        if (genp.Count == 0)
        {
            _logger.LogInformation("genp contains no ITAV");
        }
        foreach (var itav in genp)
        {
            _logger.LogInformation("genp contains InfoType '{Name}'{Value}", InfoTypeName(itav.TypeValue),
                itav.Value is { } v ? $" with a value of {v.Length} bytes" : " without value");
        }
    }

    private void SaveOrDelete(string option, X509Certificate2? certificate, string what)
    {
        if (_r.String(option) is not { } path)
        {
            return;
        }
        if (certificate is null)
        {
            TryDelete(path);
            return;
        }
        WriteCertificates(option, [certificate], what);
    }

    private void WriteBytes(string path, byte[] bytes, string option, string what)
    {
        try
        {
            OutputFile.Write(path, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{option}: cannot save the {what} to '{path}': {e.Message}", e);
        }
        _logger.LogInformation("saved the {What} to {Path}", what, path);
    }

    /// <summary>The DER of the keySpec (Controls) of a CertReqTemplateContent, or null when absent.</summary>
    private static byte[]? KeySpecDer(ReadOnlyMemory<byte> certReqTemplateContent)
    {
        var seq = new AsnReader(certReqTemplateContent, AsnEncodingRules.DER).ReadSequence();
        seq.ReadEncodedValue(); // certTemplate
        return seq.HasData ? seq.ReadEncodedValue().ToArray() : null;
    }

    private sealed record CrlInfo(X500DistinguishedName Issuer, DateTimeOffset ThisUpdate);

    /// <summary>Issuer and thisUpdate of a CRL file (PEM or DER; RFC 5280, section 5.1).</summary>
    private static CrlInfo ReadCrl(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"-oldcrl: cannot read '{path}': {e.Message}", e);
        }
        try
        {
            var text = Encoding.ASCII.GetString(bytes);
            if (text.Contains("-----BEGIN X509 CRL-----", StringComparison.Ordinal))
            {
                var pem = PemEncoding.Find(text);
                bytes = Convert.FromBase64String(text[pem.Base64Data]);
            }
            var tbs = new AsnReader(bytes, AsnEncodingRules.DER).ReadSequence().ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                tbs.ReadInteger(); // version
            }
            tbs.ReadSequence(); // signature
            var issuer = new X500DistinguishedName(tbs.ReadEncodedValue().Span);
            var thisUpdate = tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? tbs.ReadUtcTime() : tbs.ReadGeneralizedTime();
            return new CrlInfo(issuer, thisUpdate);
        }
        catch (Exception e) when (e is AsnContentException or FormatException or ArgumentException or CryptographicException)
        {
            throw new CliException($"-oldcrl: '{path}' is not a CRL (PEM or DER): {e.Message}", e);
        }
    }

    /// <summary>The URIs of the first distribution point with a fullName in the certificate's CRL distribution points extension.</summary>
    private static List<Uri> CrlDistributionPointUris(X509Certificate2 cert)
    {
        var uris = new List<Uri>();
        if (cert.Extensions["2.5.29.31"] is not { } ext)
        {
            return uris;
        }
        try
        {
            var points = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
            while (points.HasData && uris.Count == 0)
            {
                var dp = points.ReadSequence();
                if (!dp.HasData || !dp.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
                {
                    continue;
                }
                var name = dp.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true));
                if (!name.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
                {
                    continue; // nameRelativeToCRLIssuer
                }
                var fullName = name.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true));
                while (fullName.HasData)
                {
                    var tag = fullName.PeekTag();
                    if (tag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 6)))
                    {
                        var text = fullName.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6));
                        if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
                        {
                            uris.Add(uri);
                        }
                    }
                    else
                    {
                        fullName.ReadEncodedValue();
                    }
                }
            }
        }
        catch (AsnContentException)
        {
            uris.Clear(); // a damaged extension: ask by issuer instead
        }
        return uris;
    }
}
