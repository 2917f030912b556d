using System.Globalization;

namespace CmpKit.Cli.Options;

/// <summary>
/// The merged, validated options of one <c>cmpkit</c> invocation (command line over config file),
/// immutable. Accessors take option names without the dash, e.g. <c>GetString("server")</c>;
/// asking for a name that is not an <c>openssl cmp</c> option is a programming error.
/// </summary>
internal sealed class CmpArguments
{
    private readonly IReadOnlyDictionary<string, CmpOptionValue> _values;

    internal CmpArguments(
        IReadOnlyDictionary<string, CmpOptionValue> values,
        bool helpRequested,
        string? configFile,
        IReadOnlyList<string> sections,
        IReadOnlyList<string> warnings)
    {
        _values = values;
        HelpRequested = helpRequested;
        ConfigFile = configFile;
        Sections = sections;
        Warnings = warnings;
    }

    /// <summary>-help was given: print usage and exit 0, ignoring everything else.</summary>
    public bool HelpRequested { get; }

    /// <summary>The config file that was read, or null.</summary>
    public string? ConfigFile { get; }

    /// <summary>The config file's content, for options that name sections of it (-reqexts, -policies).</summary>
    public OpenSslConfig? Config { get; init; }

    /// <summary>The config sections consulted, in order of increasing priority.</summary>
    public IReadOnlyList<string> Sections { get; }

    /// <summary>Non-fatal remarks to print as "cmpkit: warning: ..." (e.g. empty -opt "" resets).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The string value, or null if unset. For int options the digits, for flags "1"/"0".</summary>
    public string? GetString(string name) => Value(name).Value;

    /// <summary>The integer value of an int option, or null if unset.</summary>
    public int? GetInt(string name)
    {
        var v = Value(name);
        if (!v.Spec.IsInt)
        {
            throw new ArgumentException($"-{name} is not an integer option", nameof(name));
        }

        return v.Value is null ? null : int.Parse(v.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    /// <summary>True if the flag is on.</summary>
    public bool GetFlag(string name)
    {
        var v = Value(name);
        if (v.Spec.Kind != CmpOptionKind.Flag)
        {
            throw new ArgumentException($"-{name} is not a flag", nameof(name));
        }

        return v.Value == "1";
    }

    /// <summary>True if the option has a value (a flag: is on).</summary>
    public bool IsSet(string name)
    {
        var v = Value(name);
        return v.Spec.Kind == CmpOptionKind.Flag ? v.Value == "1" : v.Value is not null;
    }

    /// <summary>Where the option's value came from.</summary>
    public CmpValueSource GetSource(string name) => Value(name).Source;

    /// <summary>The option and where it came from, for error messages.</summary>
    public string Describe(string name) => Value(name).Describe(ConfigFile);

    /// <summary>All options with a value or an explicit source.</summary>
    public IEnumerable<CmpOptionValue> Given => _values.Values.Where(v => v.Source != CmpValueSource.None);

    private CmpOptionValue Value(string name)
    {
        var spec = CmpOptionTable.Get(name);
        return _values.TryGetValue(name, out var v) ? v : new CmpOptionValue(spec, null, CmpValueSource.None);
    }
}
