using Microsoft.Extensions.Logging;

namespace CmpKit.Cli.Commands;

/// <summary>
/// Writes library log lines to stderr as <c>cmpkit: info: ...</c>, filtered by OpenSSL's
/// -verbosity scale (3 error, 4 warning, 6 info (default), 7 debug, 8 trace).
/// </summary>
internal sealed class ConsoleLogger(TextWriter output, int verbosity) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => Threshold(logLevel) <= verbosity;

    private static int Threshold(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 6,
        LogLevel.Debug => 7,
        _ => 8,
    };

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        var label = logLevel switch
        {
            LogLevel.Critical or LogLevel.Error => "error",
            LogLevel.Warning => "warning",
            LogLevel.Information => "info",
            _ => "debug",
        };
        output.WriteLine($"cmpkit: {label}: {formatter(state, exception)}");
    }
}
