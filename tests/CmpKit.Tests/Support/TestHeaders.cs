using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;

namespace CmpKit.Tests.Support;

/// <summary>Header fields for messages that tests build and encode themselves.</summary>
internal static class TestHeaders
{
    /// <summary>pvno 2 from CN=sender to the NULL-DN, now, a fresh transactionID and senderNonce, the given freeText.</summary>
    public static HeaderFields Fields(params string[] freeText) => new()
    {
        Pvno = 2,
        Sender = Names.ToGeneralName(new X500DistinguishedName("CN=sender")),
        Recipient = Names.NullDn,
        MessageTime = DateTimeOffset.UtcNow,
        TransactionId = RandomNumberGenerator.GetBytes(16),
        SenderNonce = RandomNumberGenerator.GetBytes(16),
        FreeText = freeText,
        GeneralInfo = [],
    };
}
