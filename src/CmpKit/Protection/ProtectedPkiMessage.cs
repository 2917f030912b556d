using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using CmpKit.Messages;

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
        var part = _protectedPart.AsSpan(DerAssembly.ContentOffset(_protectedPart));
        byte[]? protection = Protection is null ? null : new DerTaggedObject(true, 0, Protection).GetEncoded(Asn1Encodable.Der);
        int certsLength = 0;
        foreach (var c in _extraCerts ?? [])
        {
            certsLength += c.Length;
        }
        int certsSequence = _extraCerts is null ? 0 : DerAssembly.HeaderSize(certsLength) + certsLength;
        int certsTagged = _extraCerts is null ? 0 : DerAssembly.HeaderSize(certsSequence) + certsSequence;
        int content = part.Length + (protection?.Length ?? 0) + certsTagged;

        var der = new byte[DerAssembly.HeaderSize(content) + content];
        int at = DerAssembly.WriteHeader(der, 0x30, content);
        part.CopyTo(der.AsSpan(at));
        at += part.Length;
        if (protection is not null)
        {
            protection.CopyTo(der, at);
            at += protection.Length;
        }
        if (_extraCerts is not null)
        {
            at += DerAssembly.WriteHeader(der.AsSpan(at), 0xA1, certsSequence); // [1] EXPLICIT
            at += DerAssembly.WriteHeader(der.AsSpan(at), 0x30, certsLength);
            foreach (var c in _extraCerts)
            {
                c.Span.CopyTo(der.AsSpan(at));
                at += c.Length;
            }
        }
        return at == der.Length ? der : throw new InvalidOperationException("PKIMessage assembled to a wrong length");
    }
}
