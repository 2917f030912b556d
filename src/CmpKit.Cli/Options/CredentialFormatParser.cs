namespace CmpKit.Cli.Options;

internal static class CredentialFormatParser
{
    /// <summary>Parses a -certform/-keyform value (PEM, DER, P12; case-insensitive); null means Auto.</summary>
    /// <exception cref="CliException">any other value.</exception>
    public static CredentialFormat Parse(string? value, string optionName) => value?.ToUpperInvariant() switch
    {
        null or "" => CredentialFormat.Auto,
        "PEM" => CredentialFormat.Pem,
        "DER" => CredentialFormat.Der,
        "P12" or "PKCS12" => CredentialFormat.Pkcs12,
        _ => throw new CliException($"option {optionName}: unknown format '{value}' (use PEM, DER or P12)"),
    };
}
