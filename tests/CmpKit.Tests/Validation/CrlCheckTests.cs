using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Protection;
using CmpKit.Tests.Support;

namespace CmpKit.Tests.Validation;

/// <summary>
/// C20 with revocation checking (OpenSSL's -crl_check, -crl_check_all): the server's signing
/// certificate (or its chain) against the CRLs given, failing closed; not applied to a pinned
/// certificate (C16) nor to the "out trusted" check of the new certificate (C29).
/// </summary>
public class CrlCheckTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static byte[] Crl(TestPki.Issued ca, DateTimeOffset? nextUpdate = null, DateTimeOffset? thisUpdate = null, params X509Certificate2[] revoked)
    {
        var b = new CertificateRevocationListBuilder();
        foreach (var c in revoked)
        {
            b.AddEntry(c, DateTimeOffset.UtcNow.AddMinutes(-5), X509RevocationReason.KeyCompromise);
        }
        return b.Build(ca.WithKey(), BigInteger.One, nextUpdate ?? DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256,
            thisUpdate: thisUpdate ?? DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    private static CmpClientOptions Options(ScriptedCmpServer server, CmpRevocationCheck check, params byte[][] crls) =>
        ResponseCheckTests.MacOptions(server) with { RevocationCheck = check, CertificateRevocationLists = [.. crls.Select(c => (ReadOnlyMemory<byte>)c)] };

    private static Task<EnrollmentResult> Enroll(ScriptedCmpServer server, CmpClientOptions options) =>
        ResponseCheckTests.Client(server, options).InitialEnrollAsync(ResponseCheckTests.Template(), Ct);

    private static async Task<string> Fails(ScriptedCmpServer server, CmpClientOptions options)
    {
        var e = await Assert.ThrowsAsync<CmpException>(() => Enroll(server, options));
        Assert.Equal(CmpFailureReason.SenderCertificateUntrusted, e.Reason);
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    /// <summary>A server whose signing certificate comes from an intermediate CA under the scripted root.</summary>
    private static (ScriptedCmpServer Server, TestPki.Issued Intermediate, TestPki.Issued Signer) WithIntermediate()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var intermediate = TestPki.IssueWithKey(server.Ca, "CN=Scripted Intermediate", keyUsage: X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, ca: true);
        var signer = TestPki.IssueWithKey(intermediate, "CN=Scripted CMP Server");
        server.Mutate = d =>
        {
            d.Protection = new SignatureProtectionSpec(signer.Certificate, signer.Key, [], HashAlgorithmName.SHA256, false);
            d.ExtraCerts = [intermediate.Certificate];
        };
        return (server, intermediate, signer);
    }

    [Fact]
    public async Task C20_crl_check_passes_with_a_current_crl_that_does_not_list_the_server()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var result = await Enroll(server, Options(server, CmpRevocationCheck.EndCertificate, Crl(server.Ca)));
        Assert.NotNull(result.Certificate);
    }

    [Fact]
    public async Task C20_crl_check_fails_for_a_revoked_server_certificate()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var message = await Fails(server, Options(server, CmpRevocationCheck.EndCertificate, Crl(server.Ca, revoked: server.Signer.Certificate)));
        Assert.Contains("revoked (reason keyCompromise)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task C20_crl_check_fails_closed_without_a_crl()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        Assert.Contains("no CRL", await Fails(server, Options(server, CmpRevocationCheck.EndCertificate)), StringComparison.Ordinal);
        // a CRL of another issuer does not count
        var other = TestPki.CreateRoot("CN=Other CA");
        Assert.Contains("no CRL", await Fails(server, Options(server, CmpRevocationCheck.EndCertificate, Crl(other))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task C20_crl_check_refuses_expired_not_yet_valid_and_forged_crls()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        Assert.Contains("expired", await Fails(server, Options(server, CmpRevocationCheck.EndCertificate,
            Crl(server.Ca, nextUpdate: DateTimeOffset.UtcNow.AddMinutes(-1), thisUpdate: DateTimeOffset.UtcNow.AddDays(-2)))), StringComparison.Ordinal);
        Assert.Contains("not yet valid", await Fails(server, Options(server, CmpRevocationCheck.EndCertificate,
            Crl(server.Ca, thisUpdate: DateTimeOffset.UtcNow.AddDays(1), nextUpdate: DateTimeOffset.UtcNow.AddDays(2)))), StringComparison.Ordinal);
        // same issuer name, another key: the CRL's signature does not verify, so it cannot vouch for anything
        var impostor = TestPki.CreateRoot("CN=Scripted CA");
        Assert.Contains("signature", await Fails(server, Options(server, CmpRevocationCheck.EndCertificate, Crl(impostor))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task C20_crl_check_all_needs_a_crl_for_every_certificate_below_the_anchor()
    {
        var (server, intermediate, _) = WithIntermediate();
        // -crl_check: the end certificate only, with the intermediate's CRL
        await Enroll(server, Options(server, CmpRevocationCheck.EndCertificate, Crl(intermediate)));
        // -crl_check_all: the intermediate needs the root's CRL too
        Assert.Contains("CN=Scripted Intermediate", await Fails(server, Options(server, CmpRevocationCheck.EntireChain, Crl(intermediate))), StringComparison.Ordinal);
        await Enroll(server, Options(server, CmpRevocationCheck.EntireChain, Crl(intermediate), Crl(server.Ca)));
        // ... and fails when the root revoked the intermediate
        Assert.Contains("revoked", await Fails(server, Options(server, CmpRevocationCheck.EntireChain,
            Crl(intermediate), Crl(server.Ca, revoked: intermediate.Certificate))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task C16_C29_pinned_server_certificate_and_out_trusted_get_no_status_check()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var options = Options(server, CmpRevocationCheck.EntireChain) with
        {
            ServerCertificate = server.Signer.Certificate,
            TrustAnchors = [],
            OutTrusted = [server.Ca.Certificate],
        };
        var result = await Enroll(server, options); // no CRL at all, yet no failure: as OpenSSL
        Assert.NotNull(result.Certificate);
    }

    [Fact]
    public void A_crl_that_does_not_decode_is_refused_when_the_client_is_created()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var damaged = Crl(server.Ca)[..^3];
        var e = Assert.Throws<CmpException>(() => ResponseCheckTests.Client(server, Options(server, CmpRevocationCheck.EndCertificate, damaged)));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
        Assert.Contains("CRL number 1", e.Message, StringComparison.Ordinal);
    }
}
