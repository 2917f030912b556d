namespace CmpKit.Cli.Options;

/// <summary>Where an option's effective value came from.</summary>
internal enum CmpValueSource
{
    /// <summary>Neither command line nor config file set it.</summary>
    None,

    /// <summary>Given on the command line (possibly as "" = unset).</summary>
    CommandLine,

    /// <summary>Taken from the config file (possibly an empty value = unset).</summary>
    ConfigFile,
}
