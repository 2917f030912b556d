using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Server;
using CmpKit.Transport;

namespace CmpKit.Tests.Server;

/// <summary>The real <see cref="CmpClient"/> against <see cref="CmpServer"/> in-process.</summary>
public class CmpServerEnrollmentTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("test");
    private static readonly byte[] Reference = Encoding.UTF8.GetBytes("ref");

    private static CancellationTokenSource Bounded() => new(TimeSpan.FromSeconds(10));

    private static CmpClient Client(CmpServer server, CmpClientOptions options) =>
        new(new InProcessCmpTransport(server.HandleAsync), options);

    private static CmpClientOptions MacClient(byte[]? secret = null, bool implicitConfirm = false) => new()
    {
        MacCredentials = new CmpMacCredentials(secret ?? Secret, Reference),
        ImplicitConfirm = implicitConfirm,
    };

    private static MockCaOptions MacServer() => new() { SrvSecret = Secret, SrvRef = Reference };

    private static void AssertCertifies(X509Certificate2 certificate, AsymmetricAlgorithm key, string subject, CmpServer server)
    {
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(new X500DistinguishedName(subject).RawData, certificate.SubjectName.RawData);
        Assert.Equal(server.CertificateAuthority!.Certificate.SubjectName.RawData, certificate.IssuerName.RawData);
    }

    [Fact]
    public async Task Ir_with_PBM_issues_a_certificate_and_is_confirmed()
    {
        using var cts = Bounded();
        var server = new CmpServer(MacServer());
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = await Client(server, MacClient()).InitialEnrollAsync(new CertificateRequestTemplate
        {
            NewKey = key,
            Subject = new X500DistinguishedName("CN=pbm-client, O=CmpKit"),
            DnsNames = ["pbm.example"],
        }, cts.Token);

        AssertCertifies(result.Certificate, key, "CN=pbm-client, O=CmpKit", server);
        var san = Assert.Single(result.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["pbm.example"], san.EnumerateDnsNames());
        Assert.False(result.ImplicitlyConfirmed);
        var tx = Assert.IsType<CmpServerTransaction>(server.FindTransaction(result.TransactionId.Span));
        Assert.Equal(CmpServerTransactionState.Confirmed, tx.State);
        Assert.Equal("ir", tx.RequestType);
        Assert.Equal(2, tx.MessageCount); // ir, certConf
        Assert.Equal(result.Certificate.RawData, tx.IssuedCertificate!.RawData);
    }

    [Theory]
    [InlineData("EC", CertificateRequestKind.Initial)]
    [InlineData("EC", CertificateRequestKind.Additional)]
    [InlineData("EC", CertificateRequestKind.KeyUpdate)]
    [InlineData("RSA", CertificateRequestKind.Initial)]
    [InlineData("RSA", CertificateRequestKind.Additional)]
    [InlineData("RSA", CertificateRequestKind.KeyUpdate)]
    public async Task Signature_protected_requests_are_answered_with_signed_responses(string keyKind, CertificateRequestKind kind)
    {
        using var cts = Bounded();
        var pki = new TestPki();
        using var clientKey = TestPki.NewKey(keyKind);
        var clientCert = pki.Issue("CN=sig-client", clientKey);
        using var serverKey = TestPki.NewKey(keyKind);
        var serverCert = pki.Issue("CN=CmpKit Test Server", serverKey);
        var server = new CmpServer(new MockCaOptions { SrvCert = serverCert, SrvKey = serverKey, SrvTrusted = [pki.Root] });
        var client = Client(server, new CmpClientOptions
        {
            SignatureCredentials = new CmpSignatureCredentials(clientCert, clientKey),
            TrustAnchors = [pki.Root],
            ExpectedSender = serverCert.SubjectName,
        });
        using var newKey = TestPki.NewKey(keyKind);
        var subject = kind == CertificateRequestKind.KeyUpdate ? "CN=sig-client" : "CN=sig-new";

        var result = await client.RequestCertificateAsync(kind, new CertificateRequestTemplate
        {
            NewKey = newKey,
            Subject = kind == CertificateRequestKind.KeyUpdate ? null : new X500DistinguishedName(subject),
        }, cts.Token);

        AssertCertifies(result.Certificate, newKey, subject, server);
        var tx = server.FindTransaction(result.TransactionId.Span)!;
        Assert.Equal(CmpServerTransactionState.Confirmed, tx.State);
        Assert.Equal(kind switch { CertificateRequestKind.Initial => "ir", CertificateRequestKind.Additional => "cr", _ => "kur" }, tx.RequestType);
        // The response signer is the first of the received extraCerts.
        Assert.Equal(serverCert.RawData, result.ExtraCertificates[0].RawData);
    }

    [Fact]
    public async Task Responses_are_signed_by_the_mock_CA_when_no_server_certificate_is_given()
    {
        using var cts = Bounded();
        var pki = new TestPki();
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientCert = pki.Issue("CN=sig-client", clientKey);
        var server = new CmpServer(new MockCaOptions { SrvTrusted = [pki.Root] });
        Assert.Equal("CN=CmpKit Mock CA", server.SigningCertificate!.Subject);
        var client = Client(server, new CmpClientOptions
        {
            SignatureCredentials = new CmpSignatureCredentials(clientCert, clientKey),
            TrustAnchors = [server.SigningCertificate],
        });
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = await client.EnrollAsync(new CertificateRequestTemplate { NewKey = newKey, Subject = new X500DistinguishedName("CN=cr-client") }, cts.Token);

        AssertCertifies(result.Certificate, newKey, "CN=cr-client", server);
    }

    [Fact]
    public async Task P10cr_certifies_the_CSR_key_and_subject_and_copies_its_SANs()
    {
        using var cts = Bounded();
        var server = new CmpServer(MacServer());
        using var key = RSA.Create(2048);
        var csrRequest = new CertificateRequest("CN=p10-client, O=CmpKit", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var sans = new SubjectAlternativeNameBuilder();
        sans.AddDnsName("p10.example");
        csrRequest.CertificateExtensions.Add(sans.Build());
        var csr = csrRequest.CreateSigningRequest();

        var result = await Client(server, MacClient()).EnrollPkcs10Async(csr, cts.Token);

        AssertCertifies(result.Certificate, key, "CN=p10-client, O=CmpKit", server);
        Assert.Equal(-1, result.CertReqId);
        var san = Assert.Single(result.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["p10.example"], san.EnumerateDnsNames());
        Assert.Equal(CmpServerTransactionState.Confirmed, server.FindTransaction(result.TransactionId.Span)!.State);
    }

    [Fact]
    public async Task Implicit_confirm_is_granted_when_asked_and_configured()
    {
        using var cts = Bounded();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, GrantImplicitConfirm = true });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = await Client(server, MacClient(implicitConfirm: true)).InitialEnrollAsync(
            new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=implicit") }, cts.Token);

        Assert.True(result.ImplicitlyConfirmed);
        var tx = server.FindTransaction(result.TransactionId.Span)!;
        Assert.Equal(CmpServerTransactionState.ImplicitlyConfirmed, tx.State);
        Assert.Equal(1, tx.MessageCount); // no certConf
    }

    [Fact]
    public async Task Implicit_confirm_is_not_granted_unless_configured()
    {
        using var cts = Bounded();
        var server = new CmpServer(MacServer());
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = await Client(server, MacClient(implicitConfirm: true)).InitialEnrollAsync(
            new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=explicit") }, cts.Token);

        Assert.False(result.ImplicitlyConfirmed);
        Assert.Equal(CmpServerTransactionState.Confirmed, server.FindTransaction(result.TransactionId.Span)!.State);
    }

    [Fact]
    public async Task Configured_rejection_reaches_the_client_with_its_failure_bit()
    {
        using var cts = Bounded();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, PkiStatus = 2, Failure = 9, StatusString = "no" });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, MacClient()).InitialEnrollAsync(
            new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=rejected") }, cts.Token));

        Assert.Equal(CmpFailureReason.RequestRejected, e.Reason);
        Assert.Equal(PkiStatus.Rejection, e.ServerStatus!.Status);
        Assert.True(e.ServerStatus.FailureInfo.HasFlag(PkiFailureInfo.BadPop));
        Assert.Equal(["no"], e.ServerStatus.Texts);
        var tx = Assert.Single(server.Transactions);
        Assert.Equal(CmpServerTransactionState.RejectedByServer, tx.State);
        Assert.Null(tx.IssuedCertificate);
    }

    [Fact]
    public async Task Polling_client_gets_the_certificate_after_PollCount_waits()
    {
        using var cts = Bounded();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, PollCount = 2, CheckAfter = 0 });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = await Client(server, MacClient()).InitialEnrollAsync(
            new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=patient") }, cts.Token);

        AssertCertifies(result.Certificate, key, "CN=patient", server);
        var tx = server.FindTransaction(result.TransactionId.Span)!;
        Assert.Equal(CmpServerTransactionState.Confirmed, tx.State);
        Assert.Equal(4, tx.MessageCount); // ir (waiting), pollReq (pollRep), pollReq (ip), certConf
    }

    [Fact]
    public async Task Fixed_RspCert_for_another_key_is_rejected_by_the_client_with_a_negative_certConf()
    {
        using var cts = Bounded();
        var pki = new TestPki();
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherCert = pki.Issue("CN=someone else", otherKey);
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, RspCert = otherCert });
        Assert.Null(server.CertificateAuthority);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, MacClient()).InitialEnrollAsync(
            new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=mismatch") }, cts.Token));

        Assert.Equal(CmpFailureReason.PublicKeyMismatch, e.Reason);
        var tx = Assert.Single(server.Transactions);
        Assert.Equal(CmpServerTransactionState.RejectedByClient, tx.State);
        Assert.Equal(PkiStatus.Rejection, tx.ClientStatus!.Status);
        Assert.True(tx.ClientStatus.FailureInfo.HasFlag(PkiFailureInfo.IncorrectData));
        Assert.Equal(2, tx.MessageCount);
    }

    [Fact]
    public async Task Fixed_RspCert_for_the_right_key_is_accepted()
    {
        using var cts = Bounded();
        var pki = new TestPki();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var fixedCert = pki.Issue("CN=fixed", key);
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, RspCert = fixedCert, RspCaPubs = [pki.Root] });

        var result = await Client(server, MacClient()).InitialEnrollAsync(
            new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=fixed") }, cts.Token);

        Assert.Equal(fixedCert.RawData, result.Certificate.RawData);
        Assert.Equal(pki.Root.RawData, Assert.Single(result.CaPubs).RawData);
    }

    [Fact]
    public async Task Concurrent_transactions_are_kept_apart()
    {
        using var cts = Bounded();
        var server = new CmpServer(MacServer());
        var client = Client(server, MacClient());
        var keys = Enumerable.Range(0, 8).Select(_ => ECDsa.Create(ECCurve.NamedCurves.nistP256)).ToArray();

        var results = await Task.WhenAll(keys.Select((k, i) => Task.Run(() => client.InitialEnrollAsync(
            new CertificateRequestTemplate { NewKey = k, Subject = new X500DistinguishedName($"CN=parallel {i}") }, cts.Token))));

        for (int i = 0; i < keys.Length; i++)
        {
            AssertCertifies(results[i].Certificate, keys[i], $"CN=parallel {i}", server);
            keys[i].Dispose();
        }
        Assert.Equal(8, server.Transactions.Count);
        Assert.All(server.Transactions, t => Assert.Equal(CmpServerTransactionState.Confirmed, t.State));
    }
}
