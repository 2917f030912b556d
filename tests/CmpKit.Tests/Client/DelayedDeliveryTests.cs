using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Tests.Support;
using CmpKit.Tests.Validation;
using CmpKit.Transport;
using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Client;

/// <summary>
/// Delayed delivery (RFC 9810, section 5.3.22): the non-blocking form (try, continue, abort; C32, C37),
/// the blocking form as a loop over it, polling for rr and genm (C22), and many pending transactions
/// driven from one thread.
/// </summary>
public class DelayedDeliveryTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static CmpClient Client(ScriptedCmpServer server, CmpClientOptions? options = null, TimeProvider? time = null) =>
        ResponseCheckTests.Client(server, options, time);

    private static List<BodyType> Sent(ScriptedCmpServer server) => [.. server.Received.Select(m => (BodyType)m.Body.Type)];

    [Fact]
    public async Task Try_returns_pending_with_check_after_then_continue_returns_the_result()
    {
        var server = new ScriptedCmpServer { PollCount = 3, CheckAfterSeconds = 5 };
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var client = Client(server, time: time);

        var step = await client.TryRequestCertificateAsync(CertificateRequestKind.Initial, ResponseCheckTests.Template(), Ct);
        Assert.True(step.IsPending);
        var pending = step.Pending;
        Assert.Equal(TimeSpan.FromSeconds(5), pending.CheckAfter);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(5), pending.NextPollTime);
        Assert.Equal(CertificateRequestKind.Initial, pending.Kind);
        Assert.True(pending.IsPending);
        Assert.True(pending.TransactionId.Span.SequenceEqual(server.Received[0].Header.TransactionID.GetOctets()));
        // ip (waiting), then one pollReq answered by a pollRep; nothing slept.
        Assert.Equal([BodyType.Ir, BodyType.PollReq], Sent(server));

        step = await client.ContinueRequestAsync(pending, Ct);
        Assert.Same(pending, step.Pending);
        Assert.Equal([BodyType.Ir, BodyType.PollReq, BodyType.PollReq], Sent(server));

        step = await client.ContinueRequestAsync(pending, Ct);
        Assert.False(step.IsPending);
        Assert.Equal(server.Issued[0], step.Result.Certificate);
        Assert.True(pending.HasEnded);
        Assert.Equal([BodyType.Ir, BodyType.PollReq, BodyType.PollReq, BodyType.PollReq, BodyType.CertConf], Sent(server));
        // The same transaction throughout.
        Assert.All(server.Received, m => Assert.True(m.Header.TransactionID.GetOctets().AsSpan().SequenceEqual(pending.TransactionId.Span)));
    }

    [Fact]
    public async Task Try_without_waiting_returns_the_result_at_once()
    {
        var server = new ScriptedCmpServer();
        var step = await Client(server).TryRequestCertificateAsync(CertificateRequestKind.Initial, ResponseCheckTests.Template(), Ct);
        Assert.False(step.IsPending);
        Assert.Equal(server.Issued[0], step.Result.Certificate);
    }

    [Fact]
    public async Task C32_C37_abort_sends_an_error_and_the_server_confirms()
    {
        var server = new ScriptedCmpServer { PollCount = 5, CheckAfterSeconds = 60 };
        var client = Client(server);
        var step = await client.TryRequestCertificateAsync(CertificateRequestKind.Initial, ResponseCheckTests.Template(), Ct);
        Assert.True(step.IsPending);

        await client.AbortRequestAsync(step.Pending, Ct);

        var error = server.Received[^1];
        Assert.Equal(BodyType.Error, (BodyType)error.Body.Type);
        var status = StatusInfos.ToCmp(ErrorMsgContent.GetInstance(error.Body.Content).PkiStatusInfo);
        Assert.Equal(PkiStatus.Rejection, status.Status);
        Assert.Contains("polling aborted", status.Texts);
        Assert.True(step.Pending.HasEnded);
        // The transaction is over: it can be neither continued nor aborted again.
        var e = await Assert.ThrowsAsync<CmpException>(() => client.ContinueRequestAsync(step.Pending, Ct));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
        e = await Assert.ThrowsAsync<CmpException>(() => client.AbortRequestAsync(step.Pending, Ct));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
    }

    [Fact]
    public async Task C21_abort_answered_with_something_other_than_pkiconf_fails()
    {
        var server = new ScriptedCmpServer { PollCount = 5 };
        server.Mutate = d =>
        {
            if (d.RequestType == BodyType.Error)
            {
                d.Body = new PkiBody(PkiBody.TYPE_GEN_REP, new GenRepContent([]));
            }
        };
        var client = Client(server);
        var step = await client.TryRequestCertificateAsync(CertificateRequestKind.Initial, ResponseCheckTests.Template(), Ct);
        var e = await Assert.ThrowsAsync<CmpException>(() => client.AbortRequestAsync(step.Pending!, Ct));
        Assert.Equal(CmpFailureReason.UnexpectedBody, e.Reason);
        Assert.True(step.Pending!.HasEnded);
    }

    [Fact]
    public async Task Pending_request_of_another_client_is_refused()
    {
        var server = new ScriptedCmpServer { PollCount = 2 };
        var step = await Client(server).TryRequestCertificateAsync(CertificateRequestKind.Initial, ResponseCheckTests.Template(), Ct);
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server).ContinueRequestAsync(step.Pending!, Ct));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
        Assert.True(step.Pending!.IsPending);
    }

    [Fact]
    public async Task C32_try_form_caps_check_after_by_the_total_timeout_and_fails_after_it()
    {
        var server = new ScriptedCmpServer { PollCount = 100, CheckAfterSeconds = 3600 };
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var client = Client(server, ResponseCheckTests.MacOptions(server) with { TotalTimeout = TimeSpan.FromSeconds(30) }, time);

        var step = await client.TryRequestCertificateAsync(CertificateRequestKind.Initial, ResponseCheckTests.Template(), Ct);
        Assert.Equal(TimeSpan.FromSeconds(30), step.Pending!.CheckAfter);

        time.Advance(TimeSpan.FromSeconds(31));
        var e = await Assert.ThrowsAsync<CmpException>(() => client.ContinueRequestAsync(step.Pending, Ct));
        Assert.Equal(CmpFailureReason.TotalTimeout, e.Reason);
        Assert.True(step.Pending.HasEnded);
        Assert.True(e.TransactionId!.Value.Span.SequenceEqual(step.Pending.TransactionId.Span));
    }

    [Fact]
    public async Task C33_try_form_second_waiting_status_sends_error_and_fails()
    {
        var server = new ScriptedCmpServer { PollCount = 1 };
        server.Mutate = d =>
        {
            if (d.RequestType == BodyType.PollReq)
            {
                d.Body = ScriptedCmpServer.CertRep(1, 0, PkiStatus.Waiting, null);
            }
        };
        var client = Client(server);
        var e = await Assert.ThrowsAsync<CmpException>(() => client.TryRequestCertificateAsync(CertificateRequestKind.Initial, ResponseCheckTests.Template(), Ct));
        Assert.Equal(CmpFailureReason.UnexpectedWaiting, e.Reason);
        Assert.Equal([BodyType.Ir, BodyType.PollReq, BodyType.Error], Sent(server));
    }

    [Fact]
    public async Task Blocking_form_waits_check_after_on_the_time_provider()
    {
        var server = new ScriptedCmpServer { PollCount = 2, CheckAfterSeconds = 10 };
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var task = Client(server, time: time).InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        // ir, pollReq (pollRep 10 s): then the client waits on the fake clock, not on the wall clock.
        for (int i = 0; i < 100 && Sent(server).Count < 2; i++)
        {
            await Task.Delay(10, Ct);
        }
        await Task.Delay(50, Ct);
        Assert.Equal(2, server.Received.Count);
        Assert.False(task.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));
        var result = await task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(server.Issued[0], result.Certificate);
        Assert.Equal([BodyType.Ir, BodyType.PollReq, BodyType.PollReq, BodyType.CertConf], Sent(server));
    }

    [Fact]
    public async Task C22_error_with_status_waiting_in_reply_to_rr_starts_polling_with_cert_req_id_minus_one()
    {
        var server = new ScriptedCmpServer { PollCount = 1 };
        var ca = server.Ca;
        var cert = TestPki.IssueWithKey(ca, "CN=to revoke").Certificate;
        var result = await Client(server).RevokeAsync(cert, X509RevocationReason.KeyCompromise, Ct);
        Assert.Equal(PkiStatus.Accepted, result.Status.Status);
        Assert.Equal([BodyType.Rr, BodyType.PollReq], Sent(server));
        Assert.Equal(-1, PollReqContent.GetInstance(server.Received[1].Body.Content).GetCertReqIDValues()[0].LongValue);
    }

    [Fact]
    public async Task C22_error_with_status_waiting_in_reply_to_genm_starts_polling()
    {
        var server = new ScriptedCmpServer { PollCount = 2, CheckAfterSeconds = 0 };
        server.GenmAnswer = _ => ScriptedCmpServer.Genp(("1.2.3.4", null));
        var genp = await Client(server).GeneralMessageAsync([], Ct);
        Assert.Equal("1.2.3.4", Assert.Single(genp).TypeValue);
        Assert.Equal([BodyType.Genm, BodyType.PollReq, BodyType.PollReq], Sent(server));
    }

    [Fact]
    public async Task C25_rr_answered_after_polling_with_a_genp_fails()
    {
        var server = new ScriptedCmpServer { PollCount = 1 };
        server.RrAnswer = _ => ScriptedCmpServer.Genp();
        var cert = TestPki.IssueWithKey(server.Ca, "CN=to revoke").Certificate;
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server).RevokeAsync(cert, null, Ct));
        Assert.Equal(CmpFailureReason.UnexpectedBody, e.Reason);
    }

    [Fact]
    public async Task C32_one_thousand_pending_enrollments_from_one_thread_without_blocking()
    {
        const int Count = 1000;
        // Kept cheap so the test measures the pipeline, not hashing: PBM with the minimum 100 iterations
        // both ways, implicit confirmation (no certConf), and MAC-protected responses need no trust
        // anchors (without any certificates, no chain is built).
        var server = new ScriptedCmpServer { PollsPerTransaction = 2, CheckAfterSeconds = 30, MacIterations = 100, GrantImplicitConfirm = true };
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = ResponseCheckTests.MacOptions(server) with
        {
            TrustAnchors = [],
            ImplicitConfirm = true,
            MacCredentials = new CmpMacCredentials(ScriptedCmpServer.DefaultSecret, "clientref"u8.ToArray()) { IterationCount = 100 },
        };
        var client = Client(server, options, time);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var template = new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=many") };
        var thread = Environment.CurrentManagedThreadId;
        var stopwatch = Stopwatch.StartNew();

        // Start all: each call returns at once with "pending, check after 30 s" (the in-process server
        // answers synchronously, so a call that completes synchronously proves nothing waited).
        var pending = new List<CmpPendingRequest>(Count);
        for (int i = 0; i < Count; i++)
        {
            var task = client.TryRequestCertificateAsync(CertificateRequestKind.Initial, template, Ct);
            Assert.True(task.IsCompleted);
            var step = await task;
            Assert.True(step.IsPending);
            Assert.Equal(TimeSpan.FromSeconds(30), step.Pending.CheckAfter);
            pending.Add(step.Pending);
        }
        Assert.Equal(Count, server.PendingTransactions);

        // The caller's own schedule: 30 s later (on its clock), continue every one, twice.
        var results = new List<EnrollmentResult>(Count);
        while (pending.Count > 0)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            var still = new List<CmpPendingRequest>();
            foreach (var p in pending)
            {
                Assert.True(p.NextPollTime <= time.GetUtcNow());
                var task = client.ContinueRequestAsync(p, Ct);
                Assert.True(task.IsCompleted);
                var step = await task;
                if (step.IsPending)
                {
                    still.Add(step.Pending);
                }
                else
                {
                    results.Add(step.Result);
                }
            }
            pending = still;
        }
        stopwatch.Stop();

        Assert.Equal(thread, Environment.CurrentManagedThreadId);
        Assert.Equal(Count, results.Count);
        Assert.Equal(Count, results.Select(r => Convert.ToHexString(r.TransactionId.Span)).Distinct().Count());
        Assert.Equal(0, server.PendingTransactions);
        // ir + 2 pollReq per transaction (implicitly confirmed), and no wall-clock waiting.
        Assert.All(results, r => Assert.True(r.ImplicitlyConfirmed));
        Assert.Equal(3 * Count, server.Received.Count);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"took {stopwatch.Elapsed}");
    }
}
