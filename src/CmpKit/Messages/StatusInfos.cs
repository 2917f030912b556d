using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using BcStatusInfo = Org.BouncyCastle.Asn1.Cmp.PkiStatusInfo;

namespace CmpKit.Messages;

/// <summary>Conversions between PKIStatusInfo (RFC 9810, section 5.2.3) and <see cref="CmpStatusInfo"/>.</summary>
internal static class StatusInfos
{
    /// <summary>Reads a PKIStatusInfo; status values beyond int range become -1 (an unknown status).</summary>
    public static CmpStatusInfo ToCmp(BcStatusInfo info, ErrorMsgContent? error = null)
    {
        var statusValue = info.Status.BitLength < 31 ? info.Status.IntValue : -1;
        var texts = ReadFreeText(info.StatusString);
        var fail = FromBits(info.FailInfo);
        long? code = null;
        if (error?.ErrorCode is { } c && c.Value.BitLength < 63)
        {
            code = c.LongValueExact;
        }
        return new CmpStatusInfo((PkiStatus)statusValue, fail, texts, code, ReadFreeText(error?.ErrorDetails));
    }

    public static IReadOnlyList<string> ReadFreeText(PkiFreeText? text)
    {
        if (text is null)
        {
            return [];
        }
        var list = new List<string>(text.Count);
        for (int i = 0; i < text.Count; i++)
        {
            list.Add(text[i].GetString());
        }
        return list;
    }

    /// <summary>Builds a PKIStatusInfo; failure bits are numbered as in RFC 9810 (bit n = 1 &lt;&lt; n).</summary>
    public static BcStatusInfo ToBc(PkiStatus status, PkiFailureInfo failure = PkiFailureInfo.None, IEnumerable<string>? texts = null)
    {
        var v = new Asn1EncodableVector(DerInteger.ValueOf((int)status));
        var t = texts?.ToArray() ?? [];
        if (t.Length > 0)
        {
            v.Add(new PkiFreeText(t));
        }
        if (failure != PkiFailureInfo.None)
        {
            v.Add(ToBits(failure));
        }
        return BcStatusInfo.GetInstance(new DerSequence(v));
    }

    /// <summary>The named BIT STRING for the failure bits, DER-minimal (no trailing zero bits).</summary>
    public static DerBitString ToBits(PkiFailureInfo failure)
    {
        var value = (uint)failure;
        if (value == 0)
        {
            return new DerBitString([], 0);
        }
        int highest = 31 - System.Numerics.BitOperations.LeadingZeroCount(value);
        var bytes = new byte[highest / 8 + 1];
        for (int bit = 0; bit <= highest; bit++)
        {
            if ((value & (1u << bit)) != 0)
            {
                bytes[bit / 8] |= (byte)(0x80 >> (bit % 8));
            }
        }
        return new DerBitString(bytes, 7 - highest % 8);
    }

    public static PkiFailureInfo FromBits(DerBitString? bits)
    {
        if (bits is null)
        {
            return PkiFailureInfo.None;
        }
        var bytes = bits.GetBytes();
        uint value = 0;
        for (int bit = 0; bit < Math.Min(bytes.Length * 8, 31); bit++)
        {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                value |= 1u << bit;
            }
        }
        return (PkiFailureInfo)value;
    }
}
