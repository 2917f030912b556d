using System.Text.RegularExpressions;

namespace CmpKit.OpenSslSuite;

/// <summary>
/// The server-dependent values the harness reads from Mock/test.cnf (section [Mock], then the
/// aspect's own section): the placeholders of the CSV rows plus <c>column</c> and <c>sleep</c>.
/// Read line by line with the harness's rules, not as an OpenSSL config: the last entry wins, an
/// empty value stands for an empty argument (<c>""</c>), <c>${ENV::NAME}</c> is taken from the
/// environment, and only server_host/server_port drop a trailing <c># comment</c>.
/// </summary>
public sealed partial class TestConfig
{
    private static readonly string[] s_keys =
    [
        "ca_dn", "server_dn", "server_host", "server_port", "server_tls", "server_path", "server_cert",
        "kur_port", "pbm_port", "pbm_ref", "pbm_secret", "column", "sleep",
    ];

    private readonly Dictionary<string, string> _values;

    private TestConfig(Dictionary<string, string> values) => _values = values;

    /// <summary>A value, or null when no section read so far set it.</summary>
    public string? this[string key] => _values.GetValueOrDefault(key);

    /// <summary>Reads the section (e.g. <c>Mock</c>) from the file.</summary>
    public static TestConfig Load(string path, string section) => new TestConfig([]).With(path, section);

    /// <summary>A copy with the keys of another section laid over this one (the aspect's section).</summary>
    public TestConfig With(string path, string section)
    {
        var values = new Dictionary<string, string>(_values);
        bool active = false;
        foreach (string line in File.ReadLines(path))
        {
            Match header = SectionHeader().Match(line);
            if (header.Success)
            {
                active = header.Groups[1].Value.Trim() == section;
                continue;
            }

            if (!active)
            {
                continue;
            }

            Match m = Entry().Match(line);
            if (!m.Success || !s_keys.Contains(m.Groups[1].Value))
            {
                continue;
            }

            string key = m.Groups[1].Value;
            string value = m.Groups[2].Value.TrimEnd();
            if (key is "server_host" or "server_port")
            {
                int hash = value.IndexOf('#', StringComparison.Ordinal);
                value = (hash >= 0 ? value[..hash] : value).Trim();
                int space = value.IndexOfAny([' ', '\t']);
                value = space >= 0 ? value[..space] : value;
            }

            values[key] = SubstituteEnvironment(value);
        }

        return new TestConfig(values);
    }

    /// <summary>A copy with one value replaced (the port and host the started server reported).</summary>
    public TestConfig Set(string key, string value) => new(new Dictionary<string, string>(_values) { [key] = value });

    /// <summary>The keys the harness insists on; empty when all are there.</summary>
    public IEnumerable<string> MissingKeys() =>
        s_keys.Where(k => k != "server_dn" && !_values.ContainsKey(k));

    private static string SubstituteEnvironment(string value)
    {
        if (value.Length == 0)
        {
            return "\"\"\"\"";
        }

        Match env = EnvReference().Match(value);
        return env.Success ? Environment.GetEnvironmentVariable(env.Groups[1].Value) ?? "" : value;
    }

    [GeneratedRegex(@"^\s*\[\s*(.*?)\s*\]")]
    private static partial Regex SectionHeader();

    [GeneratedRegex(@"^\s*(\w+)\s*=\s*(.*)$")]
    private static partial Regex Entry();

    [GeneratedRegex(@"^\$\{ENV::(\w+)\}$")]
    private static partial Regex EnvReference();
}
