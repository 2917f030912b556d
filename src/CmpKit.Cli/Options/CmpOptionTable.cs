using K = CmpKit.Cli.Options.CmpOptionKind;
using G = CmpKit.Cli.Options.CmpOptionGroup;
using S = CmpKit.Cli.Options.CmpOptionSupport;

namespace CmpKit.Cli.Options;

/// <summary>
/// Every option of <c>openssl cmp</c> (OpenSSL 3.0 and master), in the order and groups of
/// <c>openssl cmp -help</c>. Help texts are CmpKit's own. Options CmpKit does not implement yet
/// are still listed so they can be answered "not supported yet" rather than "unknown".
/// </summary>
internal static class CmpOptionTable
{
    /// <summary>All options in help order.</summary>
    public static IReadOnlyList<CmpOptionSpec> All { get; } = Build();

    private static readonly Dictionary<string, CmpOptionSpec> ByName =
        All.ToDictionary(o => o.Name, StringComparer.Ordinal);

    /// <summary>Looks an option up by name without the leading dash; null if unknown.</summary>
    public static CmpOptionSpec? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Looks an option up; throws for a name that is not in the table (a programming error).</summary>
    public static CmpOptionSpec Get(string name) =>
        Find(name) ?? throw new ArgumentException($"'{name}' is not an openssl cmp option", nameof(name));

    private static List<CmpOptionSpec> Build()
    {
        var t = new List<CmpOptionSpec>();
        G g = G.General;
        void Add(string name, K kind, string help, S support = S.Supported, int? min = null, int? max = null) =>
            t.Add(new CmpOptionSpec(name, kind, g, help, support) { Min = min, Max = max });

        Add("help", K.Flag, "Print this summary and exit");
        Add("config", K.InputFile, "OpenSSL config file to take option defaults from; \"\" = none");
        Add("section", K.Section, "Config section(s) to use, separated by space or comma; later ones win. Default 'cmp'");
        Add("verbosity", K.NonNegativeInt, "Log level 0..8: 3=errors, 4=warnings, 6=info (default), 7=debug, 8=trace", max: 8);

        g = G.GenericMessage;
        Add("cmd", K.Text, "Request to send: ir, cr, kur, p10cr, rr or genm");
        Add("infotype", K.Text, "InfoType name asked for in a genm request, e.g. caCerts, rootCaCert");
        Add("profile", K.Text, "Certificate profile name put into the request header's generalInfo");
        Add("geninfo", K.Text, "generalInfo entries for the request headers: <OID>:int:<n> or <OID>:str:<s> (OID dotted or named, e.g. id-kp), separated by commas or spaces");
        Add("template", K.OutputFile, "Where to store a certTemplate received in a certReqTemplate genp");
        Add("keyspec", K.OutputFile, "Where to store the key specification received in a certReqTemplate genp");

        g = G.CertificateEnrollment;
        Add("newkey", K.InputFile, "Key (private, or public for central/RA use) of the certificate requested; default: CSR or client key");
        Add("newkeypass", K.Passphrase, "Pass phrase source for the -newkey file");
        Add("centralkeygen", K.Flag, "Request central (server-side) key generation (same as -popo -1); needs -newkeyout");
        Add("newkeyout", K.OutputFile, "File to save the centrally generated private key (PEM; encrypted with -newkeypass if given); without central key generation and -newkey, a key generated here");
        Add("subject", K.DistinguishedName, "Subject DN for the requested certificate; kur default: from -csr or -oldcert");
        Add("days", K.NonNegativeInt, "Validity period to ask for, in days");
        Add("reqexts", K.Section, "Config section with extensions to request (added to or replacing those of -csr)");
        Add("sans", K.Text, "Subject alternative names (IP, DNS, URI, email) to request; 'critical' marks them critical");
        Add("san_nodefault", K.Flag, "Do not copy SANs from the reference certificate (-oldcert)");
        Add("policies", K.Section, "Config section with the certificatePolicies extension to request");
        Add("policy_oids", K.Text, "Policy OIDs to request in a certificatePolicies extension");
        Add("policy_oids_critical", K.Flag, "Mark the -policy_oids extension critical");
        Add("popo", K.Int, "Proof-of-possession: -1 none (implies -centralkeygen), 0 RA verified, 1 signature (default), 2 key encipherment", min: -1, max: 2);
        Add("csr", K.InputFile, "PKCS#10 request (PEM or DER) for p10cr, or as template source for ir/cr/kur");
        Add("out_trusted", K.InputFile, "Trust anchors for checking the newly issued certificate");
        Add("implicit_confirm", K.Flag, "Ask for implicit confirmation (no certConf round trip)");
        Add("disable_confirm", K.Flag, "Do not send certConf even without implicit confirmation (violates RFC 9810)");
        Add("certout", K.OutputFile, "Where to store the newly issued certificate");
        Add("chainout", K.OutputFile, "Where to store the chain of the newly issued certificate");

        g = G.EnrollmentAndRevocation;
        Add("oldcert", K.InputFile, "Certificate to update (kur) or revoke (rr); default -cert; reference for subject and SANs");
        Add("issuer", K.DistinguishedName, "Issuer DN for the certificate template; also recipient fallback");
        Add("serial", K.Text, "Serial number of the certificate to revoke (rr without -oldcert)");
        Add("revreason", K.Int, "CRL reason code for rr: 0..6, 8..10, or -1 for none (default)");
        t[^1] = t[^1] with { Min = -1, Max = 10, Excluded = [7] };

        g = G.MessageTransfer;
        Add("server", K.Address, "CMP server as [http[s]://]host[:port][/path]; port 80 or 443 by default");
        Add("proxy", K.Address, "HTTP(S) proxy as [http[s]://]host[:port]; any path is ignored");
        Add("no_proxy", K.Text, "Servers not to reach via the proxy; default from $no_proxy or $NO_PROXY");
        Add("recipient", K.DistinguishedName, "DN of the CA addressed; default from -srvcert, -issuer, -oldcert or -cert");
        Add("path", K.Text, "HTTP path on the server (CMP alias); default from -server, else /");
        Add("keep_alive", K.NonNegativeInt, "Persistent connections: 0 off, 1 ask (default), 2 require", max: 2);
        Add("msg_timeout", K.NonNegativeInt, "Seconds allowed per message round trip; 0 = no limit");
        Add("total_timeout", K.NonNegativeInt, "Seconds allowed for a whole transaction including polling; 0 = no limit");

        g = G.ServerAuthentication;
        Add("trusted", K.InputFile, "Trust anchors for checking signed responses (unless -srvcert)");
        Add("untrusted", K.InputFile, "Intermediate certificates for building chains (CMP, TLS, new certificate)");
        Add("srvcert", K.InputFile, "Pinned server certificate, trusted directly for response signatures");
        Add("expect_sender", K.DistinguishedName, "DN the responses' sender must have; default subject of -srvcert");
        Add("ignore_keyusage", K.Flag, "Accept a server signing certificate without digitalSignature key usage");
        Add("unprotected_errors", K.Flag, "Accept unprotected negative responses and errors (violates RFC 9810)");
        Add("nonmatched_error_nonces", K.Flag, "Accept error messages with missing or wrong transactionID/recipNonce", S.NotYet);
        Add("ta_in_ip_extracerts", K.Flag, "Use self-issued certificates from ip extraCerts as trust anchors (3GPP TS 33.310)", S.NotYet);
        Add("no_cache_extracerts", K.Flag, "Do not keep certificates received in extraCerts for later use (mock server: across requests)");
        Add("srvcertout", K.OutputFile, "Where to store the validated server certificate");
        Add("extracertsout", K.OutputFile, "Where to store certificates received in extraCerts");
        Add("cacertsout", K.OutputFile, "Where to store CA certificates received in caPubs (or a caCerts genp)");
        Add("oldwithold", K.InputFile, "Current root CA certificate for a rootCaCert genm");
        Add("newwithnew", K.OutputFile, "Where to store the new root CA certificate from a rootCaKeyUpdate genp");
        Add("newwithold", K.OutputFile, "Where to store the newWithOld link certificate from a rootCaKeyUpdate genp");
        Add("oldwithnew", K.OutputFile, "Where to store the oldWithNew link certificate from a rootCaKeyUpdate genp");
        Add("crlcert", K.InputFile, "Certificate whose CRL distribution point a crlStatusList genm asks about");
        Add("oldcrl", K.InputFile, "CRL to ask an update of in a crlStatusList genm");
        Add("crlout", K.OutputFile, "Where to store a CRL received in a crls genp");

        g = G.ClientAuthentication;
        Add("ref", K.Text, "senderKID to use with PBM protection when no -cert is given");
        Add("secret", K.Passphrase, "Shared secret source for PBM (MAC) protection; preferred over signatures");
        Add("cert", K.InputFile, "Client's signing certificate (may be PKCS#12; further certs become untrusted)");
        Add("own_trusted", K.InputFile, "Trust anchors for checking the chain of the client's own certificate");
        Add("key", K.InputFile, "Client's private key for signing requests (unused with -secret)");
        Add("keypass", K.Passphrase, "Pass phrase source for -key, -cert and -oldcert");
        Add("digest", K.Text, "Digest for signature protection and POPO; default sha256");
        Add("mac", K.Text, "MAC algorithm for PBM protection; default hmac-sha1");
        Add("extracerts", K.InputFile, "Certificates to send in the extraCerts field");
        Add("unprotected_requests", K.Flag, "Send requests without protection");

        g = G.CredentialsFormat;
        Add("certform", K.Text, "Format for writing certificates: PEM (default) or DER");
        Add("crlform", K.Text, "Format for writing CRLs: PEM or DER (default)");
        Add("keyform", K.Text, "Format hint for key input: PEM, DER or P12 (content is auto-detected)");
        Add("otherpass", K.Passphrase, "Pass phrase source for certificate files of others (PKCS#12)");
        Add("engine", K.Text, "Crypto engine (OpenSSL 3.x only)", S.NotYet);

        g = G.Provider;
        Add("provider-path", K.Text, "Where to load OpenSSL providers from", S.NotYet);
        Add("provider", K.Text, "OpenSSL provider to load", S.NotYet);
        Add("propquery", K.Text, "OpenSSL property query for fetching algorithms", S.NotYet);
        Add("provparam", K.Text, "OpenSSL provider parameter", S.NotYet);

        g = G.RandomState;
        Add("rand", K.InputFile, "Files to seed the random generator with", S.NotYet);
        Add("writerand", K.OutputFile, "File to write random data to on exit", S.NotYet);

        g = G.TlsConnection;
        Add("tls_used", K.Flag, "Use HTTPS even when no other TLS option is given");
        Add("tls_cert", K.InputFile, "Client's TLS certificate (and chain)");
        Add("tls_key", K.InputFile, "Private key for -tls_cert");
        Add("tls_keypass", K.Passphrase, "Pass phrase source for -tls_key and -tls_cert");
        Add("tls_extra", K.InputFile, "Extra certificates to present to the TLS server");
        Add("tls_trusted", K.InputFile, "Trust anchors for the TLS server certificate (implies host name check)");
        Add("tls_host", K.Text, "Host name or address to check in the TLS server certificate instead of -server's");

        g = G.ClientSideDebugging;
        Add("batch", K.Flag, "Never prompt interactively (e.g. for pass phrases)");
        Add("repeat", K.PositiveInt, "Run the transaction this many times; default 1");
        Add("reqin", K.InputFile, "Send requests read from these files instead of building them");
        Add("reqin_new_tid", K.Flag, "Give requests read by -reqin a fresh transactionID");
        Add("reqout", K.OutputFile, "Save the requests sent to these files");
        Add("reqout_only", K.OutputFile, "Save the first request to this file and stop without sending it");
        Add("rspin", K.InputFile, "Use responses read from these files instead of asking a server");
        Add("rspout", K.OutputFile, "Save the responses received to these files");
        Add("use_mock_srv", K.Flag, "Talk to the built-in mock server in-process instead of over HTTP");

        g = G.MockServer;
        Add("port", K.Text, "Run as HTTP mock CMP server on this port (0 = pick one)");
        Add("max_msgs", K.NonNegativeInt, "Stop the mock server after this many messages; 0 = never");
        Add("srv_ref", K.Text, "Server senderKID when no -srv_cert is given");
        Add("srv_secret", K.Passphrase, "Shared secret source for the server's PBM protection");
        Add("srv_cert", K.InputFile, "Server's signing certificate");
        Add("srv_key", K.InputFile, "Server's private signing key");
        Add("srv_keypass", K.Passphrase, "Pass phrase source for -srv_key and -srv_cert");
        Add("srv_trusted", K.InputFile, "Trust anchors for checking signed requests");
        Add("srv_untrusted", K.InputFile, "Intermediate certificates for checking request signatures");
        Add("ref_cert", K.InputFile, "Certificate expected in rr and as oldCertId in kur");
        Add("rsp_cert", K.InputFile, "Certificate the mock server returns as enrollment result");
        Add("rsp_key", K.InputFile, "Private key of -rsp_cert, returned on central key generation");
        Add("rsp_keypass", K.Passphrase, "Pass phrase source for -rsp_key");
        Add("rsp_crl", K.InputFile, "CRL returned in a crls genp");
        Add("rsp_extracerts", K.InputFile, "Certificates the mock server adds to extraCerts of certification responses");
        Add("rsp_capubs", K.InputFile, "CA certificates the mock server puts into caPubs of ip");
        Add("rsp_newwithnew", K.InputFile, "New root CA certificate returned in a rootCaKeyUpdate genp");
        Add("rsp_newwithold", K.InputFile, "newWithOld link certificate returned in a rootCaKeyUpdate genp");
        Add("rsp_oldwithnew", K.InputFile, "oldWithNew link certificate returned in a rootCaKeyUpdate genp");
        Add("poll_count", K.NonNegativeInt, "How often the client must poll before getting the certificate");
        Add("check_after", K.NonNegativeInt, "checkAfter seconds to put into poll responses");
        Add("grant_implicitconf", K.Flag, "Grant implicit confirmation when asked");
        Add("pkistatus", K.NonNegativeInt, "PKIStatus to answer with, 0..6", max: 6);
        Add("failure", K.NonNegativeInt, "Single PKIFailureInfo bit number to answer with, 0..26", max: 26);
        Add("failurebits", K.NonNegativeInt, "PKIFailureInfo bits to answer with, 0..2^27-1", max: (1 << 27) - 1);
        Add("statusstring", K.Text, "statusString text to answer with");
        Add("send_error", K.Flag, "Answer every request with an error message");
        Add("send_unprotected", K.Flag, "Send responses without protection");
        Add("send_unprot_err", K.Flag, "Send negative responses unprotected (violates RFC 9810)");
        Add("accept_unprotected", K.Flag, "Accept requests with missing or invalid protection");
        Add("accept_unprot_err", K.Flag, "Accept unprotected error messages and certConf from the client");
        Add("accept_raverified", K.Flag, "Accept RA-verified proof-of-possession");

        g = G.Validation;
        Add("policy", K.Text, "Policy OID for certificate path validation", S.NotYet);
        Add("purpose", K.Text, "Certificate purpose to check in path validation", S.NotYet);
        Add("verify_name", K.Text, "Named set of verification parameters", S.NotYet);
        Add("verify_depth", K.Int, "Most intermediate CA certificates in a chain to a trust anchor (default 10)", min: 0);
        Add("auth_level", K.Int, "Minimum security level of keys and signatures in the chain", S.NotYet);
        Add("attime", K.Text, "Validate at this time (seconds since 1970) instead of now", S.NotYet);
        Add("verify_hostname", K.Text, "Host name the end-entity certificate must match", S.NotYet);
        Add("verify_email", K.Text, "Email address the end-entity certificate must match", S.NotYet);
        Add("verify_ip", K.Text, "IP address the end-entity certificate must match", S.NotYet);
        foreach (var (name, help) in new[]
                 {
                     ("ignore_critical", "Ignore unknown critical extensions"),
                     ("issuer_checks", "No effect (kept for compatibility)"),
                     ("policy_check", "Do certificate policy checking"),
                     ("explicit_policy", "Require an explicit policy"),
                     ("inhibit_any", "Inhibit anyPolicy"),
                     ("inhibit_map", "Inhibit policy mapping"),
                     ("x509_strict", "Apply strict X.509 checks"),
                     ("extended_crl", "Support extended CRL features"),
                     ("use_deltas", "Use delta CRLs"),
                     ("policy_print", "Print policy processing diagnostics"),
                     ("check_ss_sig", "Check the signature of the root certificate too"),
                     ("trusted_first", "Prefer trusted certificates when building chains (default)"),
                     ("suiteB_128_only", "Suite B 128-bit-only mode"),
                     ("suiteB_128", "Suite B 128-bit mode (192-bit allowed)"),
                     ("suiteB_192", "Suite B 192-bit mode"),
                     ("no_alt_chains", "Do not look for alternative chains"),
                     ("allow_proxy_certs", "Allow proxy certificates"),
                 })
        {
            Add(name, K.Flag, help, S.NotYet);
        }
        Add("crl_check", K.Flag, "Check the CMP server certificate against the -crls CRLs (not -srvcert, not -out_trusted)");
        Add("crl_check_all", K.Flag, "Check the CMP server certificate's whole chain against the -crls CRLs");
        Add("crls", K.InputFile, "CRL files (PEM or DER) for -crl_check and -crl_check_all (CmpKit's own option)");
        Add("partial_chain", K.Flag, "Accept chains ending at a trusted certificate that is not self-signed (-trusted, -out_trusted)");

        Add("no_check_time", K.Flag, "Do not check validity periods against the current time");
        return t;
    }
}
