namespace CmpKit.Cli.Options;

/// <summary>One <c>openssl cmp</c> option: name (without dash), value kind, help group and text,
/// optional integer range, and whether CmpKit supports it.</summary>
internal sealed record CmpOptionSpec(
    string Name,
    CmpOptionKind Kind,
    CmpOptionGroup Group,
    string Help,
    CmpOptionSupport Support = CmpOptionSupport.Supported)
{
    /// <summary>Smallest allowed value of an integer option (after the kind's own bound).</summary>
    public int? Min { get; init; }

    /// <summary>Largest allowed value of an integer option.</summary>
    public int? Max { get; init; }

    /// <summary>Values inside [Min, Max] that are nevertheless invalid (revreason 7).</summary>
    public IReadOnlyList<int> Excluded { get; init; } = [];

    /// <summary>True for the three option kinds holding an integer.</summary>
    public bool IsInt => Kind is CmpOptionKind.Int or CmpOptionKind.NonNegativeInt or CmpOptionKind.PositiveInt;

    /// <summary>True unless the option is a flag.</summary>
    public bool TakesValue => Kind != CmpOptionKind.Flag;

    /// <summary>The option as typed on the command line, e.g. <c>-server</c>.</summary>
    public string DashName => "-" + Name;

    /// <summary>True for -help, -config and -section, which a config file cannot set.</summary>
    public bool CommandLineOnly => Name is "help" or "config" or "section";
}
