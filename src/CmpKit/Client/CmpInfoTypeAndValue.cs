using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;

namespace CmpKit.Client;

/// <summary>
/// One InfoTypeAndValue (ITAV, RFC 9810, section 5.3.19): an infoType OID and an optional DER-encoded
/// infoValue. Used in general messages (genm/genp) and in the generalInfo field of request headers.
/// </summary>
/// <param name="Type">The infoType.</param>
/// <param name="Value">The DER encoding of the infoValue, or null (or empty) when the value is absent.</param>
public sealed record CmpInfoTypeAndValue(Oid Type, ReadOnlyMemory<byte>? Value = null)
{
    /// <summary>An ITAV whose value is an INTEGER (OpenSSL's <c>-geninfo OID:int:N</c>).</summary>
    /// <param name="type">The infoType OID in dotted form.</param>
    /// <param name="value">The integer value.</param>
    /// <returns>The ITAV.</returns>
    public static CmpInfoTypeAndValue Integer(string type, BigInteger value)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        w.WriteInteger(value);
        return new CmpInfoTypeAndValue(new Oid(type), w.Encode());
    }

    /// <summary>An ITAV whose value is a UTF8String (OpenSSL 3.2+'s <c>-geninfo OID:str:text</c>).</summary>
    /// <param name="type">The infoType OID in dotted form.</param>
    /// <param name="value">The text.</param>
    /// <returns>The ITAV.</returns>
    public static CmpInfoTypeAndValue Utf8String(string type, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var w = new AsnWriter(AsnEncodingRules.DER);
        w.WriteCharacterString(UniversalTagNumber.UTF8String, value);
        return new CmpInfoTypeAndValue(new Oid(type), w.Encode());
    }

    /// <summary>The infoType in dotted form.</summary>
    public string TypeValue => Type.Value ?? "";

    /// <summary>A short description for logs, e.g. <c>1.3.6.1.5.5.7.4.17 (no value)</c>.</summary>
    public override string ToString() => Value is { } v ? $"{TypeValue} ({v.Length} bytes)" : $"{TypeValue} (no value)";
}
