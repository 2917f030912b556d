using System.Text.RegularExpressions;

namespace CmpKit.OpenSslSuite;

/// <summary>
/// One thing a peer cannot do: an option (with an optional value) in a row's argv that makes the
/// row untestable with that peer, and why.
/// </summary>
/// <param name="Option">The option as written, e.g. <c>-centralkeygen</c>.</param>
/// <param name="Value">When set, only rows giving the option a value that matches this regular expression.</param>
/// <param name="Reason">Names the missing feature; printed as the skip reason.</param>
/// <param name="OnlyIfSameFileAsCertout">Only when the option's value is also the row's (last) -certout file.</param>
public sealed record PeerLimit(string Option, string? Value, string Reason, bool OnlyIfSameFileAsCertout = false)
{
    /// <summary>True when argv[i] is this option and the value condition holds.</summary>
    public bool Matches(IReadOnlyList<string> argv, int i)
    {
        if (argv[i] != Option)
        {
            return false;
        }

        string? value = i + 1 < argv.Count ? argv[i + 1] : null;
        if (Value is not null && (value is null || !Regex.IsMatch(value, Value)))
        {
            return false;
        }

        if (OnlyIfSameFileAsCertout)
        {
            int certout = argv.ToList().FindLastIndex(a => a == "-certout");
            return value is not null && certout >= 0 && certout + 1 < argv.Count && argv[certout + 1] == value;
        }

        return true;
    }
}

/// <summary>
/// Rows are skipped only where the row needs something the chosen peer cannot do. The only such
/// peer is the installed OpenSSL 3.0 (the CSV files and server.cnf are from OpenSSL master); for
/// cmpkit nothing is skipped, whatever it lacks is a failure.
/// </summary>
public static class PeerLimits
{
    /// <summary>Options of master's <c>openssl cmp</c> client that OpenSSL 3.0's lacks (checked against <c>openssl cmp -help</c> of 3.0.19).</summary>
    public static IReadOnlyList<PeerLimit> OpenSsl30Client { get; } =
    [
        new("-centralkeygen", null, "OpenSSL 3.0 client lacks -centralkeygen (central key generation, master only)"),
        new("-newkeyout", null, "OpenSSL 3.0 client lacks -newkeyout (central key generation, master only)"),
        new("-popo", "^-1$", "OpenSSL 3.0 client lacks -popo -1 as central key generation (master only)"),
        new("-crlcert", null, "OpenSSL 3.0 client lacks -crlcert (genm crlStatusList, master only)"),
        new("-oldcrl", null, "OpenSSL 3.0 client lacks -oldcrl (genm crlStatusList, master only)"),
        new("-crlout", null, "OpenSSL 3.0 client lacks -crlout (genm crlStatusList, master only)"),
        new("-oldwithold", null, "OpenSSL 3.0 client lacks -oldwithold (genm rootCaCert, master only)"),
        new("-newwithnew", null, "OpenSSL 3.0 client lacks -newwithnew (genm rootCaCert, master only)"),
        new("-newwithold", null, "OpenSSL 3.0 client lacks -newwithold (genm rootCaCert, master only)"),
        new("-oldwithnew", null, "OpenSSL 3.0 client lacks -oldwithnew (genm rootCaCert, master only)"),
        new("-template", null, "OpenSSL 3.0 client lacks -template (genm certReqTemplate, master only)"),
        new("-keyspec", null, "OpenSSL 3.0 client lacks -keyspec (genm certReqTemplate, master only)"),
        new("-profile", null, "OpenSSL 3.0 client lacks -profile (certProfile in generalInfo, master only)"),
        new("-reqout_only", null, "OpenSSL 3.0 client lacks -reqout_only (master only)"),
        new("-serial", null, "OpenSSL 3.0 client lacks -serial (rr by -issuer and -serial, master only)"),
        new("-geninfo", ":str:", "OpenSSL 3.0 client's -geninfo takes only <OID>:int:<n> values (:str: is master only)"),
        new("-infotype", "^caCerts$", "OpenSSL 3.0 client has no typed genm caCerts (it neither requires -cacertsout nor checks the answer; master only)"),
        new("-chainout", null, "OpenSSL 3.0 client writes -chainout over -certout when both name the same file (master writes the certificate, then the chain)", OnlyIfSameFileAsCertout: true),
    ];

    /// <summary>
    /// What OpenSSL 3.0's mock server lacks compared with master's, for the rows that need it. Its
    /// server.cnf copy omits master's ref_cert, rsp_key, rsp_crl, rsp_newwithnew/newwithold/oldwithnew
    /// and no_cache_extracerts.
    /// </summary>
    public static IReadOnlyList<PeerLimit> OpenSsl30Server { get; } =
    [
        new("-centralkeygen", null, "OpenSSL 3.0 mock server lacks rsp_key (central key generation)"),
        new("-popo", "^-1$", "OpenSSL 3.0 mock server lacks rsp_key (central key generation)"),
        new("-infotype", "^rootCaCert$", "OpenSSL 3.0 mock server lacks rsp_newwithnew/rsp_newwithold/rsp_oldwithnew (genm rootCaCert)"),
        new("-infotype", "^crlStatusList$", "OpenSSL 3.0 mock server lacks rsp_crl (genm crlStatusList)"),
        new("-infotype", "^caCerts$", "OpenSSL 3.0 mock server echoes a genm's InfoTypeAndValue; answering caCerts is master only"),
        new("-infotype", "^certReqTemplate$", "OpenSSL 3.0 mock server echoes a genm's InfoTypeAndValue; answering certReqTemplate is master only"),
        new("-profile", null, "OpenSSL 3.0 mock server does not check the certProfile (master only)"),
    ];

    /// <summary>Mock-server options of master's server.cnf that OpenSSL 3.0 does not have.</summary>
    public static IReadOnlyList<string> MasterOnlyServerOptions { get; } =
        ["ref_cert", "rsp_key", "rsp_crl", "rsp_newwithnew", "rsp_newwithold", "rsp_oldwithnew", "no_cache_extracerts"];

    /// <summary>Output-file options: a later row may read what they write (see row dependencies).</summary>
    public static IReadOnlySet<string> OutputOptions { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "-certout", "-chainout", "-cacertsout", "-extracertsout", "-srvcertout", "-newkeyout", "-reqout",
        "-reqout_only", "-rspout", "-newwithnew", "-newwithold", "-oldwithnew", "-crlout", "-template", "-keyspec",
    };

    /// <summary>The reasons the row cannot run with these limits (empty: it can).</summary>
    public static List<string> Check(IReadOnlyList<string> argv, IReadOnlyList<PeerLimit> limits)
    {
        var reasons = new List<string>();
        for (int i = 0; i < argv.Count; i++)
        {
            foreach (PeerLimit limit in limits)
            {
                if (limit.Matches(argv, i) && !reasons.Contains(limit.Reason))
                {
                    reasons.Add(limit.Reason);
                }
            }
        }

        return reasons;
    }
}
