using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Server;
using CmpKit.Server.Http;
using CmpKit.Tests.Support;
using CmpKit.Transport;
using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Server.Http;

/// <summary>
/// Hostile clients against <see cref="CmpServer"/> over HTTP (<see cref="CmpHttpHost"/> on 127.0.0.1), issue 6:
/// unfinished transactions by the dozen, follow-up messages out of order, replays, certConf for nothing or with
/// a wrong hash, slow clients, bodies made to hurt a decoder. The server stays up, answers with a protected
/// error message that names the failure, and keeps its transaction table bounded.
/// </summary>
public class HostileClientTests
{
    private const int TimeoutMs = 60_000;
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("hostile secret");
    private static readonly byte[] Reference = Encoding.UTF8.GetBytes("ref");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpClient NewHttp() => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(20) };

    private static async Task<CmpHttpHost> StartAsync(CmpServer server, CancellationToken ct, CmpHttpOptions? options = null)
    {
        var host = new CmpHttpHost(server, options: options);
        await host.StartAsync(ct);
        return host;
    }

    /// <summary>A raw peer whose messages go over HTTP (POST application/pkixcmp, 200 expected).</summary>
    private static RawPeer Peer(HttpClient http, CmpHttpHost host) => new(async (request, ct) =>
    {
        using var content = new ByteArrayContent(request);
        content.Headers.ContentType = new MediaTypeHeaderValue(HttpCmpTransport.MediaType);
        using var response = await http.PostAsync(host.Uri, content, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpCmpTransport.MediaType, response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }, Secret, Reference);

    private static PkiBody Ir(ECDsa key, string subject = "CN=hostile") =>
        RequestBuilder.CertificateRequest(BodyType.Ir, new CertificateRequestTemplate { Subject = new X500DistinguishedName(subject) },
            key.ExportSubjectPublicKeyInfo(), key, HashAlgorithmName.SHA256, false, DateTimeOffset.UtcNow);

    private static PkiBody CertConf(X509Certificate2 certificate, long certReqId = 0) =>
        RequestBuilder.CertConf(IssuedCertificate.FromDer(certificate.RawData), certReqId, PkiStatus.Accepted, PkiFailureInfo.None, null, HashAlgorithmName.SHA256, out _);

    private static PkiStatus CertRepStatus(PkiMessage message)
    {
        Assert.Equal((int)BodyType.Ip, message.Body.Type);
        return (PkiStatus)CertRepMessage.GetInstance(message.Body.Content).GetResponse()[0].Status.Status.IntValue;
    }

    /// <summary>The error message's status: rejection, with <paramref name="failure"/> among its bits and <paramref name="text"/> in its text.</summary>
    private static void AssertError(PkiMessage response, PkiFailureInfo failure, string text)
    {
        var status = RawPeer.ErrorStatus(response); // also: an error body
        Assert.Equal(PkiStatus.Rejection, status.Status);
        Assert.True(status.FailureInfo.HasFlag(failure), $"expected {failure}, got {string.Join(",", status.FailureInfoNames)}");
        Assert.Contains(status.Texts, t => t.Contains(text, StringComparison.Ordinal));
    }

    private static CmpClient RealClient(HttpClient http, CmpHttpHost host) =>
        new(new HttpCmpTransport(http, host.Uri), new CmpClientOptions
        {
            MacCredentials = new CmpMacCredentials(Secret, Reference),
            MessageTimeout = TimeSpan.FromSeconds(10),
            TotalTimeout = TimeSpan.FromSeconds(30),
        });

    [Fact(Timeout = TimeoutMs)]
    public async Task Many_concurrent_unfinished_transactions_keep_the_table_bounded_and_expire()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var server = new CmpServer(new MockCaOptions
        {
            SrvSecret = Secret, PollCount = 3, CheckAfter = 1, MaxTransactions = 20, TransactionLifetime = TimeSpan.FromMinutes(1),
        }, timeProvider: time);
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken);
        using var http = NewHttp();

        // 60 clients start an ir at once, are told to wait, and never come back.
        var peers = Enumerable.Range(0, 60).Select(_ => Peer(http, host)).ToList();
        var answers = await Task.WhenAll(peers.Select(async (p, i) =>
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return await p.SendAsync(Ir(key, "CN=abandoned " + i));
        }));
        Assert.All(answers, a => Assert.Equal(PkiStatus.Waiting, CertRepStatus(a)));

        // The table holds at most MaxTransactions; the others were forgotten.
        Assert.Equal((20, 20), server.TableSize);
        Assert.Equal(20, server.Transactions.Count);
        Assert.All(server.Transactions, t => Assert.Equal(CmpServerTransactionState.Polling, t.State));
        var kept = peers.Where(p => server.FindTransaction(p.TransactionId) is not null).ToList();
        var forgotten = peers.Except(kept).ToList();
        Assert.Equal(20, kept.Count);
        AssertError(await forgotten[0].SendAsync(RequestBuilder.PollReq(0)), PkiFailureInfo.BadRequest, "no transaction with this transactionID is open");

        // 30 s later one client polls (its transaction lives on); 45 s after that the 19 silent ones have expired.
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal((int)BodyType.PollRep, (await kept[0].SendAsync(RequestBuilder.PollReq(0))).Body.Type);
        time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(kept[0].TransactionId, Assert.Single(server.Transactions).TransactionId.ToArray());
        AssertError(await kept[1].SendAsync(RequestBuilder.PollReq(0)), PkiFailureInfo.BadRequest, "no transaction with this transactionID is open");

        // A new transaction sweeps the expired entries out of the table (not only out of sight), and succeeds.
        time.Advance(TimeSpan.FromSeconds(61));
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var late = RealClient(http, host);
        var pending = await late.TryRequestCertificateAsync(CertificateRequestKind.Initial,
            new CertificateRequestTemplate { NewKey = newKey, Subject = new X500DistinguishedName("CN=late") }, Ct);
        Assert.Equal((1, 1), server.TableSize);
        while (pending.IsPending)
        {
            pending = await late.ContinueRequestAsync(pending.Pending!, Ct);
        }
        Assert.Equal("CN=late", pending.Result!.Certificate.Subject);
        Assert.Equal(CmpServerTransactionState.Confirmed, server.FindTransaction(pending.Result.TransactionId.Span)!.State);
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task PollReq_before_any_ir_is_an_error_naming_the_failure()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, PollCount = 2 });
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken);
        using var http = NewHttp();

        AssertError(await Peer(http, host).SendAsync(RequestBuilder.PollReq(0)), PkiFailureInfo.BadRequest, "no transaction with this transactionID is open");
        Assert.Empty(server.Transactions);
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task PollReq_for_a_transaction_that_is_not_waiting_is_an_error_and_the_transaction_goes_on()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken);
        using var http = NewHttp();
        var peer = Peer(http, host);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ip = await peer.SendAsync(Ir(key));
        Assert.Equal(PkiStatus.Accepted, CertRepStatus(ip));
        var issued = Certificates.ToDotNet(CertRepMessage.GetInstance(ip.Body.Content).GetResponse()[0].CertifiedKeyPair.CertOrEncCert.Certificate)!;

        AssertError(await peer.SendAsync(RequestBuilder.PollReq(0)), PkiFailureInfo.BadRequest, "this transaction is not waiting for a pollReq");

        Assert.Equal((int)BodyType.PkiConf, (await peer.SendAsync(CertConf(issued))).Body.Type);
        Assert.Equal(CmpServerTransactionState.Confirmed, server.FindTransaction(peer.TransactionId)!.State);
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task PollReq_with_the_wrong_certReqId_is_an_error_and_the_right_one_still_works()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, PollCount = 2, CheckAfter = 0 });
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken);
        using var http = NewHttp();
        var peer = Peer(http, host);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(PkiStatus.Waiting, CertRepStatus(await peer.SendAsync(Ir(key))));

        AssertError(await peer.SendAsync(RequestBuilder.PollReq(5)), PkiFailureInfo.BadRequest, "the pollReq does not ask for the pending certReqId");
        AssertError(await peer.SendAsync(RequestBuilder.PollReq(-1)), PkiFailureInfo.BadRequest, "the pollReq does not ask for the pending certReqId");

        Assert.Equal((int)BodyType.PollRep, (await peer.SendAsync(RequestBuilder.PollReq(0))).Body.Type);
        Assert.Equal(PkiStatus.Accepted, CertRepStatus(await peer.SendAsync(RequestBuilder.PollReq(0))));
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task Replayed_ir_while_polling_and_replayed_certConf_after_pkiConf_are_refused()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, PollCount = 1, CheckAfter = 0 });
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken);
        using var http = NewHttp();
        var peer = Peer(http, host);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.Equal(PkiStatus.Waiting, CertRepStatus(await peer.SendAsync(Ir(key))));
        var ir = peer.LastRequest;
        AssertError(await peer.ReplayAsync(ir), PkiFailureInfo.TransactionIdInUse, "the transactionID is already in use");

        var ip = await peer.SendAsync(RequestBuilder.PollReq(0));
        var issued = Certificates.ToDotNet(CertRepMessage.GetInstance(ip.Body.Content).GetResponse()[0].CertifiedKeyPair.CertOrEncCert.Certificate)!;
        Assert.Equal((int)BodyType.PkiConf, (await peer.SendAsync(CertConf(issued))).Body.Type);
        var certConf = peer.LastRequest;

        AssertError(await peer.ReplayAsync(certConf), PkiFailureInfo.BadRecipientNonce, "the request's recipNonce is not the senderNonce of our last response");
        Assert.Equal(CmpServerTransactionState.Confirmed, server.FindTransaction(peer.TransactionId)!.State);
        Assert.Single(server.Transactions);
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task CertConf_for_an_unknown_transaction_or_with_a_wrong_hash_is_refused_over_HTTP()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken);
        using var http = NewHttp();

        AssertError(await Peer(http, host).SendAsync(CertConf(server.CertificateAuthority!.Certificate)), PkiFailureInfo.BadRequest,
            "no transaction with this transactionID is open");

        var peer = Peer(http, host);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = await peer.EnrollAsync(key);
        AssertError(await peer.SendAsync(CertConf(server.CertificateAuthority!.Certificate)), PkiFailureInfo.BadCertId,
            "the certHash does not match the certificate sent");
        Assert.Equal(CmpServerTransactionState.AwaitingConfirmation, server.FindTransaction(peer.TransactionId)!.State);
        Assert.Equal((int)BodyType.PkiConf, (await peer.SendAsync(CertConf(issued))).Body.Type);
    }

    [Theory(Timeout = TimeoutMs)]
    [InlineData(null, 101)] // the default cap, 100
    [InlineData(2, 3)]
    public async Task Request_with_more_extraCerts_than_the_cap_is_refused_before_any_is_decoded(int? cap, int count)
    {
        var options = new MockCaOptions { SrvSecret = Secret };
        options = cap is int c ? new MockCaOptions { SrvSecret = Secret, MaxExtraCertificates = c } : options;
        var server = new CmpServer(options);
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken);
        using var http = NewHttp();
        var peer = Peer(http, host);
        peer.ExtraCerts = [.. Enumerable.Repeat(server.CertificateAuthority!.Certificate, count)];
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        AssertError(await peer.SendAsync(Ir(key)), PkiFailureInfo.BadRequest,
            $"the request carries {count} certificates in extraCerts, more than the limit of {cap ?? 100}");
        Assert.Empty(server.Transactions);

        peer.ExtraCerts = [.. Enumerable.Repeat(server.CertificateAuthority!.Certificate, cap ?? 100)];
        peer.TransactionId = RandomNumberGenerator.GetBytes(16);
        peer.RecipNonce = null;
        Assert.Equal(PkiStatus.Accepted, CertRepStatus(await peer.SendAsync(Ir(key))));
    }

    [Theory(Timeout = TimeoutMs)]
    [InlineData(1001, false)]
    [InlineData(1000, true)]
    public async Task PBM_iteration_count_over_MaxPbmIterations_is_refused(int iterations, bool passes)
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, MaxPbmIterations = 1000 });
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken);
        using var http = NewHttp();
        var peer = Peer(http, host);
        peer.MacIterations = iterations;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var response = await peer.SendAsync(Ir(key));

        if (passes)
        {
            Assert.Equal(PkiStatus.Accepted, CertRepStatus(response));
            return;
        }
        AssertError(response, PkiFailureInfo.BadAlg, "the request's MAC cannot be checked");
        Assert.Empty(server.Transactions);
    }

    [Theory(Timeout = TimeoutMs)]
    [InlineData(3, 2, false)]
    [InlineData(3, 3, true)]
    public async Task Signer_chain_deeper_than_MaxChainDepth_is_signerNotTrusted(int intermediates, int cap, bool passes)
    {
        var root = Support.TestPki.CreateRoot("CN=Deep Root");
        var (signer, chain) = CmpKit.Tests.Validation.LimitTests.DeepChain(root, intermediates, "CN=deep client");
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvTrusted = [root.Certificate], MaxChainDepth = cap });
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken);
        using var http = NewHttp();
        var client = new CmpClient(new HttpCmpTransport(http, host.Uri), new CmpClientOptions
        {
            SignatureCredentials = new CmpSignatureCredentials(signer.Certificate, signer.Key, [.. chain]),
            MacCredentials = null,
            TrustAnchors = [server.CertificateAuthority!.Certificate],
            UnprotectedErrors = false,
            MessageTimeout = TimeSpan.FromSeconds(10),
        });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var template = new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=deep new") };

        if (passes)
        {
            Assert.Equal("CN=deep new", (await client.InitialEnrollAsync(template, Ct)).Certificate.Subject);
            return;
        }
        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(template, Ct));
        Assert.Equal(CmpFailureReason.ServerError, e.Reason);
        Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.SignerNotTrusted), e.Message);
        Assert.Contains($"{intermediates} intermediate CA certificates, more than the limit of {cap}", e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task Deeply_nested_or_length_lying_requests_get_a_protected_badDataFormat_error()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken, new CmpHttpOptions { MaxRequestSize = 4 * 1024 * 1024 });
        using var http = NewHttp();
        var peer = Peer(http, host);
        // 1,000,000 nested indefinite-length SEQUENCEs (4 MB), and a SEQUENCE that claims 2 GiB.
        byte[] nested = [.. Enumerable.Repeat(new byte[] { 0x30, 0x80 }, 1_000_000).SelectMany(x => x), .. new byte[2_000_000]];
        byte[] lying = [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x00];

        foreach (var body in new[] { nested, lying })
        {
            var sw = Stopwatch.StartNew();
            var response = await peer.ReplayAsync(body);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"took {sw.Elapsed}");
            var status = RawPeer.ErrorStatus(response);
            Assert.True(status.FailureInfo.HasFlag(PkiFailureInfo.BadDataFormat));
        }
        // Still serving.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.NotNull(await Peer(http, host).EnrollAsync(key));
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task Slow_clients_are_cut_off_and_the_server_serves_others_meanwhile()
    {
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        await using var host = await StartAsync(server, TestContext.Current.CancellationToken, new CmpHttpOptions { RequestTimeout = TimeSpan.FromSeconds(1) });

        // Ten clients that stop half-way: five in the headers, five in the body.
        var slow = new List<TcpClient>();
        for (int i = 0; i < 10; i++)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, host.Port, Ct);
            var partial = i < 5
                ? "POST /pkix/ HTTP/1.1\r\nHost: x\r\nContent-Ty"
                : "POST /pkix/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/pkixcmp\r\nContent-Length: 1000\r\n\r\n0123";
            await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(partial), Ct);
            slow.Add(tcp);
        }

        // Meanwhile a well-behaved client enrolls.
        using var http = NewHttp();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = await RealClient(http, host).InitialEnrollAsync(new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=patient") }, Ct);
        Assert.Equal("CN=patient", result.Certificate.Subject);

        // Each slow connection is answered 408 or closed by the server, well within bounds.
        var sw = Stopwatch.StartNew();
        foreach (var tcp in slow)
        {
            using var _ = tcp;
            var answer = await ReadUntilClosedAsync(tcp.GetStream(), TimeSpan.FromSeconds(15));
            Assert.True(answer.Length == 0 || answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), answer);
        }
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"took {sw.Elapsed}");
    }

    /// <summary>Reads until the peer closes; fails the test if it has not closed within <paramref name="timeout"/>.</summary>
    private static async Task<string> ReadUntilClosedAsync(NetworkStream stream, TimeSpan timeout)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(timeout);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, limit.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            // reset by the server: closed as well
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            Assert.Fail("the server did not close a slow client's connection");
        }
        return Encoding.Latin1.GetString(received.ToArray());
    }
}
