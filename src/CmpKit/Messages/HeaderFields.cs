using System.Globalization;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Messages;

/// <summary>The fields of a PKIHeader (RFC 9810, section 5.1.1) before protection is chosen.</summary>
internal sealed record HeaderFields
{
    public int Pvno { get; init; } = 2;
    public required GeneralName Sender { get; init; }
    public required GeneralName Recipient { get; init; }
    public DateTimeOffset? MessageTime { get; init; }
    public byte[]? SenderKid { get; init; }
    public required byte[] TransactionId { get; init; }
    public required byte[] SenderNonce { get; init; }
    public byte[]? RecipNonce { get; init; }
    public IReadOnlyList<InfoTypeAndValue> GeneralInfo { get; init; } = [];
    public IReadOnlyList<string> FreeText { get; init; } = [];

    /// <summary>Builds the PKIHeader with the given protection algorithm (null: unprotected).</summary>
    public PkiHeader Build(AlgorithmIdentifier? protectionAlg, byte[]? senderKidOverride = null)
    {
        var b = new PkiHeaderBuilder(Pvno, Sender, Recipient);
        if (MessageTime is DateTimeOffset t)
        {
            b.SetMessageTime(WholeSeconds(t));
        }
        if (protectionAlg is not null)
        {
            b.SetProtectionAlg(protectionAlg);
        }
        var kid = senderKidOverride ?? SenderKid;
        if (kid is not null)
        {
            b.SetSenderKID(kid);
        }
        b.SetTransactionID(TransactionId);
        b.SetSenderNonce(SenderNonce);
        if (RecipNonce is not null)
        {
            b.SetRecipNonce(RecipNonce);
        }
        if (FreeText.Count > 0)
        {
            b.SetFreeText(new PkiFreeText(FreeText.ToArray()));
        }
        if (GeneralInfo.Count > 0)
        {
            b.SetGeneralInfo(GeneralInfo.ToArray());
        }
        return b.Build();
    }

    /// <summary>GeneralizedTime in whole seconds, UTC (BouncyCastle would otherwise write fractions).</summary>
    public static DerGeneralizedTime WholeSeconds(DateTimeOffset time)
    {
        // From the DateTime (BouncyCastle formats it without fraction when there is none) rather than from a
        // string, which BouncyCastle would parse again: ~2 us per message.
        var utc = time.UtcDateTime;
        return new(new DateTime(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc));
    }

    /// <summary>The implicitConfirm ITAV (RFC 9810, section 5.1.1.1), value NULL.</summary>
    public static InfoTypeAndValue ImplicitConfirm => new(CmpObjectIdentifiers.it_implicitConfirm, DerNull.Instance);
}
