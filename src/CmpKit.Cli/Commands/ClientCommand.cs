using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Cli.Options;
using CmpKit.Client;
using CmpKit.Transport;
using Microsoft.Extensions.Logging;

namespace CmpKit.Cli.Commands;

/// <summary>
/// `cmpkit -cmd ir|cr|kur|p10cr ...`: turns openssl-cmp options into the library's context and
/// request template, runs the transaction (over HTTP or against the embedded mock CA), and writes
/// the files OpenSSL writes (-certout, -chainout, -extracertsout, -cacertsout).
/// </summary>
internal sealed partial class ClientCommand
{
    private readonly ArgumentReader _r;
    private readonly TextWriter _err;
    private readonly ILogger _logger;
    private readonly List<string> _warnings = [];

    public ClientCommand(CmpArguments args, TextWriter stderr)
    {
        _r = new ArgumentReader(args);
        _err = stderr;
        var verbosity = args.GetInt("verbosity") ?? 6;
        if (verbosity is < 0 or > 8)
        {
            throw new CliException("-verbosity: must be between 0 and 8");
        }
        _logger = new ConsoleLogger(stderr, verbosity);
    }

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var cmd = _r.String("cmd") ?? throw new CliException("no CMP command given: use -cmd ir, cr, kur, p10cr, rr or genm");
        CertificateRequestKind? kind = cmd switch
        {
            "ir" => CertificateRequestKind.Initial,
            "cr" => CertificateRequestKind.Additional,
            "kur" => CertificateRequestKind.KeyUpdate,
            "p10cr" => CertificateRequestKind.Pkcs10,
            "rr" or "genm" => null,
            _ => throw new CliException($"-cmd: unknown CMP command '{cmd}' (ir, cr, kur, p10cr, rr, genm)"),
        };
        bool useMock = _r.Flag("use_mock_srv");
        bool reqoutOnly = _r.IsSet("reqout_only");
        if (!useMock && !_r.IsSet("server") && !_r.IsSet("rspin") && !reqoutOnly)
        {
            throw new CliException("missing -server or -use_mock_srv or -rspin option");
        }
        if (useMock && _r.IsSet("server"))
        {
            throw new CliException("cannot use both -server and -use_mock_srv");
        }

        if (kind is not null && _r.String("certout") is null && !reqoutOnly)
        {
            // As openssl cmp: refuse before asking a CA for a certificate that nobody saves.
            throw new CliException("-certout not given, nowhere to save the newly enrolled certificate");
        }

        // The embedded mock CA, if asked for, is set up first: in ephemeral mode the client shares its secret.
        MockServerSetup.Result? mock = useMock ? MockServerSetup.Create(_r, _logger) : null;
        if (mock is { Ephemeral: true })
        {
            _logger.LogInformation("using the embedded mock CA '{Ca}' with an ephemeral CA and a random shared secret",
                mock.Server.CertificateAuthority?.Certificate.Subject ?? "?");
        }

        var options = BuildOptions(kind, mock);
        Func<CmpClient, CancellationToken, Task> transaction;
        Action onNothingDone = () => { };
        if (kind is { } k)
        {
            (transaction, onNothingDone) = PrepareEnrollment(k, options);
        }
        else
        {
            transaction = cmd == "rr" ? PrepareRevocation() : PrepareGeneralMessage(options);
        }
        foreach (var w in _warnings)
        {
            _err.WriteLine("cmpkit: warning: " + w);
        }

        var serverUri = useMock || !_r.IsSet("server") ? null : ServerUri();
        using var http = serverUri is null ? null : CreateHttpClient(serverUri);
        CmpClient? client = null;
        bool newTid = _r.Flag("reqin_new_tid");
        var transport = CreateTransport(mock, http, serverUri, (fromFile, built) => client!.FitRequestFromFile(fromFile, built, newTid), out var direct);
        using var directConnection = direct;
        X509Certificate2? serverCert = null;
        client = new CmpClient(transport, options with { ServerCertificateValidated = c => serverCert = c }, _logger);

        // -repeat: the same transaction again, as openssl cmp does; the first failure ends the run.
        // Message file lists are not restarted: each run takes the next files.
        int repeat = _r.Int("repeat") ?? 1;
        for (int i = 1; i <= repeat; i++)
        {
            if (repeat > 1)
            {
                _logger.LogInformation("-repeat: transaction {Run} of {Count}", i, repeat);
            }
            serverCert = null;
            try
            {
                await transaction(client, ct).ConfigureAwait(false);
            }
            catch (RequestSavedSignal saved)
            {
                // -reqout_only: the first request is saved and nothing is sent; that is success. A generated
                // key is kept: the saved request certifies it (e.g. to be sent later with -reqin).
                _logger.LogInformation("saved the first request to {Path} and stopped without sending it (-reqout_only)", saved.Path);
                return 0;
            }
            catch (CmpException e)
            {
                if (i == 1)
                {
                    onNothingDone();
                }
                throw new CliException(Describe(e), e);
            }
            SaveServerCertificate(serverCert);
        }
        return 0;
    }

    /// <summary>
    /// ir/cr/kur/p10cr: the key, the template and the generated key file are prepared before anything is
    /// sent; the returned function runs one transaction and writes -certout, -chainout, -extracertsout,
    /// -cacertsout. The second function undoes the key file when nothing was enrolled.
    /// </summary>
    private (Func<CmpClient, CancellationToken, Task> Run, Action NothingDone) PrepareEnrollment(CertificateRequestKind kind, CmpClientOptions options)
    {
        bool central = CentralKeyGenerationRequested(kind);
        var (newKey, generatedKey) = LoadOrGenerateNewKey(kind, central);
        var template = BuildTemplate(kind, options, newKey, central);

        // -certform names the format of the files written (PEM or DER, as in openssl cmp): check it
        // before enrolling, not when the new certificate is about to be saved.
        if (CredentialFormatParser.Parse(_r.String("certform"), "-certform") == CredentialFormat.Pkcs12)
        {
            throw new CliException("-certform: certificates are saved as PEM or DER, not P12");
        }

        // The generated key is saved before the request goes out: if it cannot be saved, nothing is
        // enrolled; saving it afterwards would lose the key of a certificate the CA already issued
        // and the client already confirmed. If nothing is enrolled, the key file is removed again.
        var keyOut = generatedKey ? _r.String("newkeyout")! : null;
        if (keyOut is not null)
        {
            WriteKey(keyOut, newKey!);
        }
        async Task Run(CmpClient client, CancellationToken ct)
        {
            var result = await client.RequestCertificateAsync(kind, template, ct).ConfigureAwait(false);
            if (SameFile(_r.String("certout"), _r.String("chainout")))
            {
                // As openssl cmp: one file gets the certificate and then its chain (usable later as -cert).
                WriteCertificates("certout", [result.CertificateRawData, .. Encodings(result.Chain)], "newly enrolled certificate and its chain");
            }
            else
            {
                WriteCertificates("certout", [result.CertificateRawData], "newly enrolled certificate"); // not parsed: not needed
                if (_r.String("chainout") is not null) // the chain is built only when asked for
                {
                    WriteCertificates("chainout", result.Chain, "chain of the newly enrolled certificate");
                }
            }
            WriteCertificates("extracertsout", result.ExtraCertificates, "extra certificates received");
            WriteCertificates("cacertsout", result.CaPubs, "CA certificates received");
            if (central && result.PrivateKey is { } centralKey)
            {
                // As openssl cmp: after the transaction, PEM PKCS#8, encrypted (AES-256-CBC) when -newkeypass is given.
                using (centralKey)
                {
                    WriteKey(_r.String("newkeyout")!, centralKey, "centrally generated private key");
                }
            }
        }
        return (Run, () =>
        {
            if (keyOut is not null)
            {
                TryDelete(keyOut);
            }
        });
    }

    /// <summary>Whether two output options name the same file (after making the paths absolute).</summary>
    private static bool SameFile(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return false;
        }
        try
        {
            return string.Equals(Path.GetFullPath(a), Path.GetFullPath(b),
                OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return false; // an unusable name fails when it is written
        }
    }

    /// <summary>
    /// The transport: the embedded mock CA or HTTP to -server (none with only -rspin), wrapped for message
    /// files (-reqout, -rspout, -reqin, -rspin) or replaced by -reqout_only.
    /// </summary>
    private ICmpTransport CreateTransport(MockServerSetup.Result? mock, HttpClient? http, Uri? serverUri,
        Func<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>, byte[]> fitRequestFromFile, out DirectHttpCmpTransport? direct)
    {
        direct = null;
        if (_r.String("reqout_only") is { } only)
        {
            return new RequestOutOnlyTransport(only);
        }
        var keepAlive = (_r.Int("keep_alive") ?? 1) switch
        {
            0 => CmpKeepAlive.Never,
            1 => CmpKeepAlive.IfPossible,
            2 => CmpKeepAlive.Required,
            _ => throw new CliException("-keep_alive: must be 0, 1 or 2"),
        };
        // Plain HTTP without a proxy goes over one socket on this thread (DirectHttpCmpTransport): the CLI runs
        // one transaction at a time, and HttpClient's thread hand-offs cost more than its work there.
        ICmpTransport? inner = mock is not null
            ? new InProcessCmpTransport(mock.Server.HandleAsync)
            : http is not null
                ? new HttpCmpTransport(http, serverUri!) { KeepAlive = keepAlive }
                : serverUri is not null
                    ? direct = new DirectHttpCmpTransport(serverUri) { KeepAlive = keepAlive }
                    : null;
        var files = new CmpMessageFiles
        {
            RequestsOut = FileList("reqout"),
            ResponsesOut = FileList("rspout"),
            RequestsIn = FileList("reqin"),
            ResponsesIn = FileList("rspin"),
            // As openssl cmp: a request read from a file gets the recipNonce of the running transaction (all but
            // the first), and with -reqin_new_tid its transactionID; a changed request is protected again.
            RewriteRequestIn = fitRequestFromFile,
        };
        if (_r.Flag("reqin_new_tid") && files.RequestsIn.Count == 0)
        {
            _err.WriteLine("cmpkit: warning: -reqin_new_tid is ignored without -reqin");
        }
        if (files.IsEmpty)
        {
            return inner!;
        }
        return new MessageFileTransport(inner, files);
    }

    /// <summary>OpenSSL's file name lists: separated by commas and/or whitespace.</summary>
    private List<string> FileList(string option) =>
        _r.String(option) is { } list ? [.. list.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries)] : [];

    /// <summary>-srvcertout: the validated server certificate, or the file deleted when there was none (MAC protection).</summary>
    private void SaveServerCertificate(X509Certificate2? certificate)
    {
        if (_r.String("srvcertout") is not { } path)
        {
            return;
        }
        if (certificate is null)
        {
            TryDelete(path);
            _logger.LogInformation("no server certificate was validated (not signature-protected); -srvcertout file {Path} removed", path);
            return;
        }
        WriteCertificates("srvcertout", [certificate], "validated server certificate");
    }

    /// <summary>-reqout_only: saves the first request and stops the transaction before anything is sent.</summary>
    private sealed class RequestOutOnlyTransport(string path) : ICmpTransport
    {
        public async Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, CmpExchangeInfo info, CancellationToken cancellationToken)
        {
            try
            {
                await File.WriteAllBytesAsync(path, request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"-reqout_only: cannot save the request to '{path}': {e.Message}", e);
            }
            throw new RequestSavedSignal(path);
        }
    }

    /// <summary>Not an error: -reqout_only has saved the request.</summary>
    private sealed class RequestSavedSignal(string path) : Exception("request saved (-reqout_only)")
    {
        public string Path { get; } = path;
    }

    private static string Describe(CmpException e)
    {
        var text = e.Message;
        return e.Reason is CmpFailureReason.ConnectionFailed or CmpFailureReason.MessageTimeout or CmpFailureReason.TotalTimeout
            or CmpFailureReason.HttpError
            ? text
            : $"{text} [{e.Reason}]";
    }

    /// <summary>
    /// OpenSSL master's rules: -popo -1 implies -centralkeygen; with it, -popo must be -1 (or absent) and
    /// -newkeyout must say where the received key goes. Only for ir, cr and kur.
    /// </summary>
    private bool CentralKeyGenerationRequested(CertificateRequestKind kind)
    {
        var popo = _r.Int("popo");
        bool central = _r.Flag("centralkeygen") || popo == -1;
        if (!central)
        {
            return false;
        }
        if (kind == CertificateRequestKind.Pkcs10)
        {
            _warnings.Add("-popo -1 or -centralkeygen is ignored for p10cr");
            return false;
        }
        if (popo is > -1)
        {
            throw new CliException($"-popo value {popo} is inconsistent with -centralkeygen");
        }
        if (!_r.IsSet("newkeyout"))
        {
            throw new CliException("-newkeyout not given, nowhere to save the centrally generated key");
        }
        if (!_r.Flag("centralkeygen"))
        {
            _logger.LogInformation("POPO is disabled (-popo -1), which implies -centralkeygen");
        }
        return true;
    }

    private (AsymmetricAlgorithm? Key, bool Generated) LoadOrGenerateNewKey(CertificateRequestKind kind, bool central)
    {
        if (kind == CertificateRequestKind.Pkcs10)
        {
            return (null, false);
        }
        if (_r.IsSet("newkey"))
        {
            var path = _r.String("newkey")!;
            try
            {
                return (_r.PrivateKey("newkey", "newkeypass", "new private key"), false);
            }
            catch (CliException) when (IsPublicKeyFile(path))
            {
                return (null, false); // a public key only: read in BuildTemplate
            }
        }
        if (!central && _r.IsSet("newkeyout") && !_r.IsSet("key") && !_r.IsSet("csr"))
        {
            _logger.LogInformation("generating a new EC P-256 key pair for {File}", _r.String("newkeyout"));
            return (ECDsa.Create(ECCurve.NamedCurves.nistP256), true);
        }
        return (null, false);
    }

    private static bool IsPublicKeyFile(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.Contains("PUBLIC KEY-----", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private CmpClientOptions BuildOptions(CertificateRequestKind? kind, MockServerSetup.Result? mock)
    {
        // Client credentials (-cert/-key for signatures, -ref/-secret for PBM).
        CmpSignatureCredentials? signature = null;
        if (_r.IsSet("cert"))
        {
            var certs = _r.CertsOfFile("cert", "CMP client certificate", "keypass");
            if (certs.Count == 0)
            {
                throw new CliException($"-cert: no certificate in '{_r.String("cert")}'");
            }
            var key = _r.PrivateKey("key", "keypass", "CMP client private key")
                ?? throw new CliException("missing -key for the -cert given");
            var chain = new X509Certificate2Collection();
            foreach (var c in certs.Cast<X509Certificate2>().Skip(1))
            {
                chain.Add(c);
            }
            if (!CmpClient.PublicKeyMatches(certs[0], key))
            {
                throw new CliException("-key does not belong to the -cert certificate");
            }
            signature = new CmpSignatureCredentials(certs[0], key, chain);
            if (_r.IsSet("own_trusted"))
            {
                CheckOwnChain(certs[0], chain, _r.Certs("own_trusted", "trusted certificates for the own certificate"));
            }
        }
        else if (_r.IsSet("key") && kind != CertificateRequestKind.Pkcs10 && !_r.IsSet("newkey"))
        {
            // -key without -cert: OpenSSL takes it as the key to be certified (for ir with PBM).
        }

        CmpMacCredentials? mac = null;
        var secret = _r.SecretBytes("secret") ?? mock?.SharedSecret;
        if (secret is not null)
        {
            var macHash = _r.String("mac") is { } m
                ? Protection.PasswordBasedMac.MacHashFromName(m) ?? throw new CliException($"-mac: unknown or unsupported MAC algorithm '{m}' (hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512)")
                : HashAlgorithmName.SHA1; // OpenSSL's default
            // (ReadOnlyMemory<byte>?)null: a null byte[] would become an empty, non-null reference (an empty senderKID).
            mac = new CmpMacCredentials(secret, _r.String("ref") is { } reference ? Encoding.UTF8.GetBytes(reference) : (ReadOnlyMemory<byte>?)null)
            {
                OneWayFunction = _r.Digest("digest", HashAlgorithmName.SHA256),
                MacAlgorithm = macHash,
            };
        }
        else if (_r.IsSet("ref") && signature is null)
        {
            throw new CliException("-ref is given but no -secret for MAC protection");
        }
        if (mac is null && signature is null && !_r.Flag("unprotected_requests"))
        {
            throw new CliException("missing -secret (with -ref) or -cert/-key to protect requests, or -unprotected_requests");
        }

        var trusted = _r.Certs("trusted", "trusted certificates");
        var srvCert = _r.Cert("srvcert", "server certificate");
        if (mock is { Ephemeral: true } && trusted.Count == 0 && srvCert is null && mock.Server.CertificateAuthority is { } ca)
        {
            trusted.Add(ca.Certificate);
        }
        var outTrusted = _r.IsSet("out_trusted") ? _r.Certs("out_trusted", "trusted certificates for the new certificate") : null;

        // -crl_check(_all): the server certificate's revocation status, with the CRLs of -crls (as OpenSSL, status
        // checking does not apply to -out_trusted, and a pinned -srvcert gets no path validation at all).
        var revocationCheck = _r.Flag("crl_check_all") ? CmpRevocationCheck.EntireChain
            : _r.Flag("crl_check") ? CmpRevocationCheck.EndCertificate
            : CmpRevocationCheck.None;
        var crls = LoadCrls("crls");
        if (crls.Count > 0 && revocationCheck == CmpRevocationCheck.None)
        {
            _warnings.Add("-crls is ignored without -crl_check or -crl_check_all");
        }

        return new CmpClientOptions
        {
            Recipient = _r.Dn("recipient", _warnings),
            ExpectedSender = _r.Dn("expect_sender", _warnings),
            ServerCertificate = srvCert,
            TrustAnchors = trusted,
            UntrustedCertificates = _r.Certs("untrusted", "untrusted certificates"),
            IgnoreKeyUsage = _r.Flag("ignore_keyusage"),
            UnprotectedErrors = _r.Flag("unprotected_errors"),
            MacCredentials = mac,
            SignatureCredentials = signature,
            Digest = _r.Digest("digest", HashAlgorithmName.SHA256),
            ExtraCertificates = _r.Certs("extracerts", "extra certificates"),
            UnprotectedRequests = _r.Flag("unprotected_requests"),
            ImplicitConfirm = _r.Flag("implicit_confirm"),
            DisableConfirm = _r.Flag("disable_confirm"),
            OutTrusted = outTrusted,
            PartialChain = _r.Flag("partial_chain"),
            MaxChainDepth = _r.Int("verify_depth") ?? new CmpClientOptions().MaxChainDepth,
            RevocationCheck = revocationCheck,
            CertificateRevocationLists = crls,
            MessageTimeout = _r.Seconds("msg_timeout", TimeSpan.FromSeconds(120)),
            TotalTimeout = _r.Seconds("total_timeout", null),
            GeneralInfo = ParseGeneralInfo(_r.String("geninfo")),
            CertificateProfile = _r.String("profile"),
        };
    }

    /// <summary>The CRLs of an option's files (separated by commas or spaces), each file PEM (one or more X509 CRL blocks) or DER.</summary>
    private List<ReadOnlyMemory<byte>> LoadCrls(string option)
    {
        var list = new List<ReadOnlyMemory<byte>>();
        foreach (var path in FileList(option))
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"-{option}: cannot read '{path}': {e.Message}", e);
            }
            var text = Encoding.ASCII.GetString(bytes);
            if (!text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                list.Add(bytes);
                continue;
            }
            int before = list.Count;
            var rest = text.AsMemory();
            while (PemEncoding.TryFind(rest.Span, out var fields))
            {
                if (rest.Span[fields.Label].SequenceEqual("X509 CRL"))
                {
                    try
                    {
                        list.Add(Convert.FromBase64String(rest[fields.Base64Data].ToString()));
                    }
                    catch (FormatException e)
                    {
                        throw new CliException($"-{option}: '{path}' has a damaged PEM block", e);
                    }
                }
                rest = rest[fields.Location.End..];
            }
            if (list.Count == before)
            {
                throw new CliException($"-{option}: '{path}' holds no PEM CRL (-----BEGIN X509 CRL-----)");
            }
        }
        return list;
    }

    // -own_trusted: the same chain validation as every response's sender certificate (C20), without revocation.
    private void CheckOwnChain(X509Certificate2 cert, X509Certificate2Collection chain, X509Certificate2Collection anchors)
    {
        var policy = new CmpKit.Validation.VerificationPolicy { TrustAnchors = [.. anchors], PartialChain = _r.Flag("partial_chain") };
        if (CmpKit.Validation.SenderCertificateValidator.ValidateChain(cert, chain, policy, DateTimeOffset.UtcNow) is { } error)
        {
            throw new CliException("-own_trusted: the -cert certificate does not chain to these trust anchors: " + error);
        }
    }

    private CertificateRequestTemplate BuildTemplate(CertificateRequestKind kind, CmpClientOptions options, AsymmetricAlgorithm? newKey, bool central)
    {
        // (ReadOnlyMemory<byte>?)null, not null: a bare null would become an empty, non-null memory.
        ReadOnlyMemory<byte>? csr = _r.String("csr") is { } csrPath ? LoadCsr(csrPath) : (ReadOnlyMemory<byte>?)null;
        if (kind == CertificateRequestKind.Pkcs10 && csr is null)
        {
            throw new CliException("missing -csr for -cmd p10cr");
        }
        var oldCert = _r.Cert("oldcert", "certificate to be updated");
        if (kind == CertificateRequestKind.KeyUpdate && oldCert is null && options.SignatureCredentials is null)
        {
            throw new CliException("missing -oldcert (certificate to be updated) and no -cert given");
        }

        ReadOnlyMemory<byte>? publicKey = null;
        if (newKey is null && _r.IsSet("newkey"))
        {
            publicKey = CredentialLoader.LoadPublicKey(_r.String("newkey")!, null, "new public key").ExportSubjectPublicKeyInfo();
        }
        if (kind != CertificateRequestKind.Pkcs10 && newKey is null && publicKey is null && csr is null && !central)
        {
            if (_r.IsSet("key") && options.SignatureCredentials is null)
            {
                newKey = _r.PrivateKey("key", "keypass", "private key to be certified");
            }
            else if (options.SignatureCredentials is null)
            {
                throw new CliException("missing -newkey (or -key) for the key to be certified, and no -csr given; -newkeyout FILE generates one");
            }
        }

        var pop = central ? ProofOfPossessionMethod.None : (_r.Int("popo") ?? 1) switch
        {
            -1 => ProofOfPossessionMethod.None,
            0 => ProofOfPossessionMethod.RaVerified,
            1 => ProofOfPossessionMethod.Signature,
            2 or 3 => throw new CliException("-popo 2 and 3 (key encipherment, key agreement) are not supported yet"),
            _ => throw new CliException("-popo: must be -1 (none), 0 (raVerified), 1 (signature), 2 or 3"),
        };
        if (pop == ProofOfPossessionMethod.Signature && newKey is null && publicKey is not null)
        {
            throw new CliException("-newkey gives only a public key, which cannot sign the proof of possession; use -popo 0 or -1");
        }

        var extensions = new List<X509Extension>();
        if (_r.String("reqexts") is { } section)
        {
            var config = _r.Args.Config ?? throw new CliException("-reqexts names a config section, but no -config file is given");
            extensions.AddRange(ExtensionConfig.Load(config, section, "-reqexts"));
            // As openssl cmp: the SANs come from one place only.
            if (_r.IsSet("sans") && extensions.Any(e => e.Oid?.Value == "2.5.29.17"))
            {
                throw new CliException($"cannot have Subject Alternative Names both via -reqexts (section [{section}]) and via -sans");
            }
        }
        if (_r.String("policies") is { } polSection)
        {
            if (_r.IsSet("policy_oids"))
            {
                throw new CliException("cannot have policies both via -policies and via -policy_oids");
            }
            var config = _r.Args.Config ?? throw new CliException("-policies names a config section, but no -config file is given");
            extensions.AddRange(ExtensionConfig.Load(config, polSection, "-policies"));
        }
        else if (_r.String("policy_oids") is { } oids)
        {
            var list = oids.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
            foreach (var oid in list.Where(o => !ExtensionConfig.IsOid(o)))
            {
                throw new CliException($"-policy_oids: '{oid}' is not an OID");
            }
            extensions.Add(ExtensionConfig.Policies(list, _r.Flag("policy_oids_critical")));
        }

        var (dns, ips, uris, emails, sanCritical) = ParseSans(_r.String("sans"));
        var days = _r.Int("days");
        if (days is < 0)
        {
            throw new CliException("-days: must not be negative");
        }
        return new CertificateRequestTemplate
        {
            NewKey = newKey,
            NewPublicKey = publicKey,
            Subject = _r.Dn("subject", _warnings),
            Issuer = _r.Dn("issuer", _warnings),
            ValidityDays = days is 0 ? null : days,
            DnsNames = dns,
            IpAddresses = ips,
            Uris = uris,
            EmailAddresses = emails,
            SubjectAlternativeNamesCritical = sanCritical,
            NoDefaultSubjectAlternativeNames = _r.Flag("san_nodefault"),
            Extensions = extensions,
            OldCertificate = oldCert,
            Pkcs10Request = csr,
            ProofOfPossession = pop,
            CentralKeyGeneration = central,
        };
    }

    /// <summary>OpenSSL's -sans: names separated by commas or spaces; "critical" marks the extension critical.</summary>
    internal static (List<string> Dns, List<IPAddress> Ips, List<Uri> Uris, List<string> Emails, bool Critical) ParseSans(string? spec)
    {
        var dns = new List<string>();
        var ips = new List<IPAddress>();
        var uris = new List<Uri>();
        var emails = new List<string>();
        bool critical = false;
        foreach (var token in (spec ?? "").Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token == "critical")
            {
                critical = true;
            }
            else if (IPAddress.TryParse(token, out var ip) && (ip.AddressFamily == AddressFamily.InterNetworkV6 || token.Count(c => c == '.') == 3))
            {
                ips.Add(ip);
            }
            else if (token.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(token, UriKind.Absolute, out var uri))
            {
                uris.Add(uri);
            }
            else if (token.Contains('@', StringComparison.Ordinal))
            {
                emails.Add(token);
            }
            else
            {
                dns.Add(token);
            }
        }
        return (dns, ips, uris, emails, critical);
    }

    private static byte[] LoadCsr(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"-csr: cannot read '{path}': {e.Message}", e);
        }
        var text = Encoding.ASCII.GetString(bytes);
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            foreach (var label in new[] { "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST" })
            {
                var begin = $"-----BEGIN {label}-----";
                var start = text.IndexOf(begin, StringComparison.Ordinal);
                var end = text.IndexOf($"-----END {label}-----", StringComparison.Ordinal);
                if (start >= 0 && end > start)
                {
                    try
                    {
                        return Convert.FromBase64String(text[(start + begin.Length)..end]);
                    }
                    catch (FormatException e)
                    {
                        throw new CliException($"-csr: '{path}' has a damaged PEM block", e);
                    }
                }
            }
            throw new CliException($"-csr: '{path}' holds no PEM certificate request");
        }
        return bytes;
    }

    private Uri ServerUri()
    {
        var server = _r.String("server")!;
        var text = server;
        // https:// or -tls_used selects TLS, as in openssl cmp.
        bool tls = _r.Flag("tls_used");
        if (text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            tls = true;
            text = text[8..];
        }
        else if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            text = text[7..];
        }
        string? pathFromServer = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            pathFromServer = text[(slash + 1)..];
            text = text[..slash];
        }
        if (!Uri.TryCreate("http://" + text, UriKind.Absolute, out var hostUri) || hostUri.Host.Length == 0)
        {
            throw new CliException($"-server: cannot understand '{server}'; expected [http[s]://]host[:port][/path]");
        }
        var path = _r.String("path") ?? pathFromServer ?? "";
        bool explicitPort = text.LastIndexOf(':') > text.LastIndexOf(']');
        var builder = new UriBuilder(tls ? "https" : "http", hostUri.Host, explicitPort ? hostUri.Port : tls ? 443 : 80, "/" + path.TrimStart('/'));
        return builder.Uri;
    }

    /// <summary>
    /// The HTTP client: TLS per -tls_* (as openssl cmp: without -tls_trusted the server is not
    /// authenticated, with a warning), proxy per -proxy/-no_proxy or the environment. None for plain HTTP
    /// without a proxy, which the CLI sends itself (<see cref="DirectHttpCmpTransport"/>).
    /// </summary>
    private HttpClient? CreateHttpClient(Uri server)
    {
        CmpTlsOptions? tls = null;
        bool tlsOptionGiven = new[] { "tls_cert", "tls_key", "tls_keypass", "tls_extra", "tls_trusted", "tls_host" }.Any(_r.IsSet);
        if (server.Scheme == Uri.UriSchemeHttps)
        {
            var trusted = _r.Certs("tls_trusted", "trusted certificates for the TLS server");
            if (trusted.Count == 0)
            {
                _err.WriteLine("cmpkit: warning: TLS is used without -tls_trusted; the TLS server will not be authenticated");
            }
            X509Certificate2? clientCert = null;
            var chain = new X509Certificate2Collection();
            if (_r.IsSet("tls_cert"))
            {
                var certs = _r.CertsOfFile("tls_cert", "TLS client certificate", "tls_keypass");
                if (certs.Count == 0)
                {
                    throw new CliException($"-tls_cert: no certificate in '{_r.String("tls_cert")}'");
                }
                var key = _r.PrivateKey("tls_key", "tls_keypass", "TLS client private key")
                    ?? throw new CliException("missing -tls_key for the -tls_cert given");
                if (!CmpClient.PublicKeyMatches(certs[0], key))
                {
                    throw new CliException("-tls_key does not belong to the -tls_cert certificate");
                }
                clientCert = key switch
                {
                    System.Security.Cryptography.RSA rsa => certs[0].CopyWithPrivateKey(rsa),
                    System.Security.Cryptography.ECDsa ec => certs[0].CopyWithPrivateKey(ec),
                    _ => throw new CliException("-tls_key: only RSA and EC keys are supported for TLS"),
                };
                // An ephemeral key cannot be used by the TLS stack on every platform: round-trip through PKCS#12.
                clientCert = X509CertificateLoader.LoadPkcs12(clientCert.Export(X509ContentType.Pkcs12), null);
                foreach (var c in certs.Cast<X509Certificate2>().Skip(1))
                {
                    chain.Add(c);
                }
            }
            else if (_r.IsSet("tls_key"))
            {
                throw new CliException("-tls_key given without -tls_cert");
            }
            chain.AddRange(_r.Certs("tls_extra", "extra certificates for TLS"));
            tls = new CmpTlsOptions
            {
                TrustAnchors = trusted,
                UntrustedCertificates = _r.Certs("untrusted", "untrusted certificates"),
                HostName = _r.String("tls_host"),
                AcceptAnyServerCertificate = trusted.Count == 0,
                ClientCertificate = clientCert,
                ClientCertificateChain = chain,
            };
        }
        else if (tlsOptionGiven)
        {
            _err.WriteLine("cmpkit: warning: TLS options are ignored since TLS is not used (give https:// or -tls_used)");
        }
        var proxy = CmpProxyOptions.FromOpenSslConventions(server, _r.String("proxy"), _r.String("no_proxy"));
        if (proxy.Proxy is { } p)
        {
            _logger.LogInformation("using the proxy {Proxy} for {Server}", p.GetLeftPart(UriPartial.Authority), server.GetLeftPart(UriPartial.Authority));
        }
        else if (tls is null)
        {
            return null;
        }
        return new HttpClient(CmpHttpClientFactory.CreateHandler(tls, proxy), disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan, // the client enforces -msg_timeout and -total_timeout
        };
    }

    private void WriteCertificates(string option, X509Certificate2Collection certs, string what) =>
        WriteCertificates(option, Encodings(certs), what);

    private static List<ReadOnlyMemory<byte>> Encodings(X509Certificate2Collection certs) => [.. certs.Select(c => c.RawDataMemory)];

    private void WriteCertificates(string option, List<ReadOnlyMemory<byte>> certs, string what)
    {
        if (_r.String(option) is not { } path)
        {
            return;
        }
        var der = string.Equals(_r.String("certform"), "DER", StringComparison.OrdinalIgnoreCase);
        try
        {
            if (der)
            {
                if (certs.Count > 1)
                {
                    throw new CliException($"-{option}: cannot save {certs.Count} certificates in DER format; use -certform PEM");
                }
                OutputFile.Write(path, certs.Count == 0 ? [] : certs[0].Span);
            }
            else
            {
                var sb = new StringBuilder();
                foreach (var c in certs)
                {
                    sb.AppendLine(PemEncoding.WriteString("CERTIFICATE", c.Span));
                }
                OutputFile.Write(path, Encoding.UTF8.GetBytes(sb.ToString()));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"-{option}: cannot save the {what} to '{path}': {e.Message}", e);
        }
        _logger.LogInformation("saved the {What} to {Path}", what, path);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the transaction's own error is what the user needs to see.
        }
    }

    private void WriteKey(string path, AsymmetricAlgorithm key, string what = "new private key")
    {
        try
        {
            var pass = _r.Pass("newkeypass");
            var pem = string.IsNullOrEmpty(pass)
                ? key.ExportPkcs8PrivateKeyPem()
                : key.ExportEncryptedPkcs8PrivateKeyPem(pass, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000));
            using (File.Create(path))
            {
            }
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            File.WriteAllText(path, pem + Environment.NewLine);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"-newkeyout: cannot save the {what} to '{path}': {e.Message}", e);
        }
        _logger.LogInformation("saved the {What} to {Path}", what, path);
    }
}
