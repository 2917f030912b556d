using System.Formats.Asn1;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Protection;

/// <summary>
/// Public keys for verifying signatures, from SubjectPublicKeyInfo DER or from a certificate: RSA
/// (rsaEncryption) and ECDSA on P-256, P-384 and P-521 made by libcrypto (RSA: EVP_PKEY_fromdata; EC: a copy
/// of a parameters-only key of the curve given the point with EVP_PKEY_set1_encoded_public_key) and handed to
/// .NET's <see cref="RSAOpenSsl"/> / <see cref="ECDsaOpenSsl"/>; every other key, and every key where that
/// is not possible, through .NET's own import.
/// </summary>
/// <remarks>
/// <para>
/// Why: on Linux with OpenSSL 3.0, .NET's import (<c>ImportSubjectPublicKeyInfo</c>, <c>GetECDsaPublicKey</c>,
/// <c>GetRSAPublicKey</c>) costs ~120 us for a P-256 key, twice the ECDSA verification it is made for (it sets
/// the point with EC_KEY_set_public_key_affine_coordinates, which multiplies it by the group order, and the
/// first operation exports the legacy EC_KEY to OpenSSL's provider), and 120-170 us for an RSA-2048 key, six
/// times its verification. A server makes a new key for every request's POP, and for every client certificate
/// it has not seen; made here, an EC key takes ~10 us and an RSA key ~15-25 us with .NET's wrapper (docs/performance.md).
/// </para>
/// <para>
/// What is accepted stays .NET's decision: the fast path takes only the canonical DER forms (a named curve and
/// an uncompressed point of the curve's length; rsaEncryption with NULL parameters and a positive modulus and
/// exponent), and OpenSSL refuses a point that is not on the curve (EC_POINT_oct2point), which for these
/// curves of prime order is the whole public-key validation. Whatever the fast path declines or fails on is
/// imported by .NET, which accepts or refuses it as it did before. Only where libcrypto is OpenSSL 3 and the
/// same library .NET uses (<see cref="Libcrypto.SharedWithDotNet"/>), so that .NET frees what libcrypto made.
/// </para>
/// </remarks>
internal static unsafe class SubjectPublicKeys
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    /// <summary>The RSA public key of a SubjectPublicKeyInfo (to be disposed by the caller).</summary>
    /// <exception cref="CryptographicException">The key cannot be read as an RSA key.</exception>
    public static RSA ImportRsa(byte[] subjectPublicKeyInfo) => Import(subjectPublicKeyInfo, RSA.Create);

    /// <summary>The ECDSA public key of a SubjectPublicKeyInfo (to be disposed by the caller).</summary>
    /// <exception cref="CryptographicException">The key cannot be read as an EC key.</exception>
    public static ECDsa ImportECDsa(byte[] subjectPublicKeyInfo) => Import(subjectPublicKeyInfo, System.Security.Cryptography.ECDsa.Create);

    private static T Import<T>(byte[] subjectPublicKeyInfo, Func<T> create) where T : AsymmetricAlgorithm
    {
        var fast = TryImportWithLibcrypto(subjectPublicKeyInfo);
        if (fast is T key)
        {
            return key;
        }
        fast?.Dispose(); // a key of the other kind: .NET's import refuses it below, as before
        var imported = create();
        try
        {
            imported.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
            return imported;
        }
        catch
        {
            imported.Dispose();
            throw;
        }
    }

    /// <summary>The certificate's RSA public key, or null if it has none, as <c>GetRSAPublicKey</c> gives it.</summary>
    public static RSA? RsaOf(X509Certificate2 certificate) =>
        certificate.PublicKey.Oid.Value == RsaOid && TryImportWithLibcrypto(certificate.PublicKey.ExportSubjectPublicKeyInfo()) is RSA fast
            ? fast : certificate.GetRSAPublicKey();

    /// <summary>The certificate's ECDSA public key, or null if it has none, as <c>GetECDsaPublicKey</c> gives it.</summary>
    public static ECDsa? ECDsaOf(X509Certificate2 certificate) =>
        certificate.PublicKey.Oid.Value == EcOid && TryImportWithLibcrypto(certificate.PublicKey.ExportSubjectPublicKeyInfo()) is ECDsa fast
            ? fast : certificate.GetECDsaPublicKey();

    /// <summary>
    /// The SubjectPublicKeyInfo DER of <paramref name="key"/>, as its <c>ExportSubjectPublicKeyInfo</c> gives it: for an
    /// <see cref="RSAOpenSsl"/>, from the modulus and exponent read from its EVP_PKEY; every other key by .NET.
    /// </summary>
    /// <remarks>
    /// .NET exports an RSA key through <c>i2d_PUBKEY</c>, which on OpenSSL 3.0 searches every provider's encoders:
    /// 140-190 us for an RSA-2048 key, where reading the two numbers takes a few microseconds. EC keys stay with .NET
    /// (~9 us for P-256): .NET's EC keys are OpenSSL's legacy EC_KEYs, whose parameters give the point only in the
    /// compressed form. <c>RSA.Create()</c> returns a wrapper that keeps its EVP_PKEY out of reach: .NET exports those.
    /// </remarks>
    public static byte[] Export(AsymmetricAlgorithm key) => TryExportWithLibcrypto(key) ?? key.ExportSubjectPublicKeyInfo();

    /// <summary>The SubjectPublicKeyInfo read by libcrypto, or null where that does not apply or fails (for tests too).</summary>
    internal static byte[]? TryExportWithLibcrypto(AsymmetricAlgorithm key)
    {
        if (!ExportFunctions.Available || !OperatingSystem.IsLinux() || !BitConverter.IsLittleEndian)
        {
            return null;
        }
        try
        {
            if (key is not RSAOpenSsl rsa)
            {
                return null;
            }
            using var handle = rsa.DuplicateKeyHandle();
            return handle.IsInvalid ? null : ExportRsa(handle);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    [SupportedOSPlatform("linux")]
    private static byte[]? ExportRsa(SafeEvpPKeyHandle handle)
    {
        // OSSL_PARAM_UNSIGNED_INTEGER comes in the machine's byte order (little-endian here), at most the buffer's size.
        Span<byte> n = stackalloc byte[2048];
        Span<byte> e = stackalloc byte[64];
        n.Clear();
        e.Clear();
        fixed (byte* np = n, ep = e, nName = "n\0"u8, eName = "e\0"u8, rsa = "RSA\0"u8)
        {
            if (ExportFunctions.IsA(handle.DangerousGetHandle(), rsa) != 1)
            {
                return null; // e.g. an RSA-PSS key: .NET decides how to write it
            }
            Span<Param> list =
            [
                new Param { Key = nName, DataType = UnsignedInteger, Data = np, DataSize = (nuint)n.Length, ReturnSize = Unmodified },
                new Param { Key = eName, DataType = UnsignedInteger, Data = ep, DataSize = (nuint)e.Length, ReturnSize = Unmodified },
                default,
            ];
            fixed (Param* p = list)
            {
                if (ExportFunctions.GetParams(handle.DangerousGetHandle(), p) != 1
                    || list[0].ReturnSize is 0 || list[0].ReturnSize > (nuint)n.Length
                    || list[1].ReturnSize is 0 || list[1].ReturnSize > (nuint)e.Length)
                {
                    return null;
                }
            }
        }
        n.Reverse();
        e.Reverse();
        var modulus = n.TrimStart((byte)0);
        var exponent = e.TrimStart((byte)0);
        if (modulus.IsEmpty || exponent.IsEmpty)
        {
            return null;
        }
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(RsaOid);
                writer.WriteNull();
            }
            var key = new AsnWriter(AsnEncodingRules.DER);
            using (key.PushSequence())
            {
                key.WriteIntegerUnsigned(modulus);
                key.WriteIntegerUnsigned(exponent);
            }
            writer.WriteBitString(key.Encode());
        }
        return writer.Encode();
    }

    /// <summary>The key made by libcrypto, or null where the fast path does not apply or fails (for tests too).</summary>
    internal static AsymmetricAlgorithm? TryImportWithLibcrypto(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        if (!Functions.Available || !OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            if (!TryRead(subjectPublicKeyInfo, out string algorithm, out var parameters, out var key))
            {
                return null;
            }
            return algorithm switch
            {
                RsaOid => MakeRsa(parameters, key),
                EcOid => MakeEc(parameters, key),
                _ => null,
            };
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }, nothing after it.</summary>
    private static bool TryRead(ReadOnlySpan<byte> spki, out string algorithm, out ReadOnlySpan<byte> parameters, out ReadOnlySpan<byte> key)
    {
        algorithm = "";
        parameters = key = default;
        AsnDecoder.ReadSequence(spki, AsnEncodingRules.DER, out int offset, out int length, out int consumed);
        if (consumed != spki.Length)
        {
            return false;
        }
        var content = spki.Slice(offset, length);
        AsnDecoder.ReadSequence(content, AsnEncodingRules.DER, out int algOffset, out int algLength, out int algConsumed);
        var algorithmIdentifier = content.Slice(algOffset, algLength);
        algorithm = AsnDecoder.ReadObjectIdentifier(algorithmIdentifier, AsnEncodingRules.DER, out int oidConsumed);
        parameters = algorithmIdentifier[oidConsumed..];
        var rest = content[algConsumed..];
        if (!AsnDecoder.TryReadPrimitiveBitString(rest, AsnEncodingRules.DER, out int unusedBits, out key, out int bitsConsumed)
            || unusedBits != 0 || bitsConsumed != rest.Length)
        {
            return false;
        }
        return true;
    }

    [SupportedOSPlatform("linux")]
    private static RSAOpenSsl? MakeRsa(ReadOnlySpan<byte> parameters, ReadOnlySpan<byte> rsaPublicKey)
    {
        // RFC 3279, section 2.3.1: NULL parameters; RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }.
        if (!parameters.SequenceEqual((ReadOnlySpan<byte>)[0x05, 0x00]) || !BitConverter.IsLittleEndian)
        {
            return null;
        }
        AsnDecoder.ReadSequence(rsaPublicKey, AsnEncodingRules.DER, out int offset, out int length, out int consumed);
        if (consumed != rsaPublicKey.Length)
        {
            return null;
        }
        var content = rsaPublicKey.Slice(offset, length);
        var modulus = AsnDecoder.ReadIntegerBytes(content, AsnEncodingRules.DER, out int modulusConsumed);
        var exponent = AsnDecoder.ReadIntegerBytes(content[modulusConsumed..], AsnEncodingRules.DER, out int exponentConsumed);
        if (modulusConsumed + exponentConsumed != content.Length || !Positive(ref modulus) || !Positive(ref exponent))
        {
            return null;
        }
        // OSSL_PARAM_UNSIGNED_INTEGER is in the machine's byte order: little-endian here.
        Span<byte> n = modulus.Length <= 1024 ? stackalloc byte[modulus.Length] : new byte[modulus.Length];
        Span<byte> e = exponent.Length <= 64 ? stackalloc byte[exponent.Length] : new byte[exponent.Length];
        modulus.CopyTo(n);
        n.Reverse();
        exponent.CopyTo(e);
        e.Reverse();
        fixed (byte* np = n, ep = e, nName = "n\0"u8, eName = "e\0"u8, rsa = "RSA\0"u8)
        {
            Span<Param> list =
            [
                new Param { Key = nName, DataType = UnsignedInteger, Data = np, DataSize = (nuint)n.Length, ReturnSize = Unmodified },
                new Param { Key = eName, DataType = UnsignedInteger, Data = ep, DataSize = (nuint)e.Length, ReturnSize = Unmodified },
                default,
            ];
            using var pkey = FromData(rsa, list, PublicKeySelection);
            return pkey is null ? null : new RSAOpenSsl(pkey);
        }
    }

    [SupportedOSPlatform("linux")]
    private static ECDsaOpenSsl? MakeEc(ReadOnlySpan<byte> parameters, ReadOnlySpan<byte> point)
    {
        string curveOid = AsnDecoder.ReadObjectIdentifier(parameters, AsnEncodingRules.DER, out int consumed);
        int curve = Array.IndexOf(CurveOids, curveOid);
        // Named curve only, uncompressed point (0x04 || X || Y) of the curve's length.
        if (curve < 0 || consumed != parameters.Length || point.Length != 1 + 2 * CurveFieldBytes[curve] || point[0] != 0x04)
        {
            return null;
        }
        IntPtr template = CurveTemplate(curve);
        if (template == IntPtr.Zero)
        {
            return null;
        }
        // A copy of the curve's parameters-only key, then the point: EVP_PKEY_set1_encoded_public_key refuses a point
        // that is not on the curve. ~4 us; EVP_PKEY_fromdata with the curve's name makes the group anew (~15 us).
        using var pkey = new SafeEvpPKeyHandle(Functions.Duplicate(template), ownsHandle: true);
        if (pkey.IsInvalid)
        {
            return null;
        }
        fixed (byte* p = point)
        {
            if (Functions.SetEncodedPublicKey(pkey.DangerousGetHandle(), p, (nuint)point.Length) != 1)
            {
                return null;
            }
        }
        return new ECDsaOpenSsl(pkey);
    }

    private static readonly string[] CurveOids = ["1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.132.0.35"];
    private static readonly int[] CurveFieldBytes = [32, 48, 66];
    private static readonly IntPtr[] CurveTemplates = new IntPtr[3];

    /// <summary>A key with only the curve's parameters, made once per curve and kept for the process.</summary>
    [SupportedOSPlatform("linux")]
    private static IntPtr CurveTemplate(int curve)
    {
        IntPtr template = Volatile.Read(ref CurveTemplates[curve]);
        if (template != IntPtr.Zero)
        {
            return template;
        }
        ReadOnlySpan<byte> name = curve switch
        {
            0 => "prime256v1\0"u8,
            1 => "secp384r1\0"u8,
            _ => "secp521r1\0"u8,
        };
        fixed (byte* g = name, groupName = "group\0"u8, ec = "EC\0"u8)
        {
            Span<Param> list =
            [
                new Param { Key = groupName, DataType = Utf8String, Data = g, DataSize = (nuint)(name.Length - 1), ReturnSize = Unmodified },
                default,
            ];
            var made = FromData(ec, list, ParametersSelection);
            if (made is null)
            {
                return IntPtr.Zero;
            }
            // Kept for the process: released from the SafeHandle, which would free it.
            template = made.DangerousGetHandle();
            made.SetHandleAsInvalid();
            IntPtr earlier = Interlocked.CompareExchange(ref CurveTemplates[curve], template, IntPtr.Zero);
            if (earlier != IntPtr.Zero)
            {
                Functions.Free(template); // another thread made one first
                return earlier;
            }
            return template;
        }
    }

    private static bool Positive(ref ReadOnlySpan<byte> integer)
    {
        if (integer[0] >= 0x80)
        {
            return false;
        }
        if (integer[0] == 0)
        {
            integer = integer[1..]; // DER's sign byte (minimal encoding, so the next byte is >= 0x80)
        }
        return !integer.IsEmpty;
    }

    /// <summary>EVP_PKEY_fromdata; null if libcrypto refuses the parameters.</summary>
    [SupportedOSPlatform("linux")]
    private static SafeEvpPKeyHandle? FromData(byte* keyType, Span<Param> parameters, int selection)
    {
        IntPtr context = Functions.NewContext(IntPtr.Zero, keyType, null);
        if (context == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            IntPtr pkey = IntPtr.Zero;
            fixed (Param* list = parameters)
            {
                if (Functions.FromDataInit(context) != 1 || Functions.FromData(context, &pkey, selection, list) != 1 || pkey == IntPtr.Zero)
                {
                    return null;
                }
            }
            return new SafeEvpPKeyHandle(pkey, ownsHandle: true);
        }
        finally
        {
            Functions.FreeContext(context);
        }
    }

    // OpenSSL 3: OSSL_PARAM's data types, OSSL_PARAM_UNMODIFIED, EVP_PKEY_KEY_PARAMETERS
    // (OSSL_KEYMGMT_SELECT_ALL_PARAMETERS) and EVP_PKEY_PUBLIC_KEY (the parameters and OSSL_KEYMGMT_SELECT_PUBLIC_KEY).
    private const uint UnsignedInteger = 2;
    private const uint Utf8String = 4;
    private const uint OctetString = 5;
    private static readonly nuint Unmodified = nuint.MaxValue;
    private const int ParametersSelection = 0x84;
    private const int PublicKeySelection = 0x86;

    /// <summary>OpenSSL 3's OSSL_PARAM.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Param
    {
        public byte* Key;
        public uint DataType;
        public byte* Data;
        public nuint DataSize;
        public nuint ReturnSize;
    }

    /// <summary>The libcrypto functions for reading an RSA key's parameters (OpenSSL 3), looked up once.</summary>
    private static class ExportFunctions
    {
        public static readonly delegate* unmanaged<IntPtr, byte*, int> IsA;
        public static readonly delegate* unmanaged<IntPtr, Param*, int> GetParams;
        public static readonly bool Available;

        static ExportFunctions()
        {
            if (Libcrypto.SharedWithDotNet
                && Libcrypto.TryGetExport("EVP_PKEY_is_a", out var isA)
                && Libcrypto.TryGetExport("EVP_PKEY_get_params", out var getParams))
            {
                IsA = (delegate* unmanaged<IntPtr, byte*, int>)isA;
                GetParams = (delegate* unmanaged<IntPtr, Param*, int>)getParams;
                Available = true;
            }
        }
    }

    /// <summary>The libcrypto functions used here (OpenSSL 3), looked up once.</summary>
    private static class Functions
    {
        public static readonly delegate* unmanaged<IntPtr, byte*, byte*, IntPtr> NewContext;
        public static readonly delegate* unmanaged<IntPtr, int> FromDataInit;
        public static readonly delegate* unmanaged<IntPtr, IntPtr*, int, Param*, int> FromData;
        public static readonly delegate* unmanaged<IntPtr, void> FreeContext;
        public static readonly delegate* unmanaged<IntPtr, IntPtr> Duplicate;
        public static readonly delegate* unmanaged<IntPtr, byte*, nuint, int> SetEncodedPublicKey;
        public static readonly delegate* unmanaged<IntPtr, void> Free;
        public static readonly bool Available;

        static Functions()
        {
            if (Libcrypto.SharedWithDotNet
                && Libcrypto.TryGetExport("EVP_PKEY_CTX_new_from_name", out var newContext)
                && Libcrypto.TryGetExport("EVP_PKEY_fromdata_init", out var fromDataInit)
                && Libcrypto.TryGetExport("EVP_PKEY_fromdata", out var fromData)
                && Libcrypto.TryGetExport("EVP_PKEY_CTX_free", out var freeContext)
                && Libcrypto.TryGetExport("EVP_PKEY_dup", out var duplicate)
                && Libcrypto.TryGetExport("EVP_PKEY_set1_encoded_public_key", out var setEncodedPublicKey)
                && Libcrypto.TryGetExport("EVP_PKEY_free", out var free))
            {
                NewContext = (delegate* unmanaged<IntPtr, byte*, byte*, IntPtr>)newContext;
                FromDataInit = (delegate* unmanaged<IntPtr, int>)fromDataInit;
                FromData = (delegate* unmanaged<IntPtr, IntPtr*, int, Param*, int>)fromData;
                FreeContext = (delegate* unmanaged<IntPtr, void>)freeContext;
                Duplicate = (delegate* unmanaged<IntPtr, IntPtr>)duplicate;
                SetEncodedPublicKey = (delegate* unmanaged<IntPtr, byte*, nuint, int>)setEncodedPublicKey;
                Free = (delegate* unmanaged<IntPtr, void>)free;
                Available = true;
            }
        }
    }
}
