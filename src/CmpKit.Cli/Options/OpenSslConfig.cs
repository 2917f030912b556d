using System.Text;

namespace CmpKit.Cli.Options;

/// <summary>
/// An OpenSSL configuration file in NCONF syntax (what <c>openssl cmp -config</c> reads):
/// <c>[ section ]</c> headers, <c>name = value</c> lines, <c>#</c> comments, '...' and "..."
/// quoting, backslash escapes and line continuation, and <c>$var</c>, <c>${var}</c>,
/// <c>$section::var</c>, <c>${section::var}</c> expansion at the time the line is read.
/// Names before the first header belong to the <c>default</c> section, and every lookup
/// falls back to <c>default</c> as NCONF_get_string does. Immutable once parsed.
/// </summary>
internal sealed class OpenSslConfig
{
    /// <summary>The section every lookup falls back to.</summary>
    public const string DefaultSection = "default";

    // Punctuation NCONF allows in section and value names, besides letters, digits and '_'.
    private const string NamePunctuation = "_!%&*+,-./;?@^~|";

    private readonly Dictionary<string, List<KeyValuePair<string, string>>> _sections;

    private OpenSslConfig(string source, Dictionary<string, List<KeyValuePair<string, string>>> sections)
    {
        Source = source;
        _sections = sections;
    }

    /// <summary>File name (or other label) the config was read from, for messages.</summary>
    public string Source { get; }

    /// <summary>Names of all sections, including <c>default</c>.</summary>
    public IEnumerable<string> SectionNames => _sections.Keys;

    /// <summary>Reads and parses a config file.</summary>
    /// <exception cref="CliException">file unreadable, syntax error, undefined variable.</exception>
    public static OpenSslConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            throw new CliException($"cannot read config file '{path}': file not found");
        }
        catch (DirectoryNotFoundException)
        {
            throw new CliException($"cannot read config file '{path}': directory not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read config file '{path}': {e.Message}");
        }

        return Parse(text, path);
    }

    /// <summary>Parses config text; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="CliException">syntax error or undefined variable, with line number.</exception>
    public static OpenSslConfig Parse(string text, string source = "<config>")
    {
        var sections = new Dictionary<string, List<KeyValuePair<string, string>>>(StringComparer.Ordinal)
        {
            [DefaultSection] = [],
        };
        var config = new OpenSslConfig(source, sections);
        string current = DefaultSection;

        string[] lines = text.Split('\n');
        var logical = new StringBuilder();
        int startLine = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
            if (logical.Length == 0)
            {
                startLine = i + 1;
            }

            if (EndsWithContinuation(line))
            {
                logical.Append(line, 0, line.Length - 1);
                if (i < lines.Length - 1)
                {
                    continue;
                }
            }
            else
            {
                logical.Append(line);
            }

            string full = logical.ToString();
            logical.Clear();
            current = config.ParseLine(full, startLine, current);
        }

        return config;
    }

    /// <summary>
    /// The value of <paramref name="name"/> in <paramref name="section"/>, else in
    /// <c>default</c>, else null. An empty string means "present but empty". Section <c>ENV</c>
    /// also finds environment variables, so <c>$ENV::HOME</c> works as in OpenSSL.
    /// </summary>
    public string? Get(string section, string name)
    {
        if (TryGetExact(section, name, out string? value))
        {
            return value;
        }

        if (section == "ENV" && Environment.GetEnvironmentVariable(name) is string env)
        {
            return env; // NCONF: the pseudo-section ENV holds the environment
        }

        return TryGetExact(DefaultSection, name, out value) ? value : null;
    }

    /// <summary>True if the section has a header (or, for <c>default</c>, always).</summary>
    public bool HasSection(string section) => _sections.ContainsKey(section);

    /// <summary>The name/value pairs of a section in file order (no default fallback), or null.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? GetSection(string section) =>
        _sections.TryGetValue(section, out var list) ? list : null;

    private bool TryGetExact(string section, string name, out string? value)
    {
        value = null;
        if (!_sections.TryGetValue(section, out var list))
        {
            return false;
        }

        foreach (var pair in list)
        {
            if (pair.Key == name)
            {
                value = pair.Value;
                return true;
            }
        }

        return false;
    }

    private static bool EndsWithContinuation(string line)
    {
        int count = 0;
        for (int i = line.Length - 1; i >= 0 && line[i] == '\\'; i--)
        {
            count++;
        }

        return count % 2 == 1;
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || NamePunctuation.Contains(c);

    private static bool IsVariableChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private CliException Error(int line, string what) => new($"config file '{Source}' line {line}: {what}");

    private string ParseLine(string raw, int lineNo, string current)
    {
        string line = StripComment(raw).Trim(' ', '\t');
        if (line.Length == 0)
        {
            return current;
        }

        int pos;
        if (line[0] == '[')
        {
            pos = 1;
            SkipWhitespace(line, ref pos);
            int start = pos;
            while (pos < line.Length && IsNameChar(line[pos]))
            {
                pos++;
            }

            string name = line[start..pos];
            SkipWhitespace(line, ref pos);
            if (pos >= line.Length || line[pos] != ']')
            {
                throw Error(lineNo, "missing close square bracket in section header");
            }

            if (name.Length == 0)
            {
                throw Error(lineNo, "empty section name");
            }

            _sections.TryAdd(name, []);
            return name;
        }

        pos = 0;
        int nameStart = pos;
        while (pos < line.Length && IsNameChar(line[pos]))
        {
            pos++;
        }

        string key = line[nameStart..pos];
        string section = current;
        if (pos + 1 < line.Length && line[pos] == ':' && line[pos + 1] == ':')
        {
            section = key;
            pos += 2;
            nameStart = pos;
            while (pos < line.Length && IsNameChar(line[pos]))
            {
                pos++;
            }

            key = line[nameStart..pos];
        }

        if (key is ".include" or ".pragma" || (key.Length == 0 && line.StartsWith(".include", StringComparison.Ordinal)))
        {
            if (key == ".pragma")
            {
                return current; // pragmas only tune parsing details this parser does not need
            }

            throw Error(lineNo, ".include directives are not supported");
        }

        SkipWhitespace(line, ref pos);
        if (pos >= line.Length || line[pos] != '=')
        {
            throw Error(lineNo, "missing equal sign");
        }

        if (key.Length == 0)
        {
            throw Error(lineNo, "missing name before equal sign");
        }

        pos++;
        SkipWhitespace(line, ref pos);
        string value = Expand(line[pos..], current, lineNo);

        if (!_sections.TryGetValue(section, out var list))
        {
            list = [];
            _sections[section] = list;
        }

        list.RemoveAll(p => p.Key == key);
        list.Add(new KeyValuePair<string, string>(key, value));
        return current;
    }

    private static void SkipWhitespace(string s, ref int pos)
    {
        while (pos < s.Length && (s[pos] == ' ' || s[pos] == '\t'))
        {
            pos++;
        }
    }

    // Cuts a '#' comment that is neither quoted nor escaped.
    private static string StripComment(string line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '#')
            {
                return line[..i];
            }

            if (c == '\\')
            {
                i++;
            }
            else if (c is '"' or '\'')
            {
                int end = i + 1;
                while (end < line.Length && line[end] != c)
                {
                    if (line[end] == '\\')
                    {
                        end++;
                    }

                    end++;
                }

                i = end;
            }
        }

        return line;
    }

    private string Expand(string raw, string current, int lineNo)
    {
        var sb = new StringBuilder(raw.Length);
        int i = 0;
        while (i < raw.Length)
        {
            char c = raw[i];
            if (c is '"' or '\'')
            {
                i++;
                while (i < raw.Length && raw[i] != c)
                {
                    if (raw[i] == '\\')
                    {
                        i++;
                        if (i >= raw.Length)
                        {
                            break;
                        }
                    }

                    sb.Append(raw[i++]);
                }

                i++; // closing quote (an unterminated quote simply ends the value, as in NCONF)
            }
            else if (c == '\\')
            {
                i++;
                if (i >= raw.Length)
                {
                    break;
                }

                char e = raw[i++];
                sb.Append(e switch
                {
                    'r' => '\r',
                    'n' => '\n',
                    'b' => '\b',
                    't' => '\t',
                    _ => e,
                });
            }
            else if (c == '$')
            {
                i++;
                char close = '\0';
                if (i < raw.Length && (raw[i] == '{' || raw[i] == '('))
                {
                    close = raw[i] == '{' ? '}' : ')';
                    i++;
                }

                string name = ReadVariableName(raw, ref i);
                string? section = null;
                if (i + 1 < raw.Length && raw[i] == ':' && raw[i + 1] == ':')
                {
                    section = name;
                    i += 2;
                    name = ReadVariableName(raw, ref i);
                }

                if (close != '\0')
                {
                    if (i >= raw.Length || raw[i] != close)
                    {
                        throw Error(lineNo, $"missing closing '{close}' in variable reference");
                    }

                    i++;
                }

                string? value = Get(section ?? current, name);
                if (value is null)
                {
                    string shown = section is null ? name : section + "::" + name;
                    throw Error(lineNo, $"variable '{shown}' has no value");
                }

                sb.Append(value);
            }
            else
            {
                sb.Append(c);
                i++;
            }
        }

        return sb.ToString();
    }

    private static string ReadVariableName(string s, ref int i)
    {
        int start = i;
        while (i < s.Length && IsVariableChar(s[i]))
        {
            i++;
        }

        return s[start..i];
    }
}
