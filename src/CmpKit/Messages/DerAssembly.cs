namespace CmpKit.Messages;

/// <summary>
/// Assembling DER from parts that are already DER (a protected message from its ProtectedPart, a certificate
/// from its signed TBSCertificate), so that BouncyCastle need not encode them a second time.
/// </summary>
internal static class DerAssembly
{
    /// <summary>The size of a tag (one byte) and a DER length for <paramref name="contentLength"/> bytes of content.</summary>
    public static int HeaderSize(int contentLength) => 1 + LengthOfLength(contentLength);

    /// <summary>Writes a one-byte tag and the DER length; returns the bytes written.</summary>
    public static int WriteHeader(Span<byte> destination, byte tag, int contentLength)
    {
        destination[0] = tag;
        int size = LengthOfLength(contentLength);
        if (size == 1)
        {
            destination[1] = (byte)contentLength;
            return 2;
        }
        destination[1] = (byte)(0x80 | (size - 1));
        for (int i = size; i >= 2; i--)
        {
            destination[i] = (byte)contentLength;
            contentLength >>= 8;
        }
        return 1 + size;
    }

    /// <summary>Where the content of a DER element with a one-byte tag starts (after its tag and length).</summary>
    public static int ContentOffset(ReadOnlySpan<byte> element) => element[1] < 0x80 ? 2 : 2 + (element[1] & 0x7F);

    /// <summary>SEQUENCE { <paramref name="parts"/> } for parts that are each a DER element.</summary>
    public static byte[] Sequence(params byte[][] parts)
    {
        int content = 0;
        foreach (var p in parts)
        {
            content += p.Length;
        }
        var der = new byte[HeaderSize(content) + content];
        int at = WriteHeader(der, 0x30, content);
        foreach (var p in parts)
        {
            p.CopyTo(der, at);
            at += p.Length;
        }
        return der;
    }

    private static int LengthOfLength(int length) => length switch
    {
        < 0x80 => 1,
        < 0x100 => 2,
        < 0x10000 => 3,
        < 0x1000000 => 4,
        _ => 5,
    };
}
