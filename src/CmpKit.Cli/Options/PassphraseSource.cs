using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace CmpKit.Cli.Options;

/// <summary>
/// OpenSSL pass phrase arguments (openssl-passphrase-options): <c>pass:TEXT</c>, <c>env:VAR</c>,
/// <c>file:PATH</c> (first line), <c>fd:N</c> (first line), <c>stdin</c> (first line). Like
/// OpenSSL master, an argument without one of these prefixes is itself the pass phrase.
/// Error messages name the source (variable, file, descriptor) but never contain the secret.
/// </summary>
internal static class PassphraseSource
{
    // OpenSSL's apps read at most this many characters of a pass phrase line.
    private const int MaxLength = 1024;

    /// <summary>Resolves a pass phrase argument.</summary>
    /// <param name="arg">The option argument, e.g. <c>pass:12345</c>.</param>
    /// <param name="stdin">Reader used for <c>stdin</c>; defaults to <see cref="Console.In"/>.</param>
    /// <exception cref="CliException">the source cannot be read (variable unset, file missing ...).</exception>
    public static string Resolve(string arg, TextReader? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(arg);
        if (arg.StartsWith("pass:", StringComparison.Ordinal))
        {
            return arg[5..];
        }

        if (arg.StartsWith("env:", StringComparison.Ordinal))
        {
            string name = arg[4..];
            return Environment.GetEnvironmentVariable(name)
                ?? throw new CliException($"cannot read pass phrase: environment variable '{name}' is not set");
        }

        if (arg.StartsWith("file:", StringComparison.Ordinal))
        {
            string path = arg[5..];
            try
            {
                using var reader = new StreamReader(path);
                return FirstLine(reader);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new CliException($"cannot read pass phrase from file '{path}': file not found");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new CliException($"cannot read pass phrase from file '{path}': {Describe(e)}");
            }
        }

        if (arg.StartsWith("fd:", StringComparison.Ordinal))
        {
            string fdText = arg[3..];
            if (!int.TryParse(fdText, NumberStyles.None, CultureInfo.InvariantCulture, out int fd))
            {
                throw new CliException($"cannot read pass phrase: 'fd:{fdText}' does not name a file descriptor number");
            }

            try
            {
                using var handle = new SafeFileHandle(fd, ownsHandle: false);
                using var stream = new FileStream(handle, FileAccess.Read, 1);
                using var reader = new StreamReader(stream);
                return FirstLine(reader);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new CliException($"cannot read pass phrase from file descriptor {fd}: {Describe(e)}");
            }
        }

        if (arg == "stdin")
        {
            return FirstLine(stdin ?? Console.In);
        }

        return arg;
    }

    // First line without its line break (OpenSSL reads up to the newline; a CR before it is dropped too).
    private static string FirstLine(TextReader reader)
    {
        var buffer = new char[MaxLength];
        int length = 0;
        while (length < MaxLength)
        {
            int c = reader.Read();
            if (c < 0 || c == '\n')
            {
                break;
            }

            buffer[length++] = (char)c;
        }

        if (length > 0 && buffer[length - 1] == '\r')
        {
            length--;
        }

        return new string(buffer, 0, length);
    }

    // Exception text from the file system names paths, never file content.
    private static string Describe(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
