using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace CmpKit.Scale;

/// <summary>What this (client) process and a server process used during a run.</summary>
internal sealed record ResourceUsage(
    long PeakWorkingSetBytes, bool PeakFromKernel, long PeakGcHeapBytes, long PeakManagedBytes,
    TimeSpan ClientCpu, int Gen0, int Gen1, int Gen2, TimeSpan? ServerCpu);

/// <summary>
/// Samples this process's memory every 100 ms while a run lasts, and measures client and server CPU time.
/// Peak working set: the kernel's high-water mark (VmHWM in /proc/self/status, reset at the start of the
/// run through /proc/self/clear_refs) where available, else the highest sample. Peak GC heap: the highest
/// heap size after a GC (GCMemoryInfo.HeapSizeBytes); peak managed: the highest GC.GetTotalMemory(false)
/// (allocated, including garbage not yet collected).
/// </summary>
internal sealed class ResourceMonitor : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private readonly TimeSpan _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly int _gen0 = GC.CollectionCount(0), _gen1 = GC.CollectionCount(1), _gen2 = GC.CollectionCount(2);
    private readonly int[] _serverPids;
    private readonly TimeSpan[] _serverCpuStart;
    private readonly bool _kernelPeak;
    private long _peakWorkingSet, _peakGcHeap, _peakManaged;

    public ResourceMonitor(IEnumerable<int> serverPids)
    {
        _serverPids = [.. serverPids];
        _serverCpuStart = [.. _serverPids.Select(ProcessCpu)];
        _kernelPeak = ResetPeak();
        _sampler = SampleAsync(_stop.Token);
    }

    /// <summary>Stops sampling and returns the usage since the monitor was created.</summary>
    public async Task<ResourceUsage> StopAsync()
    {
        Sample();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _sampler.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        var kernelPeak = _kernelPeak ? ReadVmHwm() : null;
        TimeSpan? serverCpu = _serverPids.Length == 0 ? null
            : _serverPids.Select((pid, i) => ProcessCpu(pid) - _serverCpuStart[i]).Aggregate(TimeSpan.Zero, (a, b) => a + b);
        return new ResourceUsage(Math.Max(kernelPeak ?? 0, Interlocked.Read(ref _peakWorkingSet)), kernelPeak is not null,
            Interlocked.Read(ref _peakGcHeap), Interlocked.Read(ref _peakManaged),
            Process.GetCurrentProcess().TotalProcessorTime - _cpuStart,
            GC.CollectionCount(0) - _gen0, GC.CollectionCount(1) - _gen1, GC.CollectionCount(2) - _gen2, serverCpu);
    }

    private async Task SampleAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            Sample();
        }
    }

    private void Sample()
    {
        Max(ref _peakWorkingSet, Environment.WorkingSet);
        Max(ref _peakGcHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
        Max(ref _peakManaged, GC.GetTotalMemory(false));
    }

    private static void Max(ref long field, long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref field)) && Interlocked.CompareExchange(ref field, value, seen) != seen)
        {
        }
    }

    /// <summary>Resets the kernel's peak RSS of this process (Linux: write 5 to /proc/self/clear_refs).</summary>
    private static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return ReadVmHwm() is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long? ReadVmHwm()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }

    /// <summary>User + system CPU time of a process (Linux: /proc/PID/stat fields 14 and 15).</summary>
    private static TimeSpan ProcessCpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state): utime is field 14, stime field 15.
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return TimeSpan.Zero;
        }
    }

    private static readonly long ClockTicksPerSecond = OperatingSystem.IsLinux() ? Math.Max(1, SysConf(2 /* _SC_CLK_TCK */)) : 100;

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _sampler.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
