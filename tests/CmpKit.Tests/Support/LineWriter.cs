using System.Text.RegularExpressions;

namespace CmpKit.Tests.Support;

/// <summary>A thread-safe writer for a CLI run in process (e.g. server mode) whose lines can be awaited.</summary>
public sealed class LineWriter : StringWriter
{
    private readonly Lock _lock = new();

    public override void Write(char value)
    {
        lock (_lock)
        {
            base.Write(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_lock)
        {
            base.Write(value);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_lock)
        {
            base.WriteLine(value);
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return base.ToString();
        }
    }

    public async Task<Match> WaitForAsync(Regex line, TimeSpan timeout, CancellationToken ct)
    {
        var end = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var l in ToString().Split('\n'))
            {
                var m = line.Match(l.TrimEnd('\r'));
                if (m.Success)
                {
                    return m;
                }
            }
            Assert.True(DateTime.UtcNow < end, "no matching line in:\n" + ToString());
            await Task.Delay(50, ct);
        }
    }
}
