namespace CmpKit.Cli.Options;

/// <summary>How far CmpKit implements an <c>openssl cmp</c> option.</summary>
internal enum CmpOptionSupport
{
    /// <summary>Implemented.</summary>
    Supported,

    /// <summary>Recognised; using it is answered "option -X is not supported yet".</summary>
    NotYet,

    /// <summary>Accepted; only a true/on value is answered "not supported yet" (-tls_used).</summary>
    OnlyWhenOff,
}
