using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Server;
using CmpKit.Transport;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Server;

/// <summary>Follow-up messages, other bodies and configured statuses, driven message by message.</summary>
public class CmpServerProtocolTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("test");
    private static readonly byte[] Reference = Encoding.UTF8.GetBytes("ref");

    private static CmpServer NewServer(bool polling = false) =>
        new(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, PollCount = polling ? 1 : 0, CheckAfter = 7 });

    private static PkiBody CertConf(X509Certificate2 certificate, long certReqId = 0, PkiStatus status = PkiStatus.Accepted) =>
        RequestBuilder.CertConf(IssuedCertificate.FromDer(certificate.RawData), certReqId, status, PkiFailureInfo.None, null, HashAlgorithmName.SHA256, out _);

    [Fact]
    public async Task CertConf_with_the_hash_of_another_certificate_is_badCertId_and_a_correct_one_still_works()
    {
        var server = NewServer();
        var peer = new RawPeer(server, Secret, Reference);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = await peer.EnrollAsync(key);

        var wrong = await peer.SendAsync(CertConf(server.CertificateAuthority!.Certificate));
        Assert.True(RawPeer.ErrorStatus(wrong).FailureInfo.HasFlag(PkiFailureInfo.BadCertId));
        Assert.Equal(CmpServerTransactionState.AwaitingConfirmation, server.FindTransaction(peer.TransactionId)!.State);

        var right = await peer.SendAsync(CertConf(issued));
        Assert.Equal((int)BodyType.PkiConf, right.Body.Type);
        Assert.Equal(CmpServerTransactionState.Confirmed, server.FindTransaction(peer.TransactionId)!.State);
    }

    [Fact]
    public async Task CertConf_for_another_certReqId_is_badCertId()
    {
        var server = NewServer();
        var peer = new RawPeer(server, Secret, Reference);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = await peer.EnrollAsync(key);

        var response = await peer.SendAsync(CertConf(issued, certReqId: 5));

        Assert.True(RawPeer.ErrorStatus(response).FailureInfo.HasFlag(PkiFailureInfo.BadCertId));
    }

    private static byte[] Salt(PkiMessage message) =>
        PbmParameter.GetInstance(message.Header.ProtectionAlg.Parameters).Salt.GetOctets();

    [Fact]
    public async Task A_mac_protected_answer_reuses_the_request_salt_when_the_other_parameters_are_the_server_s()
    {
        var server = NewServer();
        var peer = new RawPeer(server, Secret, Reference);
        var genp = await peer.SendAsync(GeneralMessages.Genm([]));
        Assert.Equal((int)BodyType.Genp, genp.Body.Type);
        Assert.Equal(Salt(Org.BouncyCastle.Asn1.Cmp.PkiMessage.GetInstance(peer.LastRequest)), Salt(genp));
        // and the answer verifies with the shared secret (RawPeer checks it)
    }

    [Fact]
    public async Task A_mac_protected_answer_gets_a_fresh_salt_when_the_request_used_other_parameters()
    {
        var server = NewServer();
        var peer = new RawPeer(server, Secret, Reference) { MacIterations = 1000 }; // the server protects with 500
        var genp = await peer.SendAsync(GeneralMessages.Genm([]));
        Assert.Equal((int)BodyType.Genp, genp.Body.Type);
        Assert.NotEqual(Salt(Org.BouncyCastle.Asn1.Cmp.PkiMessage.GetInstance(peer.LastRequest)), Salt(genp));
        Assert.True(PbmParameter.GetInstance(genp.Header.ProtectionAlg.Parameters).IterationCount.HasValue(500));
    }

    [Fact]
    public async Task CertConf_without_a_transaction_is_refused()
    {
        var server = NewServer();
        var peer = new RawPeer(server, Secret, Reference);

        var response = await peer.SendAsync(CertConf(server.CertificateAuthority!.Certificate));

        Assert.True(RawPeer.ErrorStatus(response).FailureInfo.HasFlag(PkiFailureInfo.BadRequest));
    }

    [Fact]
    public async Task PollReq_gets_pollRep_with_checkAfter_then_the_ip()
    {
        var server = NewServer(polling: true);
        var peer = new RawPeer(server, Secret, Reference);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var body = RequestBuilder.CertificateRequest(BodyType.Ir, new CertificateRequestTemplate { Subject = new X500DistinguishedName("CN=p") },
            key.ExportSubjectPublicKeyInfo(), key, HashAlgorithmName.SHA256, false, DateTimeOffset.UtcNow);

        var waiting = await peer.SendAsync(body);
        var rep = CertRepMessage.GetInstance(waiting.Body.Content).GetResponse()[0];
        Assert.Equal((int)PkiStatus.Waiting, rep.Status.Status.IntValue);
        Assert.Null(rep.CertifiedKeyPair);

        var wrongId = await peer.SendAsync(RequestBuilder.PollReq(3));
        Assert.True(RawPeer.ErrorStatus(wrongId).FailureInfo.HasFlag(PkiFailureInfo.BadRequest));

        // PollCount = 1: the first pollReq already gets the ip.
        var final = await peer.SendAsync(RequestBuilder.PollReq(0));
        Assert.Equal((int)BodyType.Ip, final.Body.Type);
        Assert.Equal(CmpServerTransactionState.AwaitingConfirmation, server.FindTransaction(peer.TransactionId)!.State);

        var late = await peer.SendAsync(RequestBuilder.PollReq(0));
        Assert.True(RawPeer.ErrorStatus(late).FailureInfo.HasFlag(PkiFailureInfo.BadRequest));
    }

    [Fact]
    public async Task PollRep_carries_CheckAfter()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, PollCount = 2, CheckAfter = 7 });
        var peer = new RawPeer(server, Secret, Reference);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await peer.SendAsync(RequestBuilder.CertificateRequest(BodyType.Ir, new CertificateRequestTemplate { Subject = new X500DistinguishedName("CN=p") },
            key.ExportSubjectPublicKeyInfo(), key, HashAlgorithmName.SHA256, false, DateTimeOffset.UtcNow));

        var pollRep = await peer.SendAsync(RequestBuilder.PollReq(0));

        Assert.Equal((int)BodyType.PollRep, pollRep.Body.Type);
        var entry = Org.BouncyCastle.Asn1.Asn1Sequence.GetInstance(Org.BouncyCastle.Asn1.Asn1Sequence.GetInstance(pollRep.Body.Content.ToAsn1Object())[0]);
        Assert.Equal(0, Org.BouncyCastle.Asn1.DerInteger.GetInstance(entry[0]).IntValueExact);
        Assert.Equal(7, Org.BouncyCastle.Asn1.DerInteger.GetInstance(entry[1]).IntValueExact);
    }

    [Fact]
    public async Task Error_from_the_client_is_answered_with_pkiConf_and_recorded()
    {
        var server = NewServer();
        var peer = new RawPeer(server, Secret, Reference);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await peer.EnrollAsync(key);

        var response = await peer.SendAsync(RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.SystemFailure, "giving up"));

        Assert.Equal((int)BodyType.PkiConf, response.Body.Type);
        var tx = server.FindTransaction(peer.TransactionId)!;
        Assert.Equal(CmpServerTransactionState.ClientError, tx.State);
        Assert.Equal(["giving up"], tx.ClientStatus!.Texts);
    }

    [Fact]
    public async Task Genm_gets_an_empty_genp_and_rr_an_accepted_rp()
    {
        var server = NewServer();

        var genp = await new RawPeer(server, Secret, Reference).SendAsync(
            new PkiBody(PkiBody.TYPE_GEN_MSG, GenMsgContent.GetInstance(Org.BouncyCastle.Asn1.DerSequence.Empty)));
        Assert.Equal((int)BodyType.Genp, genp.Body.Type);
        Assert.Empty(GenRepContent.GetInstance(genp.Body.Content).ToInfoTypeAndValueArray());

        var rr = RevReqContent.GetInstance(new Org.BouncyCastle.Asn1.DerSequence(new Org.BouncyCastle.Asn1.DerSequence(
            new Org.BouncyCastle.Asn1.DerSequence())));
        var rp = await new RawPeer(server, Secret, Reference).SendAsync(new PkiBody(PkiBody.TYPE_REVOCATION_REQ, rr));
        Assert.Equal((int)BodyType.Rp, rp.Body.Type);
        var status = RevRepContent.GetInstance(rp.Body.Content).GetStatus()[0];
        Assert.Equal((int)PkiStatus.Accepted, status.Status.IntValue);
    }

    [Fact]
    public async Task Bodies_a_server_does_not_take_are_badRequest()
    {
        var server = NewServer();

        var response = await new RawPeer(server, Secret, Reference).SendAsync(RequestBuilder.PkiConf());

        Assert.True(RawPeer.ErrorStatus(response).FailureInfo.HasFlag(PkiFailureInfo.BadRequest));
    }

    [Fact]
    public async Task Unsupported_pvno_is_unsupportedVersion()
    {
        var server = NewServer();
        var peer = new RawPeer(server, Secret, Reference) { Pvno = 1 };

        var response = await peer.SendAsync(RequestBuilder.PkiConf());

        Assert.True(RawPeer.ErrorStatus(response).FailureInfo.HasFlag(PkiFailureInfo.UnsupportedVersion));
    }

    [Fact]
    public async Task Configured_waiting_status_makes_the_real_client_give_up_with_an_error_message()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, PkiStatus = 3, CheckAfter = 0 });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = new CmpClient(new InProcessCmpTransport(server.HandleAsync),
            new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference) });

        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(
            new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=w") }, cts.Token));

        Assert.Equal(CmpFailureReason.UnexpectedWaiting, e.Reason);
        var tx = Assert.Single(server.Transactions);
        Assert.Equal(CmpServerTransactionState.ClientError, tx.State);
        Assert.Equal(3, tx.MessageCount); // ir, pollReq, error
    }

    [Fact]
    public async Task P10cr_with_a_broken_signature_is_badPOP()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var server = NewServer();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=forged", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        var other = new CertificateRequest("CN=forged", ECDsa.Create(ECCurve.NamedCurves.nistP256), HashAlgorithmName.SHA256).CreateSigningRequest();
        // Same subject, the signature of another key's CSR: parseable, but does not verify.
        var forged = SpliceSignature(csr, other);
        var client = new CmpClient(new InProcessCmpTransport(server.HandleAsync),
            new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference) });

        var e = await Assert.ThrowsAsync<CmpException>(() => client.EnrollPkcs10Async(forged, cts.Token));

        Assert.Equal(CmpFailureReason.RequestRejected, e.Reason);
        Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.BadPop));
    }

    [Fact]
    public async Task Requested_validity_and_extra_certs_are_honoured()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var pki = new TestPki();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = Reference, RspExtraCerts = [pki.Root] });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = new CmpClient(new InProcessCmpTransport(server.HandleAsync),
            new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, Reference) });

        var result = await client.InitialEnrollAsync(new CertificateRequestTemplate
        {
            NewKey = key,
            Subject = new X500DistinguishedName("CN=short"),
            ValidityDays = 10,
        }, cts.Token);

        var days = (result.Certificate.NotAfter - result.Certificate.NotBefore).TotalDays;
        Assert.InRange(days, 9.99, 10.01);
        Assert.Contains(result.ExtraCertificates, c => c.RawData.AsSpan().SequenceEqual(pki.Root.RawData));
    }

    private static byte[] SpliceSignature(byte[] csr, byte[] donor)
    {
        var a = Org.BouncyCastle.Asn1.Asn1Sequence.GetInstance(Org.BouncyCastle.Asn1.Asn1Object.FromByteArray(csr));
        var b = Org.BouncyCastle.Asn1.Asn1Sequence.GetInstance(Org.BouncyCastle.Asn1.Asn1Object.FromByteArray(donor));
        return new Org.BouncyCastle.Asn1.DerSequence(a[0], a[1], b[2]).GetEncoded("DER");
    }
}
