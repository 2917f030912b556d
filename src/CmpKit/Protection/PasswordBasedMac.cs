using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Protection;

/// <summary>
/// PasswordBasedMac (RFC 9810, section 5.1.3.1; RFC 4211, section 4.4): the base key is the
/// one-way function applied iterationCount times to secret || salt, and the MAC is computed with
/// that key (<see cref="PbmBaseKey"/>). The HMAC is .NET's.
/// </summary>
internal static class PasswordBasedMac
{
    public const string Oid = "1.2.840.113533.7.66.13";

    /// <summary>HMAC algorithm identifiers (RFC 9481, section 6.2.1), by name as OpenSSL's -mac spells them.</summary>
    private static readonly (string Name, string Oid, HashAlgorithmName Hash)[] Macs =
    [
        ("hmac-sha1", "1.3.6.1.5.5.8.1.2", HashAlgorithmName.SHA1),
        ("hmac-sha256", "1.2.840.113549.2.9", HashAlgorithmName.SHA256),
        ("hmac-sha384", "1.2.840.113549.2.10", HashAlgorithmName.SHA384),
        ("hmac-sha512", "1.2.840.113549.2.11", HashAlgorithmName.SHA512),
    ];

    /// <summary>The HMAC hash for a MAC algorithm name such as "hmac-sha256" (also accepts "sha256").</summary>
    public static HashAlgorithmName? MacHashFromName(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        foreach (var m in Macs)
        {
            if (m.Name == n || m.Name == "hmac-" + n || m.Name.Replace("-", "", StringComparison.Ordinal) == n)
            {
                return m.Hash;
            }
        }
        return null;
    }

    private static string MacOid(HashAlgorithmName hash)
    {
        foreach (var m in Macs)
        {
            if (m.Hash == hash)
            {
                return m.Oid;
            }
        }
        throw new CmpException(CmpFailureReason.InvalidOptions, $"HMAC with {hash.Name} is not supported for PBM");
    }

    private static HashAlgorithmName? MacHashFromOid(string oid)
    {
        if (oid == "1.2.840.113549.2.7")
        {
            return HashAlgorithmName.SHA1; // hmacWithSHA1 (PKCS#5) as some implementations send it
        }
        foreach (var m in Macs)
        {
            if (m.Oid == oid)
            {
                return m.Hash;
            }
        }
        return null;
    }

    /// <summary>A fresh PBM algorithm identifier with a random salt.</summary>
    public static AlgorithmIdentifier CreateAlgorithm(HashAlgorithmName owf, HashAlgorithmName mac, int iterationCount, int saltLength)
    {
        var salt = Messages.PublicRandom.GetBytes(saltLength);
        var owfId = new AlgorithmIdentifier(new DerObjectIdentifier(SignatureAlgorithms.HashOid(owf)));
        var macId = new AlgorithmIdentifier(new DerObjectIdentifier(MacOid(mac)));
        return new AlgorithmIdentifier(new DerObjectIdentifier(Oid), new PbmParameter(salt, owfId, iterationCount, macId));
    }

    /// <summary>
    /// Whether <paramref name="algorithm"/> is PasswordBasedMac with this one-way function, MAC and iteration
    /// count, and a salt of 1 to 1024 bytes.
    /// </summary>
    public static bool HasParameters(AlgorithmIdentifier algorithm, HashAlgorithmName owf, HashAlgorithmName mac, int iterationCount)
    {
        if (algorithm.Algorithm.Id != Oid || algorithm.Parameters is null)
        {
            return false;
        }
        try
        {
            var p = PbmParameter.GetInstance(algorithm.Parameters);
            var salt = p.Salt.GetOctets();
            return salt.Length is > 0 and <= 1024
                && p.Owf.Algorithm.Id == SignatureAlgorithms.HashOid(owf)
                && MacHashFromOid(p.Mac.Algorithm.Id) == mac
                && p.IterationCount.HasValue(iterationCount);
        }
        catch (Exception e) when (e is ArgumentException or InvalidCastException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Computes the PBM value over <paramref name="data"/> with the parameters of <paramref name="algorithm"/>.</summary>
    /// <exception cref="CmpException">Unsupported OWF or MAC (UnsupportedProtectionAlgorithm), iteration count out of range (MacParametersRejected).</exception>
    /// <param name="secret">The shared secret.</param>
    /// <param name="algorithm">The PBM algorithm identifier with its parameters.</param>
    /// <param name="data">What the MAC is over (the DER of ProtectedPart).</param>
    /// <param name="maxIterations">The highest iteration count accepted.</param>
    /// <param name="keys">Base keys already derived from this secret (used only if made for it); the base key goes into it.</param>
    public static byte[] Compute(ReadOnlySpan<byte> secret, AlgorithmIdentifier algorithm, ReadOnlySpan<byte> data, int maxIterations, PbmKeyMemo? keys = null)
    {
        PbmParameter p;
        try
        {
            p = PbmParameter.GetInstance(algorithm.Parameters ?? throw new ArgumentException("missing parameters"));
        }
        catch (Exception e) when (e is ArgumentException or InvalidCastException or InvalidOperationException)
        {
            throw new CmpException(CmpFailureReason.MacParametersRejected, "the PBM parameters are malformed", innerException: e);
        }
        var owf = SignatureAlgorithms.HashFromOid(p.Owf.Algorithm.Id)
            ?? throw new CmpException(CmpFailureReason.UnsupportedProtectionAlgorithm, $"PBM one-way function {p.Owf.Algorithm.Id} is not supported");
        var mac = MacHashFromOid(p.Mac.Algorithm.Id)
            ?? throw new CmpException(CmpFailureReason.UnsupportedProtectionAlgorithm, $"PBM MAC algorithm {p.Mac.Algorithm.Id} is not supported");
        if (!p.IterationCount.HasValue(0) && p.IterationCount.Value.BitLength > 31)
        {
            throw new CmpException(CmpFailureReason.MacParametersRejected, "the PBM iteration count is out of range");
        }
        var iterations = p.IterationCount.IntValueExact;
        // RFC 4211 4.4 requires at least 100 (OpenSSL accepts as few as 100 too); the cap protects against DoS.
        if (iterations < 1 || iterations > maxIterations)
        {
            throw new CmpException(CmpFailureReason.MacParametersRejected,
                $"the PBM iteration count {iterations} is outside the accepted range 1..{maxIterations}");
        }
        var salt = p.Salt.GetOctets();
        if (salt.Length > 1024)
        {
            throw new CmpException(CmpFailureReason.MacParametersRejected, "the PBM salt is longer than 1024 bytes");
        }
        if (keys is not null && !keys.IsFor(secret))
        {
            keys = null;
        }
        var id = keys is null ? null : owf.Name + "/" + iterations.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" + Convert.ToHexString(salt);
        var key = id is null ? null : keys!.TryGet(id);
        if (key is null)
        {
            key = PbmBaseKey.Derive(secret, salt, owf, iterations);
            if (id is not null)
            {
                keys!.Add(id, key);
            }
        }
        var result = mac.Name switch
        {
            "SHA1" => HMACSHA1.HashData(key, data),
            "SHA256" => HMACSHA256.HashData(key, data),
            "SHA384" => HMACSHA384.HashData(key, data),
            "SHA512" => HMACSHA512.HashData(key, data),
            _ => throw new CmpException(CmpFailureReason.UnsupportedProtectionAlgorithm, "unsupported PBM MAC"),
        };
        CryptographicOperations.ZeroMemory(key);
        return result;
    }
}
