using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Cli.Options;

namespace CmpKit.Cli.Commands;

/// <summary>Typed reading of option values: files, keys, DNs, pass phrases, with one-line errors naming the option.</summary>
internal sealed class ArgumentReader(CmpArguments args)
{
    public CmpArguments Args { get; } = args;

    public string? String(string name) => Args.GetString(name);

    public bool Flag(string name) => Args.GetFlag(name);

    public bool IsSet(string name) => Args.IsSet(name);

    public int? Int(string name) => Args.GetInt(name);

    public string? Pass(string name) => String(name) is { } p ? PassphraseSource.Resolve(p) : null;

    public byte[]? SecretBytes(string name) => Pass(name) is { } p ? Encoding.UTF8.GetBytes(p) : null;

    public X500DistinguishedName? Dn(string name, ICollection<string> warnings)
    {
        if (String(name) is not { } text)
        {
            return null;
        }
        try
        {
            return DnParser.Parse(text, warnings);
        }
        catch (CliException e)
        {
            throw new CliException($"-{name}: {e.Message}", e);
        }
    }

    public X509Certificate2? Cert(string name, string what, string? passOption = "otherpass") =>
        String(name) is { } path ? CredentialLoader.LoadCertificate(path, passOption is null ? null : Pass(passOption), what) : null;

    public X509Certificate2Collection Certs(string name, string what, string? passOption = "otherpass") =>
        String(name) is { } files ? CredentialLoader.LoadCertificateList(files, passOption is null ? null : Pass(passOption), what) : [];

    public X509Certificate2Collection CertsOfFile(string name, string what, string? passOption)
    {
        if (String(name) is not { } path)
        {
            return [];
        }
        var format = CredentialFormatParser.Parse(String("certform"), "-certform");
        return CredentialLoader.LoadCertificates(path, passOption is null ? null : Pass(passOption), what, format);
    }

    public AsymmetricAlgorithm? PrivateKey(string name, string passOption, string what)
    {
        if (String(name) is not { } path)
        {
            return null;
        }
        var format = CredentialFormatParser.Parse(String("keyform"), "-keyform");
        return CredentialLoader.LoadPrivateKey(path, Pass(passOption), what, format);
    }

    public HashAlgorithmName Digest(string name, HashAlgorithmName fallback) => String(name) switch
    {
        null => fallback,
        var d => d.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal) switch
        {
            "sha1" => HashAlgorithmName.SHA1,
            "sha256" => HashAlgorithmName.SHA256,
            "sha384" => HashAlgorithmName.SHA384,
            "sha512" => HashAlgorithmName.SHA512,
            "sha3256" => HashAlgorithmName.SHA3_256,
            "sha3384" => HashAlgorithmName.SHA3_384,
            "sha3512" => HashAlgorithmName.SHA3_512,
            _ => throw new CliException($"-{name}: unknown or unsupported digest '{d}' (sha1, sha256, sha384, sha512, sha3-256, sha3-384, sha3-512)"),
        },
    };

    public TimeSpan? Seconds(string name, TimeSpan? fallback)
    {
        var v = Int(name);
        return v switch
        {
            null => fallback,
            < 0 => throw new CliException($"-{name}: must not be negative"),
            0 => null,
            _ => TimeSpan.FromSeconds(v.Value),
        };
    }

    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
