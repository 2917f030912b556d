using System.Security.Cryptography;

namespace CmpKit.Messages;

/// <summary>
/// Random values that are sent in the clear: transactionIDs, nonces, PBM salts, serial numbers. From .NET's
/// <see cref="RandomNumberGenerator"/>, drawn 512 bytes at a time per thread and handed out once each.
/// </summary>
/// <remarks>
/// Each call of .NET's generator costs ~2.3 us on Linux whatever its length (OpenSSL 3.0's RAND_bytes: a getpid
/// system call for its fork check, locking, the DRBG), and an enrollment with confirmation drew 6-7 values of
/// 16 bytes on client and server. Only for values that are public once sent; keys and other secrets (e.g. the
/// content-encryption key of EnvelopedPrivateKey) come from the generator directly.
/// </remarks>
internal static class PublicRandom
{
    private const int PoolSize = 512;

    [ThreadStatic]
    private static byte[]? t_pool;

    [ThreadStatic]
    private static int t_used;

    /// <summary><paramref name="length"/> random bytes, each handed out only once.</summary>
    public static byte[] GetBytes(int length)
    {
        var value = new byte[length];
        Fill(value);
        return value;
    }

    /// <summary>Fills <paramref name="destination"/> with random bytes, each handed out only once.</summary>
    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > PoolSize / 4)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }
        var pool = t_pool ??= new byte[PoolSize];
        if (t_used == 0 || PoolSize - t_used < destination.Length)
        {
            RandomNumberGenerator.Fill(pool);
            t_used = 0;
        }
        var taken = pool.AsSpan(t_used, destination.Length);
        taken.CopyTo(destination);
        taken.Clear();
        t_used += destination.Length;
        if (t_used == PoolSize)
        {
            t_used = 0;
        }
    }
}
