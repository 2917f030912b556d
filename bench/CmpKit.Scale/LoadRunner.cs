using System.Diagnostics;
using System.Threading.Channels;
using CmpKit.Client;

namespace CmpKit.Scale;

/// <summary>A CmpClient with the HttpClient it sends through.</summary>
internal sealed class Lane(HttpClient http, CmpClient client)
{
    public HttpClient Http { get; } = http;
    public CmpClient Client { get; } = client;
}

/// <summary>
/// The clients for one server. Shared (affinity off): one HttpClient with a pool of up to N connections and
/// one CmpClient for all enrollments; a request takes whichever connection is free, and an enrollment that
/// waits to poll holds none. Affinity on: at most N enrollments at a time each get a new HttpClient limited
/// to one connection (and a CmpClient on it) for all their messages, disposed when they end. That is what
/// OpenSSL's mock server needs: it serves one transaction at a time and waits on the connection of the
/// transaction it is in. A fresh connection per enrollment also avoids a race of .NET's connection pool with
/// that server: its HTTP/1.0 responses do not say "Connection: close" when it closes the connection after a
/// transaction, SocketsHttpHandler was seen to put the connection back into its pool (although the request
/// said "Connection: close"), and the next request sent on it before the server's FIN arrived failed with
/// "connection reset by peer" (the race of dotnet/runtime#60644). Run with --affinity-reuse to see it.
/// </summary>
internal sealed class LanePool : IDisposable
{
    private readonly Uri _server;
    private readonly CmpClientOptions _options;
    private readonly Lane? _shared;
    private readonly SemaphoreSlim? _slots;
    private readonly Channel<Lane>? _reusable;
    private readonly List<Lane> _all = [];

    public LanePool(Uri server, CmpClientOptions options, int connections, bool affinity, bool reuseAffinityLanes = false)
    {
        _server = server;
        _options = options;
        if (!affinity)
        {
            _shared = NewLane(server, options, connections);
            _all.Add(_shared);
        }
        else if (reuseAffinityLanes)
        {
            _reusable = Channel.CreateUnbounded<Lane>();
            for (int i = 0; i < connections; i++)
            {
                var lane = NewLane(server, options, 1);
                _all.Add(lane);
                _reusable.Writer.TryWrite(lane);
            }
        }
        else
        {
            _slots = new SemaphoreSlim(connections, connections);
        }
    }

    private static Lane NewLane(Uri server, CmpClientOptions options, int connections)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            MaxConnectionsPerServer = connections,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }; // CmpClient's timeouts apply
        return new Lane(http, new CmpClient(http, server, options));
    }

    public async ValueTask<Lane> AcquireAsync(CancellationToken ct)
    {
        if (_shared is not null)
        {
            return _shared;
        }
        if (_reusable is not null)
        {
            return await _reusable.Reader.ReadAsync(ct).ConfigureAwait(false);
        }
        await _slots!.WaitAsync(ct).ConfigureAwait(false);
        return NewLane(_server, _options, 1);
    }

    public void Release(Lane lane)
    {
        if (_reusable is not null)
        {
            _reusable.Writer.TryWrite(lane);
        }
        else if (_slots is not null)
        {
            lane.Http.Dispose();
            _slots.Release();
        }
    }

    public void Dispose()
    {
        foreach (var lane in _all)
        {
            lane.Http.Dispose();
        }
        _slots?.Dispose();
    }
}

/// <summary>The outcome of one measured run.</summary>
internal sealed record RunResult(
    int Total, int Completed, int Failed, int Polling, TimeSpan Wall, bool Aborted,
    double[] LatencyMs, double[] PollingLatencyMs, double[] DirectLatencyMs,
    IReadOnlyDictionary<string, int> FailureCounts, IReadOnlyList<string> FailureSamples, ResourceUsage Usage);

/// <summary>
/// Runs the enrollments: at most <c>inFlight</c> at once, each an ir + certConf with CmpClient's non-blocking
/// form. <see cref="CmpClient.TryRequestCertificateAsync"/> either finishes or returns a pending request; pending
/// requests wait in one queue ordered by <see cref="CmpPendingRequest.NextPollTime"/>, which a single loop
/// drains when they are due with <see cref="CmpClient.ContinueRequestAsync"/>, so a waiting enrollment holds no task, timer
/// or (without affinity) connection. Latency of an enrollment: from its start (when it gets its slot, before
/// it waits for a lane or connection) to its result, including polling waits.
/// </summary>
internal sealed class LoadRunner
{
    private readonly LanePool _direct;
    private readonly LanePool? _polling;
    private readonly CertificateRequestTemplate _template;
    private readonly bool _verbose;
    private readonly PriorityQueue<Enrollment, DateTimeOffset> _due = new();
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Dictionary<string, int> _failureCounts = [];
    private readonly List<string> _failureSamples = [];
    private SemaphoreSlim _slots = null!;
    private TaskCompletionSource _allDone = null!;
    private double[] _latency = [];
    private bool[] _isPolling = [];
    private int _finished, _completed, _failed, _total;
    private CancellationToken _ct;

    public LoadRunner(LanePool direct, LanePool? polling, CertificateRequestTemplate template, bool verbose)
    {
        _direct = direct;
        _polling = polling;
        _template = template;
        _verbose = verbose;
    }

    private sealed class Enrollment(int index, LanePool pool, long start)
    {
        public int Index { get; } = index;
        public LanePool Pool { get; } = pool;
        public long Start { get; } = start;
        public Lane? Lane { get; set; }
        public CmpPendingRequest? Pending { get; set; }
    }

    /// <summary>Runs <paramref name="count"/> enrollments one after another (JIT, connections, first-use costs), not measured.</summary>
    public async Task WarmUpAsync(int count, CancellationToken ct)
    {
        for (int i = 0; i < count; i++)
        {
            var lane = await _direct.AcquireAsync(ct).ConfigureAwait(false);
            try
            {
                await lane.Client.InitialEnrollAsync(_template, ct).ConfigureAwait(false);
            }
            finally
            {
                _direct.Release(lane);
            }
        }
    }

    /// <summary>The measured run. Returns also when <paramref name="ct"/> ends it (then Aborted is set).</summary>
    public async Task<RunResult> RunAsync(int total, int inFlight, double pollFraction, IEnumerable<int> serverPids, CancellationToken ct)
    {
        _ct = ct;
        _total = total;
        _slots = new SemaphoreSlim(inFlight, inFlight);
        _allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _latency = new double[total];
        _isPolling = new bool[total];
        for (int i = 0; i < total; i++)
        {
            // Spread evenly: enrollment i polls when (i + 1) * fraction passes a whole number.
            _isPolling[i] = _polling is not null && Math.Floor((i + 1) * pollFraction) > Math.Floor(i * pollFraction);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        await using var monitor = new ResourceMonitor(serverPids);
        var wall = Stopwatch.StartNew();
        using var stopPoller = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var poller = PollLoopAsync(stopPoller.Token);
        var driver = Task.Run(() => DriveAsync(ct), CancellationToken.None);
        bool aborted = false;
        try
        {
            await _allDone.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            aborted = true;
        }
        wall.Stop();
        var usage = await monitor.StopAsync().ConfigureAwait(false);
        await stopPoller.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(poller, driver).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);

        double[] latencies, pollingLatencies, directLatencies;
        lock (_lock)
        {
            var done = Enumerable.Range(0, total).Where(i => _latency[i] > 0).ToArray();
            latencies = [.. done.Select(i => _latency[i]).Order()];
            pollingLatencies = [.. done.Where(i => _isPolling[i]).Select(i => _latency[i]).Order()];
            directLatencies = [.. done.Where(i => !_isPolling[i]).Select(i => _latency[i]).Order()];
        }
        return new RunResult(total, Volatile.Read(ref _completed), Volatile.Read(ref _failed), _isPolling.Count(p => p), wall.Elapsed, aborted,
            latencies, pollingLatencies, directLatencies, new Dictionary<string, int>(_failureCounts), [.. _failureSamples], usage);
    }

    private async Task DriveAsync(CancellationToken ct)
    {
        try
        {
            for (int i = 0; i < _total; i++)
            {
                await _slots.WaitAsync(ct).ConfigureAwait(false);
                var enrollment = new Enrollment(i, _isPolling[i] ? _polling! : _direct, Stopwatch.GetTimestamp());
                _ = Task.Run(() => StartAsync(enrollment), CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StartAsync(Enrollment e)
    {
        try
        {
            e.Lane = await e.Pool.AcquireAsync(_ct).ConfigureAwait(false);
            var step = await e.Lane.Client.TryRequestCertificateAsync(CertificateRequestKind.Initial, _template, _ct).ConfigureAwait(false);
            Handle(e, step);
        }
        catch (Exception ex)
        {
            Finish(e, ex);
        }
    }

    private async Task ContinueAsync(Enrollment e)
    {
        try
        {
            var step = await e.Lane!.Client.ContinueRequestAsync(e.Pending!, _ct).ConfigureAwait(false);
            Handle(e, step);
        }
        catch (Exception ex)
        {
            Finish(e, ex);
        }
    }

    private void Handle(Enrollment e, CmpRequestProgress step)
    {
        if (!step.IsPending)
        {
            Finish(e, null);
            return;
        }
        e.Pending = step.Pending;
        bool earliest;
        lock (_lock)
        {
            earliest = !_due.TryPeek(out _, out var first) || step.Pending.NextPollTime < first;
            _due.Enqueue(e, step.Pending.NextPollTime);
        }
        if (earliest && _wake.CurrentCount == 0)
        {
            _wake.Release(); // the poll loop sleeps until a later time: wake it to recompute
        }
    }

    /// <summary>
    /// One loop for all waiting enrollments: it sleeps until the earliest NextPollTime (or until an earlier one
    /// is queued), then continues every enrollment whose checkAfter has passed. No timer ticks while nothing is due.
    /// </summary>
    private async Task PollLoopAsync(CancellationToken ct)
    {
        var ready = new List<Enrollment>();
        try
        {
            while (true)
            {
                TimeSpan wait;
                lock (_lock)
                {
                    var now = DateTimeOffset.UtcNow;
                    while (_due.TryPeek(out var e, out var when) && when <= now)
                    {
                        ready.Add(_due.Dequeue());
                    }
                    wait = _due.TryPeek(out _, out var next) ? next - now : Timeout.InfiniteTimeSpan;
                }
                foreach (var e in ready)
                {
                    _ = Task.Run(() => ContinueAsync(e), CancellationToken.None);
                }
                ready.Clear();
                await _wake.WaitAsync(wait, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Finish(Enrollment e, Exception? error)
    {
        var elapsed = Stopwatch.GetElapsedTime(e.Start).TotalMilliseconds;
        if (e.Lane is { } lane)
        {
            e.Pool.Release(lane);
        }
        if (error is null)
        {
            lock (_lock)
            {
                _latency[e.Index] = Math.Max(elapsed, 1e-6);
            }
            Interlocked.Increment(ref _completed);
        }
        else if (!(_ct.IsCancellationRequested && error is OperationCanceledException or CmpException { Reason: CmpFailureReason.MessageTimeout or CmpFailureReason.TotalTimeout }))
        {
            Interlocked.Increment(ref _failed);
            var key = error is CmpException ce ? ce.Reason.ToString() : error.GetType().Name;
            var message = error.Message;
            for (var inner = error.InnerException; inner is not null; inner = inner.InnerException)
            {
                message += " <- " + inner.Message;
            }
            lock (_lock)
            {
                _failureCounts[key] = _failureCounts.GetValueOrDefault(key) + 1;
                if (_failureSamples.Count < 5)
                {
                    _failureSamples.Add($"enrollment {e.Index}: {key}: {message}");
                }
            }
            if (_verbose)
            {
                Console.Error.WriteLine($"enrollment {e.Index} failed: {message}");
            }
        }
        _slots.Release();
        if (Interlocked.Increment(ref _finished) == _total)
        {
            _allDone.TrySetResult();
        }
    }
}
