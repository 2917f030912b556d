using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace CmpKit.Cli.Options;

/// <summary>
/// Turns <c>cmpkit</c>'s command line into <see cref="CmpArguments"/> the way <c>openssl cmp</c>
/// (apps/cmp.c) does: System.CommandLine recognises the single-dash options of
/// <see cref="CmpOptionTable"/> (no POSIX bundling, no @response files); then values from
/// <c>-config FILE</c>, sections <c>-section 'A B'</c> (default <c>cmp</c>), fill every option
/// not given on the command line. Later sections win over earlier ones and each section lookup
/// falls back to [default]; an empty value (config) or "" (command line) leaves the option unset.
/// </summary>
internal static class CmpArgumentParser
{
    /// <summary>Section used when -section is not given.</summary>
    public const string DefaultCmpSection = "cmp";

    private static readonly ParserConfiguration Configuration = new()
    {
        EnablePosixBundling = false,
        ResponseFileTokenReplacer = null,
    };

    private static readonly (Command Command, IReadOnlyList<(CmpOptionSpec Spec, Option Option)> Options) Cli = BuildCommand();

    /// <summary>Parses and merges; <paramref name="loadConfig"/> replaces file reading in tests.</summary>
    /// <exception cref="CliException">any problem with the arguments or the config file, one line.</exception>
    public static CmpArguments Parse(IReadOnlyList<string> args, Func<string, OpenSslConfig>? loadConfig = null)
    {
        ParseResult result = Cli.Command.Parse(args, Configuration);
        var warnings = new List<string>();

        if (Cli.Options.Any(o => o.Spec.Name == "help" && result.GetResult(o.Option) is { IdentifierTokenCount: > 0 }))
        {
            return new CmpArguments(new Dictionary<string, CmpOptionValue>(), true, null, [], warnings);
        }

        ThrowFirstError(result);

        var values = new Dictionary<string, CmpOptionValue>(StringComparer.Ordinal);
        foreach (var (spec, option) in Cli.Options)
        {
            OptionResult? or = result.GetResult(option);
            if (or is null || or.IdentifierTokenCount == 0)
            {
                continue;
            }

            string? value;
            if (spec.Kind == CmpOptionKind.Flag)
            {
                value = "1";
            }
            else
            {
                value = or.Tokens[^1].Value; // repeated option: the last one wins, as in OpenSSL
                if (value.Length == 0)
                {
                    if (spec.IsInt)
                    {
                        throw new CliException($"option {spec.DashName}: empty value is not a number");
                    }

                    warnings.Add($"{spec.DashName} option argument is empty string, resetting option");
                    value = null;
                }
                else if (spec.IsInt)
                {
                    value = CheckInt(spec, value, $"option {spec.DashName}").ToString(CultureInfo.InvariantCulture);
                }
                else if (value[0] == '-')
                {
                    warnings.Add($"{spec.DashName} option argument starts with hyphen");
                }
            }

            values[spec.Name] = new CmpOptionValue(spec, value, CmpValueSource.CommandLine);
        }

        string? configFile = values.GetValueOrDefault("config")?.Value;
        var sectionValue = values.GetValueOrDefault("section");
        string sectionText = sectionValue is null ? DefaultCmpSection : sectionValue.Value ?? OpenSslConfig.DefaultSection;
        string[] sections = sectionText.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
        if (sections.Length == 0)
        {
            sections = [OpenSslConfig.DefaultSection];
        }

        OpenSslConfig? config = null;
        if (configFile is not null)
        {
            config = (loadConfig ?? OpenSslConfig.Load)(configFile);
            foreach (string section in sections)
            {
                if (!config.HasSection(section))
                {
                    warnings.Add($"no [{section}] section found in config file '{configFile}'; using just [default] for it");
                }
            }

            MergeConfig(config, sections, values);
        }

        CheckSupport(values, configFile, warnings);
        return new CmpArguments(values, false, configFile, configFile is null ? [] : sections, warnings) { Config = config };
    }

    private static void MergeConfig(OpenSslConfig config, string[] sections, Dictionary<string, CmpOptionValue> values)
    {
        foreach (var spec in CmpOptionTable.All)
        {
            if (spec.CommandLineOnly || values.ContainsKey(spec.Name))
            {
                continue;
            }

            for (int i = sections.Length - 1; i >= 0; i--)
            {
                string? text = config.Get(sections[i], spec.Name);
                if (text is null)
                {
                    continue;
                }

                bool local = config.GetSection(sections[i])?.Any(p => p.Key == spec.Name) == true;
                string where = local ? sections[i] : OpenSslConfig.DefaultSection;
                string? value = text.Length == 0 ? null : text;
                string context = $"config file '{config.Source}' section [{where}]: option {spec.DashName}";
                if (value is not null && spec.Kind == CmpOptionKind.Flag)
                {
                    if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
                    {
                        throw new CliException($"{context}: '{value}' is not 0 or 1");
                    }

                    value = n != 0 ? "1" : "0";
                }
                else if (value is not null && spec.IsInt)
                {
                    value = CheckInt(spec, value, context).ToString(CultureInfo.InvariantCulture);
                }

                values[spec.Name] = new CmpOptionValue(spec, value, CmpValueSource.ConfigFile, where);
                break;
            }
        }
    }

    private static void CheckSupport(Dictionary<string, CmpOptionValue> values, string? configFile, List<string> warnings)
    {
        foreach (var v in values.Values.ToList())
        {
            bool on = v.Spec.Kind == CmpOptionKind.Flag ? v.Value == "1" : v.Value is not null;
            if (!on || v.Spec.Support == CmpOptionSupport.Supported)
            {
                continue;
            }

            if (v.Spec.Support == CmpOptionSupport.OnlyWhenOff || v.Source == CmpValueSource.CommandLine)
            {
                string where = v.Source == CmpValueSource.ConfigFile
                    ? $" (set in config file '{configFile}' section [{v.ConfigSection}])"
                    : string.Empty;
                throw new CliException($"option {v.Spec.DashName} is not supported yet{where}");
            }

            warnings.Add($"option {v.Spec.DashName} from config file '{configFile}' section [{v.ConfigSection}] is not supported yet; ignored");
            values.Remove(v.Spec.Name);
        }
    }

    /// <summary>Parses a decimal int and checks the option's kind and range.</summary>
    private static int CheckInt(CmpOptionSpec spec, string text, string context)
    {
        if (!long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
        {
            throw new CliException($"{context}: '{text}' is not a number");
        }

        if (n is < int.MinValue or > int.MaxValue)
        {
            throw new CliException($"{context}: {text} is out of range");
        }

        if (spec.Kind == CmpOptionKind.NonNegativeInt && n < 0)
        {
            throw new CliException($"{context}: {n} must not be negative");
        }

        if (spec.Kind == CmpOptionKind.PositiveInt && n <= 0)
        {
            throw new CliException($"{context}: {n} must be positive");
        }

        if ((spec.Min is int min && n < min) || (spec.Max is int max && n > max) || spec.Excluded.Contains((int)n))
        {
            string range = $"{spec.Min ?? (spec.Kind == CmpOptionKind.Int ? int.MinValue : 0)}..{spec.Max ?? int.MaxValue}";
            string except = spec.Excluded.Count > 0 ? $" except {string.Join(", ", spec.Excluded)}" : string.Empty;
            throw new CliException($"{context}: {n} is out of range {range}{except}");
        }

        return (int)n;
    }

    private static void ThrowFirstError(ParseResult result)
    {
        if (result.Errors.Count == 0)
        {
            return;
        }

        foreach (string token in result.UnmatchedTokens)
        {
            if (token.Length > 1 && token[0] == '-')
            {
                throw new CliException($"unknown option {token.Split('=', ':')[0]}; see 'cmpkit -help'");
            }

            // A stray "pass:..." is most likely a pass phrase whose option went missing: do not echo it.
            string shown = token.StartsWith("pass:", StringComparison.Ordinal) ? "pass:..." : token;
            throw new CliException($"unexpected argument '{shown}'; see 'cmpkit -help'");
        }

        foreach (var error in result.Errors)
        {
            if (error.SymbolResult is OptionResult or && or.Tokens.Count == 0)
            {
                throw new CliException($"option {or.IdentifierToken?.Value ?? or.Option.Name} needs a value; see 'cmpkit -help'");
            }
        }

        throw new CliException(result.Errors[0].Message);
    }

    private static (Command, IReadOnlyList<(CmpOptionSpec, Option)>) BuildCommand()
    {
        var command = new Command("cmpkit") { TreatUnmatchedTokensAsErrors = true };
        var options = new List<(CmpOptionSpec, Option)>();
        foreach (var spec in CmpOptionTable.All)
        {
            Option option = spec.Kind == CmpOptionKind.Flag
                ? new Option<bool>(spec.DashName, "-" + spec.DashName) { Arity = ArgumentArity.Zero }
                : new Option<string[]>(spec.DashName, "-" + spec.DashName)
                {
                    Arity = ArgumentArity.OneOrMore,
                    AllowMultipleArgumentsPerToken = false,
                };
            option.Description = spec.Help;
            command.Options.Add(option);
            options.Add((spec, option));
        }

        return (command, options);
    }
}
