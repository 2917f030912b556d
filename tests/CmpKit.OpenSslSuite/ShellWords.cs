using System.Text;

namespace CmpKit.OpenSslSuite;

/// <summary>
/// Turns the fields of a CSV row into the argv the client sees. OpenSSL's harness does not pass the
/// fields as an argument vector: it single-quotes each field that is empty or contains whitespace
/// or one of <c>{}\$[]*?|&amp;:;&lt;&gt;</c> (without escaping quotes inside), joins them with
/// spaces and lets <c>/bin/sh</c> split the line again. Rows rely on that: a field pair such as
/// <c>'DNS:localhost</c> + <c>IP:127.0.0.1'</c> (the CSV comma splits one quoted value) becomes
/// the single word <c>DNS:localhost IP:127.0.0.1</c>, and <c>""</c> becomes an empty word.
/// This class reproduces both steps without running a shell.
/// </summary>
public static class ShellWords
{
    private const string QuoteTriggers = "{}\\$[]*?|&:;<>";

    /// <summary>The harness's Unix argument formatter for one field.</summary>
    public static string Format(string field) =>
        field.Length == 0 || field.Any(c => char.IsWhiteSpace(c) || QuoteTriggers.Contains(c))
            ? "'" + field + "'"
            : field;

    /// <summary>Formats the fields, joins them with spaces, and splits the line as sh would.</summary>
    public static List<string> ToArgv(IEnumerable<string> fields) =>
        Split(string.Join(' ', fields.Select(Format)));

    /// <summary>
    /// Splits a command line into words as a POSIX shell does for quoting: single quotes, double
    /// quotes (with backslash escaping $ ` " \ inside) and backslash outside quotes. No expansions:
    /// the formatter quotes every field that contains <c>$</c>, <c>*</c> or <c>?</c>.
    /// </summary>
    public static List<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c is ' ' or '\t' or '\n')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                continue;
            }

            inWord = true;
            if (c == '\'')
            {
                int end = line.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    throw new FormatException($"unterminated single quote in: {line}");
                }

                word.Append(line, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                for (i++; ; i++)
                {
                    if (i >= line.Length)
                    {
                        throw new FormatException($"unterminated double quote in: {line}");
                    }

                    if (line[i] == '"')
                    {
                        break;
                    }

                    if (line[i] == '\\' && i + 1 < line.Length && "$`\"\\".Contains(line[i + 1]))
                    {
                        i++;
                    }

                    word.Append(line[i]);
                }
            }
            else if (c == '\\' && i + 1 < line.Length)
            {
                word.Append(line[++i]);
            }
            else
            {
                word.Append(c);
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    /// <summary>A copy-pasteable rendering of an argv for messages.</summary>
    public static string Describe(IEnumerable<string> argv) =>
        string.Join(' ', argv.Select(a =>
            a.Length == 0 ? "''" : a.Any(c => char.IsWhiteSpace(c) || "'\"$\\|&;<>*?()".Contains(c)) ? "'" + a.Replace("'", "'\\''") + "'" : a));
}
