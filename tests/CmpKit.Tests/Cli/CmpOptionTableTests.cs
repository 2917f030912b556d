using CmpKit.Cli.Options;

namespace CmpKit.Tests.Cli;

public class CmpOptionTableTests
{
    // The options the brief says CmpKit supports now.
    private const string SupportedNow =
        "help config section verbosity cmd server path recipient expect_sender srvcert trusted untrusted " +
        "ignore_keyusage unprotected_errors extracertsout cacertsout ref secret cert key keypass own_trusted " +
        "digest mac extracerts unprotected_requests newkey newkeypass subject issuer days reqexts sans " +
        "san_nodefault policies policy_oids policy_oids_critical popo csr out_trusted implicit_confirm " +
        "disable_confirm certout chainout oldcert msg_timeout total_timeout keep_alive batch certform keyform " +
        "otherpass use_mock_srv port srv_ref srv_secret srv_cert srv_key srv_keypass srv_trusted srv_untrusted " +
        "rsp_cert rsp_extracerts rsp_capubs poll_count check_after grant_implicitconf pkistatus failure " +
        "failurebits statusstring send_error send_unprotected send_unprot_err accept_unprotected " +
        "accept_unprot_err accept_raverified no_check_time max_msgs rsp_key rsp_keypass ref_cert " +
        "no_cache_extracerts no_proxy newkeyout rsp_crl rsp_newwithnew rsp_newwithold rsp_oldwithnew centralkeygen verify_depth " +
        "infotype profile geninfo template keyspec serial revreason srvcertout oldwithold newwithnew newwithold " +
        "oldwithnew crlcert oldcrl crlout crlform repeat reqin reqout reqout_only rspin rspout " +
        "proxy tls_used tls_cert tls_key tls_keypass tls_extra tls_trusted tls_host reqin_new_tid " +
        "partial_chain crl_check crl_check_all crls";

    private const string MasterOnly =
        "profile serial template keyspec crlcert oldcrl crlout crlform oldwithold newwithnew newwithold " +
        "oldwithnew srvcertout reqout_only centralkeygen newkeyout rsp_key rsp_keypass ref_cert rsp_crl " +
        "rsp_newwithnew rsp_newwithold rsp_oldwithnew no_cache_extracerts nonmatched_error_nonces ta_in_ip_extracerts";

    [Fact]
    public void SupportedSetIsExactlyTheAgreedOne()
    {
        var expected = SupportedNow.Split(' ').ToHashSet();
        var actual = CmpOptionTable.All.Where(o => o.Support == CmpOptionSupport.Supported).Select(o => o.Name).ToHashSet();

        Assert.Empty(expected.Except(actual));
        Assert.Empty(actual.Except(expected));
    }

    [Fact]
    public void EveryOptionOfInstalledOpenSslHelpIsKnown()
    {
        string path = "/tmp/openssl-cmp-help.txt";
        if (!File.Exists(path))
        {
            Assert.Skip($"{path} missing (create with: openssl cmp -help 2>&1 > {path})");
        }

        var names = File.ReadAllLines(path)
            .Where(l => l.StartsWith(" -", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0][1..])
            .ToList();

        Assert.True(names.Count > 100, "help file looks truncated");
        Assert.All(names, n => Assert.NotNull(CmpOptionTable.Find(n)));
    }

    [Fact]
    public void MasterOptionsAreKnown()
    {
        Assert.All(MasterOnly.Split(' '), n => Assert.NotNull(CmpOptionTable.Find(n)));
    }

    [Fact]
    public void KindsMatchOpenSsl()
    {
        Assert.Equal(CmpOptionKind.Flag, CmpOptionTable.Get("batch").Kind);
        Assert.Equal(CmpOptionKind.Int, CmpOptionTable.Get("popo").Kind);
        Assert.Equal(CmpOptionKind.NonNegativeInt, CmpOptionTable.Get("days").Kind);
        Assert.Equal(CmpOptionKind.PositiveInt, CmpOptionTable.Get("repeat").Kind);
        Assert.Equal(CmpOptionKind.Passphrase, CmpOptionTable.Get("keypass").Kind);
        Assert.Equal(CmpOptionKind.DistinguishedName, CmpOptionTable.Get("subject").Kind);
        Assert.Equal(CmpOptionGroup.MockServer, CmpOptionTable.Get("port").Group);
        Assert.Equal(CmpOptionGroup.ClientSideDebugging, CmpOptionTable.Get("use_mock_srv").Group);
    }

    [Fact]
    public void NamesAreUniqueAndHelpIsPresent()
    {
        Assert.Equal(CmpOptionTable.All.Count, CmpOptionTable.All.Select(o => o.Name).Distinct().Count());
        Assert.All(CmpOptionTable.All, o => Assert.False(string.IsNullOrWhiteSpace(o.Help)));
    }
}
