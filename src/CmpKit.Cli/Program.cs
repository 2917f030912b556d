using CmpKit.Cli.Commands;
using CmpKit.Cli.Options;

namespace CmpKit.Cli;

/// <summary>
/// cmpkit: a CMP client that takes openssl cmp's options. Exit code 0 on success, 1 on any
/// failure, with one line per error and never a stack trace.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        SystemTrustStore.KeepOut();
        return await RunAsync(args, Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false);
    }

    internal static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        try
        {
            var exit = CmpCommandLine.TryParse(args, stdout, stderr, out var arguments);
            if (exit is int code)
            {
                return code;
            }
            // -port: serve as HTTP mock server (as openssl cmp does) instead of running a client transaction.
            return arguments!.IsSet("port")
                ? await new ServerCommand(arguments, stdout, stderr).RunAsync(ct).ConfigureAwait(false)
                : await new ClientCommand(arguments, stderr).RunAsync(ct).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            stderr.WriteLine(e.UserMessage);
            return e.ExitCode;
        }
        catch (CmpException e)
        {
            stderr.WriteLine($"cmpkit: {e.Message} [{e.Reason}]");
            return 1;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("cmpkit: cancelled");
            return 1;
        }
        catch (Exception e)
        {
            // Anything else is a bug in cmpkit; still one line, no stack trace.
            stderr.WriteLine($"cmpkit: internal error ({e.GetType().Name}): {e.Message}");
            return 1;
        }
    }
}
