namespace CmpKit.Cli.Options;

/// <summary>Input format hint from -certform/-keyform; the content decides, the hint only orders attempts.</summary>
internal enum CredentialFormat
{
    Auto,
    Pem,
    Der,
    Pkcs12,
}
