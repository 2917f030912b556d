namespace CmpKit.Cli.Options;

/// <summary>Prints <c>cmpkit -help</c>: every option grouped as <c>openssl cmp -help</c> groups them.</summary>
internal static class CmpHelpWriter
{
    private const int NameColumn = 24;

    /// <summary>Writes the usage summary.</summary>
    public static void Write(TextWriter writer)
    {
        writer.WriteLine("Usage: cmpkit [options]");
        writer.WriteLine("Options are those of 'openssl cmp'; '-config FILE -section NAMES' takes defaults from an OpenSSL config file.");
        writer.WriteLine("Valid options are:");
        CmpOptionGroup? group = null;
        foreach (var spec in CmpOptionTable.All)
        {
            if (spec.Group != group)
            {
                group = spec.Group;
                if (spec.Group.Heading() is string heading)
                {
                    writer.WriteLine();
                    writer.WriteLine(heading);
                }
            }

            string left = $" {spec.DashName} {ValueHint(spec.Kind)}".TrimEnd();
            string help = spec.Support switch
            {
                CmpOptionSupport.NotYet => spec.Help + " [not supported yet]",
                CmpOptionSupport.OnlyWhenOff => spec.Help + " [TLS not supported yet]",
                _ => spec.Help,
            };
            writer.WriteLine(left.Length < NameColumn - 1
                ? left.PadRight(NameColumn - 1) + help
                : left + " " + help);
        }
    }

    private static string ValueHint(CmpOptionKind kind) => kind switch
    {
        CmpOptionKind.Flag => string.Empty,
        CmpOptionKind.Int => "int",
        CmpOptionKind.NonNegativeInt => "nonneg",
        CmpOptionKind.PositiveInt => "+int",
        CmpOptionKind.InputFile => "infile",
        CmpOptionKind.OutputFile => "outfile",
        CmpOptionKind.DistinguishedName => "dn",
        CmpOptionKind.Passphrase => "source",
        CmpOptionKind.Address => "url",
        CmpOptionKind.Section => "section",
        _ => "val",
    };
}
