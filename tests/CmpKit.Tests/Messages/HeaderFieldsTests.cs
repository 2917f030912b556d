using System.Text;
using CmpKit.Messages;
using Org.BouncyCastle.Asn1;

namespace CmpKit.Tests.Messages;

/// <summary>messageTime is written as GeneralizedTime in whole seconds, UTC, without a fraction (DER).</summary>
public class HeaderFieldsTests
{
    [Theory]
    [InlineData("2026-11-28T00:59:59.9999999+00:00", "20261128005959Z")] // a fraction just below the next second: cut, not rounded
    [InlineData("2026-11-28T01:00:00.0000000+00:00", "20261128010000Z")] // no fraction
    [InlineData("2026-12-31T23:30:00.5000000-01:00", "20270101003000Z")] // another offset, into the next year in UTC
    [InlineData("2026-06-15T12:00:00.0010000+02:00", "20260615100000Z")] // a millisecond
    public void Message_time_is_whole_seconds_in_utc(string time, string expected)
    {
        var encoded = HeaderFields.WholeSeconds(DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture)).GetEncoded(Asn1Encodable.Der);
        Assert.Equal([0x18, (byte)expected.Length, .. Encoding.ASCII.GetBytes(expected)], encoded);
    }
}
