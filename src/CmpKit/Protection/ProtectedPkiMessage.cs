using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Protection;

/// <summary>
/// A PKIMessage built by <see cref="MessageProtector"/>, which keeps the DER it already has: ProtectedPart
/// (header and body, encoded to compute the protection) and the extraCerts' certificates as they were given.
/// <see cref="Messages.PkiMessageCodec.Encode"/> assembles the message from them instead of encoding header,
/// body and certificates again.
/// </summary>
/// <remarks>
/// PKIMessage ::= SEQUENCE { header, body, [0] protection OPTIONAL, [1] extraCerts OPTIONAL } and
/// ProtectedPart ::= SEQUENCE { header, body }: the message's content starts with ProtectedPart's content.
/// BouncyCastle's objects are immutable, so the kept encodings stay those of the message. The same bytes as
/// BouncyCastle's DER encoding of the message for certificates given in DER (tests compare the two).
/// </remarks>
internal sealed class ProtectedPkiMessage : PkiMessage
{
    private readonly byte[] _protectedPart;
    private readonly ReadOnlyMemory<byte>[]? _extraCerts;

    public ProtectedPkiMessage(PkiHeader header, PkiBody body, DerBitString? protection, CmpCertificate[]? extraCerts,
        byte[] protectedPart, ReadOnlyMemory<byte>[]? extraCertsDer)
        : base(header, body, protection, extraCerts)
    {
        _protectedPart = protectedPart;
        _extraCerts = extraCertsDer;
    }

    /// <summary>The DER of the whole message.</summary>
    public byte[] Encode()
    {
        var part = _protectedPart.AsSpan(ContentOffset(_protectedPart));
        byte[]? protection = Protection is null ? null : new DerTaggedObject(true, 0, Protection).GetEncoded(Asn1Encodable.Der);
        int certsLength = 0;
        foreach (var c in _extraCerts ?? [])
        {
            certsLength += c.Length;
        }
        int certsSequence = _extraCerts is null ? 0 : 1 + LengthOfLength(certsLength) + certsLength;
        int certsTagged = _extraCerts is null ? 0 : 1 + LengthOfLength(certsSequence) + certsSequence;
        int content = part.Length + (protection?.Length ?? 0) + certsTagged;

        var der = new byte[1 + LengthOfLength(content) + content];
        int at = 0;
        der[at++] = 0x30;
        at += WriteLength(der.AsSpan(at), content);
        part.CopyTo(der.AsSpan(at));
        at += part.Length;
        if (protection is not null)
        {
            protection.CopyTo(der, at);
            at += protection.Length;
        }
        if (_extraCerts is not null)
        {
            der[at++] = 0xA1; // [1] EXPLICIT, constructed
            at += WriteLength(der.AsSpan(at), certsSequence);
            der[at++] = 0x30;
            at += WriteLength(der.AsSpan(at), certsLength);
            foreach (var c in _extraCerts)
            {
                c.Span.CopyTo(der.AsSpan(at));
                at += c.Length;
            }
        }
        return at == der.Length ? der : throw new InvalidOperationException("PKIMessage assembled to a wrong length");
    }

    /// <summary>Where a DER SEQUENCE's content starts (after its tag and length).</summary>
    private static int ContentOffset(byte[] sequence) => sequence[1] < 0x80 ? 2 : 2 + (sequence[1] & 0x7F);

    private static int LengthOfLength(int length) => length switch
    {
        < 0x80 => 1,
        < 0x100 => 2,
        < 0x10000 => 3,
        < 0x1000000 => 4,
        _ => 5,
    };

    private static int WriteLength(Span<byte> destination, int length)
    {
        int size = LengthOfLength(length);
        if (size == 1)
        {
            destination[0] = (byte)length;
            return 1;
        }
        destination[0] = (byte)(0x80 | (size - 1));
        for (int i = size - 1; i >= 1; i--)
        {
            destination[i] = (byte)length;
            length >>= 8;
        }
        return size;
    }
}
