namespace CmpKit.Cli.Options;

/// <summary>
/// The effective value of one option. <see cref="Value"/> is null when the option is unset
/// (never given, or reset by "" / an empty config value); flags hold "1" or "0".
/// </summary>
internal sealed record CmpOptionValue(CmpOptionSpec Spec, string? Value, CmpValueSource Source, string? ConfigSection = null)
{
    /// <summary>Where the value came from, for messages, e.g. "-days (config file 'x.cnf' section [enrollment])".</summary>
    public string Describe(string? configFile) => Source switch
    {
        CmpValueSource.CommandLine => $"{Spec.DashName} (command line)",
        CmpValueSource.ConfigFile => $"{Spec.DashName} (config file '{configFile}' section [{ConfigSection}])",
        _ => Spec.DashName,
    };
}
