using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Tests.Support;
using CmpKit.Validation;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Validation;

/// <summary>
/// The client's caps on what a response may carry (docs/robustness.md, "Limits"): certificates in extraCerts,
/// caPubs and a caCerts value, and the depth of a chain to a trust anchor. Each test shows the cap refuses one
/// more than it allows and lets exactly the cap through.
/// </summary>
public class LimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Action<ScriptedCmpServer.Draft> OnIp(Action<ScriptedCmpServer.Draft> change) =>
        d => { if (d.RequestType == BodyType.Ir) change(d); };

    private static List<X509Certificate2> Copies(X509Certificate2 certificate, int count) => [.. Enumerable.Repeat(certificate, count)];

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var o = new CmpClientOptions();
        Assert.Equal(100, o.MaxExtraCertificates);
        Assert.Equal(100, o.MaxCaCertificates);
        Assert.Equal(10, o.MaxChainDepth);
        Assert.Equal(100_000, o.MaxPbmIterations);
        Assert.Equal(TimeSpan.FromDays(1), o.MaxCheckAfter);
        Assert.Equal(TimeSpan.FromDays(1), o.MaxPollingDuration);
        Assert.Equal(TimeSpan.FromSeconds(120), o.MessageTimeout);
        Assert.Null(o.TotalTimeout);
        var s = new CmpKit.Server.MockCaOptions();
        Assert.Equal(1000, s.MaxTransactions);
        Assert.Equal(TimeSpan.FromMinutes(10), s.TransactionLifetime);
        Assert.Equal(100, s.MaxExtraCertificates);
        Assert.Equal(10, s.MaxChainDepth);
        Assert.Equal(100_000, s.MaxPbmIterations);
        var h = new CmpKit.Server.Http.CmpHttpOptions();
        Assert.Equal(100 * 1024, h.MaxRequestSize);
        Assert.Equal(TimeSpan.FromSeconds(30), h.RequestTimeout);
        Assert.Equal(100 * 1024, new CmpKit.Transport.HttpCmpTransport(new HttpClient(), new Uri("http://127.0.0.1/")).MaxResponseSize);
    }

    [Theory]
    [InlineData(null, 101)] // the default cap, 100
    [InlineData(3, 4)]
    [InlineData(0, 1)]
    public async Task ExtraCerts_over_the_cap_are_TooManyCertificates(int? cap, int sent)
    {
        var server = new ScriptedCmpServer();
        var extra = TestPki.CreateRoot("CN=Extra").Certificate;
        // After protection: the protector leaves duplicates out, and the MAC does not cover extraCerts.
        server.Mutate = OnIp(d => d.AfterProtection = m => new PkiMessage(m.Header, m.Body, m.Protection, [.. Copies(extra, sent).Select(c => Certificates.ToCmp(c))]));
        var options = ResponseCheckTests.MacOptions(server);
        options = cap is int c ? options with { MaxExtraCertificates = c } : options;

        var e = await Assert.ThrowsAsync<CmpException>(() => ResponseCheckTests.Client(server, options).InitialEnrollAsync(ResponseCheckTests.Template(), Ct));

        Assert.Equal(CmpFailureReason.TooManyCertificates, e.Reason);
        Assert.Contains($"{sent} certificates in extraCerts", e.Message, StringComparison.Ordinal);
        Assert.Contains($"limit of {cap ?? 100}", e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.TransactionId);
        // Nothing was confirmed: the failing ip was the last message.
        Assert.DoesNotContain(server.Received, m => m.Body.Type == (int)BodyType.CertConf);
    }

    [Fact]
    public async Task ExtraCerts_at_the_cap_pass()
    {
        var server = new ScriptedCmpServer();
        var extra = TestPki.CreateRoot("CN=Extra").Certificate;
        server.Mutate = OnIp(d => d.AfterProtection = m => new PkiMessage(m.Header, m.Body, m.Protection, [.. Copies(extra, 3).Select(c => Certificates.ToCmp(c))]));

        var result = await ResponseCheckTests.Client(server, ResponseCheckTests.MacOptions(server) with { MaxExtraCertificates = 3 })
            .InitialEnrollAsync(ResponseCheckTests.Template(), Ct);

        Assert.Equal(extra, Assert.Single(result.ExtraCertificates.Cast<X509Certificate2>()));
    }

    [Theory]
    [InlineData(2, 3, false)]
    [InlineData(2, 2, true)]
    [InlineData(null, 101, false)]
    public async Task CaPubs_over_the_cap_are_TooManyCertificates(int? cap, int sent, bool passes)
    {
        var server = new ScriptedCmpServer();
        server.Mutate = OnIp(d =>
        {
            var r = ScriptedCmpServer.FirstResponse(d.Body);
            d.Body = new PkiBody(PkiBody.TYPE_INIT_REP, new CertRepMessage([.. Copies(server.Ca.Certificate, sent).Select(c => Certificates.ToCmp(c))], [r]));
        });
        var options = ResponseCheckTests.MacOptions(server);
        options = cap is int c ? options with { MaxCaCertificates = c } : options;
        var client = ResponseCheckTests.Client(server, options);

        if (passes)
        {
            var result = await client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
            Assert.Equal(sent, result.CaPubs.Count);
            return;
        }
        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct));
        Assert.Equal(CmpFailureReason.TooManyCertificates, e.Reason);
        Assert.Contains($"{sent} certificates in caPubs", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Received, m => m.Body.Type == (int)BodyType.CertConf);
    }

    [Theory]
    [InlineData(2, 3, false)]
    [InlineData(2, 2, true)]
    public async Task CaCerts_value_over_the_cap_is_TooManyCertificates(int cap, int sent, bool passes)
    {
        var server = new ScriptedCmpServer();
        var ca = server.Ca.Certificate;
        server.GenmAnswer = _ => new PkiBody(PkiBody.TYPE_GEN_REP, new GenRepContent(
            new InfoTypeAndValue(new DerObjectIdentifier(InfoTypes.CaCerts), new DerSequence(Copies(ca, sent).Select(c => (Asn1Encodable)Certificates.ToCmp(c)).ToArray()))));
        var client = ResponseCheckTests.Client(server, ResponseCheckTests.MacOptions(server) with { MaxCaCertificates = cap });

        if (passes)
        {
            Assert.Equal(sent, (await client.GetCaCertificatesAsync(Ct)).Count);
            return;
        }
        var e = await Assert.ThrowsAsync<CmpException>(() => client.GetCaCertificatesAsync(Ct));
        Assert.Equal(CmpFailureReason.TooManyCertificates, e.Reason);
        Assert.Contains($"{sent} certificates in caCerts", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Negative_caps_are_invalid_options()
    {
        var server = new ScriptedCmpServer();
        foreach (var bad in new[]
                 {
                     ResponseCheckTests.MacOptions(server) with { MaxExtraCertificates = -1 },
                     ResponseCheckTests.MacOptions(server) with { MaxCaCertificates = -1 },
                     ResponseCheckTests.MacOptions(server) with { MaxChainDepth = -1 },
                 })
        {
            Assert.Equal(CmpFailureReason.InvalidOptions, Assert.Throws<CmpException>(() => ResponseCheckTests.Client(server, bad)).Reason);
        }
    }

    /// <summary>A chain root → <paramref name="intermediates"/> CAs → "CN=Scripted CMP Server" (the name the scripted server sends as sender).</summary>
    internal static (TestPki.Issued Leaf, List<X509Certificate2> Intermediates) DeepChain(TestPki.Issued root, int intermediates, string leafName = "CN=Scripted CMP Server")
    {
        var issuer = root;
        var chain = new List<X509Certificate2>();
        for (int i = 1; i <= intermediates; i++)
        {
            issuer = TestPki.IssueWithKey(issuer, $"CN=Intermediate {i}", keyUsage: X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, ca: true);
            chain.Insert(0, issuer.Certificate);
        }
        return (TestPki.IssueWithKey(issuer, leafName), chain);
    }

    [Theory]
    [InlineData(3, 2, false)]
    [InlineData(3, 3, true)]
    [InlineData(11, null, false)] // the default depth, 10
    [InlineData(10, null, true)]
    public async Task C20_chain_deeper_than_MaxChainDepth_is_not_trusted(int intermediates, int? cap, bool passes)
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var (signer, chain) = DeepChain(server.Ca, intermediates);
        server.Mutate = d =>
        {
            d.Protection = new SignatureProtectionSpec(signer.Certificate, signer.Key, [], HashAlgorithmName.SHA256, false);
            d.ExtraCerts = [signer.Certificate, .. chain];
        };
        var options = ResponseCheckTests.MacOptions(server);
        options = cap is int c ? options with { MaxChainDepth = c } : options;
        var client = ResponseCheckTests.Client(server, options);

        if (passes)
        {
            var result = await client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
            Assert.NotNull(result.Certificate);
            return;
        }
        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct));
        Assert.Equal(CmpFailureReason.SenderCertificateUntrusted, e.Reason);
        Assert.Contains($"{intermediates} intermediate CA certificates, more than the limit of {cap ?? 10}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, 2, 1, false)]
    [InlineData(false, 2, 2, true)]
    [InlineData(true, 3, 1, false)] // partial chain: the anchor is the first intermediate, two more below it
    public void C29_new_certificate_chain_deeper_than_MaxChainDepth_is_NewCertificateUntrusted(bool partial, int intermediates, int cap, bool passes)
    {
        var root = TestPki.CreateRoot("CN=Out Root");
        var (leaf, chain) = DeepChain(root, intermediates, "CN=new");
        var state = new TransactionState();
        state.AddExtraCerts(chain);
        var anchor = partial ? chain[^1] : root.Certificate; // chain is leaf-side first: [^1] is the intermediate under the root
        var policy = new VerificationPolicy { MaxChainDepth = cap, PartialChain = partial };

        var error = NewCertificateChecks.Trusted(leaf.Certificate, [anchor], [], state, policy);

        if (passes)
        {
            Assert.Null(error);
            return;
        }
        Assert.NotNull(error);
        Assert.Equal(CmpFailureReason.NewCertificateUntrusted, error.Reason);
        Assert.Contains($"more than the limit of {cap}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void C29_partial_chain_at_the_cap_passes()
    {
        var root = TestPki.CreateRoot("CN=Out Root");
        var (leaf, chain) = DeepChain(root, 3, "CN=new");
        var state = new TransactionState();
        state.AddExtraCerts(chain);

        // Anchored at the first intermediate: two intermediates remain between it and the leaf.
        Assert.Null(NewCertificateChecks.Trusted(leaf.Certificate, [chain[^1]], [], state, new VerificationPolicy { MaxChainDepth = 2, PartialChain = true }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task C32_polling_ends_at_MaxPollingDuration_without_a_total_timeout(bool defaultLimit)
    {
        // A server that says "waiting, check after an hour" for ever; no total timeout is configured.
        var server = new ScriptedCmpServer { PollCount = 1000, CheckAfterSeconds = 3600 };
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = ResponseCheckTests.MacOptions(server) with { TotalTimeout = null };
        options = defaultLimit ? options : options with { MaxPollingDuration = TimeSpan.FromMinutes(150) };
        var limit = options.MaxPollingDuration!.Value;
        var client = ResponseCheckTests.Client(server, options, time);

        var task = client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        var advanced = TimeSpan.Zero;
        while (!task.IsCompleted && advanced < limit + TimeSpan.FromHours(3))
        {
            await Task.Delay(5, Ct);
            time.Advance(TimeSpan.FromMinutes(10));
            advanced += TimeSpan.FromMinutes(10);
        }

        var e = await Assert.ThrowsAsync<CmpException>(() => task);
        Assert.Equal(CmpFailureReason.TotalTimeout, e.Reason);
        Assert.Contains("MaxPollingDuration", e.Message, StringComparison.Ordinal);
        // One pollReq per hour of the limit, and the last one when it ends; none after.
        var polls = server.Received.Count(m => m.Body.Type == (int)BodyType.PollReq);
        Assert.InRange(polls, (int)limit.TotalHours, (int)Math.Ceiling(limit.TotalHours) + 2);
        Assert.InRange(advanced, limit - TimeSpan.FromHours(1), limit + TimeSpan.FromMinutes(30));
    }
}
