namespace CmpKit.Cli.Options;

/// <summary>What kind of value an <c>openssl cmp</c> option takes.</summary>
internal enum CmpOptionKind
{
    /// <summary>No argument on the command line; 0/1 (any integer, non-zero = on) in a config file.</summary>
    Flag,

    /// <summary>Free text (command name, digest name, reference value, list of names ...).</summary>
    Text,

    /// <summary>Any 32-bit integer (OpenSSL 'n').</summary>
    Int,

    /// <summary>Integer &gt;= 0 (OpenSSL 'N').</summary>
    NonNegativeInt,

    /// <summary>Integer &gt; 0 (OpenSSL 'p').</summary>
    PositiveInt,

    /// <summary>Name of a file (or several) to read: certificates, keys, CSR, messages.</summary>
    InputFile,

    /// <summary>Name of a file to write.</summary>
    OutputFile,

    /// <summary>Distinguished name in OpenSSL's <c>/type=value/...</c> syntax.</summary>
    DistinguishedName,

    /// <summary>Pass phrase source: pass:, env:, file:, fd:, stdin, or the pass phrase itself.</summary>
    Passphrase,

    /// <summary>URL or host[:port][/path].</summary>
    Address,

    /// <summary>Name of a config file section (or several).</summary>
    Section,
}
