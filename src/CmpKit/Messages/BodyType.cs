namespace CmpKit.Messages;

/// <summary>PKIBody CHOICE tags (RFC 9810, section 5.1.2), with the names OpenSSL and the RFC use.</summary>
internal enum BodyType
{
    Ir = 0, Ip = 1, Cr = 2, Cp = 3, P10cr = 4, Popdecc = 5, Popdecr = 6, Kur = 7, Kup = 8,
    Krr = 9, Krp = 10, Rr = 11, Rp = 12, Ccr = 13, Ccp = 14, Ckuann = 15, Cann = 16, Rann = 17,
    Crlann = 18, PkiConf = 19, Nested = 20, Genm = 21, Genp = 22, Error = 23, CertConf = 24,
    PollReq = 25, PollRep = 26,
}

internal static class BodyTypes
{
    /// <summary>The highest body tag RFC 9810 defines.</summary>
    public const int MaxKnown = 26;

    public static bool IsKnown(int tag) => tag is >= 0 and <= MaxKnown;

    public static string Name(int tag) => tag switch
    {
        0 => "ir", 1 => "ip", 2 => "cr", 3 => "cp", 4 => "p10cr", 5 => "popdecc", 6 => "popdecr",
        7 => "kur", 8 => "kup", 9 => "krr", 10 => "krp", 11 => "rr", 12 => "rp", 13 => "ccr",
        14 => "ccp", 15 => "ckuann", 16 => "cann", 17 => "rann", 18 => "crlann", 19 => "pkiconf",
        20 => "nested", 21 => "genm", 22 => "genp", 23 => "error", 24 => "certConf",
        25 => "pollReq", 26 => "pollRep",
        _ => "body type " + tag.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string Name(BodyType type) => Name((int)type);
}
