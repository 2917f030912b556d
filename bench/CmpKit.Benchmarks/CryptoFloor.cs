using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Bench;
using CmpKit.Messages;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;

namespace CmpKit.Benchmarks;

/// <summary>
/// The cryptographic operations of a transaction done directly with .NET (no ASN.1, no CMP), on the bytes
/// a real transaction of the same <see cref="Scenario"/> signed, MACed and verified, with the same keys:
/// the "floor" each CmpKit benchmark is compared with. Public keys are taken out of their certificates once
/// in the constructor; every signature a floor verifies is valid.
/// </summary>
internal sealed class CryptoFloor
{
    private readonly HashAlgorithmName _hash = HashAlgorithmName.SHA256;
    private readonly byte[] _salt = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _knownKey = RandomNumberGenerator.GetBytes(32);

    public CryptoFloor(Scenario scenario, IReadOnlyList<byte[]> transaction)
    {
        var pki = scenario.Pki;
        NewKey = pki.NewKey;
        ClientKey = pki.Client.Key;
        ServerKey = pki.Server.Key;
        CaKey = pki.Root.Key;
        NewPublic = PublicOf(pki.NewKey);
        ClientPublic = PublicKeyOf(pki.Client.Certificate);
        ServerPublic = PublicKeyOf(pki.Server.Certificate);
        RootPublic = PublicKeyOf(pki.Root.Certificate);

        // The bytes the real transaction protected: ProtectedPart of ir, ip, certConf, pkiConf, and the POP input.
        var messages = transaction.Select(m => PkiMessageCodec.Decode(m)).ToArray();
        IrPart = MessageProtector.ProtectedPartBytes(messages[0].Header, messages[0].Body);
        IpPart = MessageProtector.ProtectedPartBytes(messages[1].Header, messages[1].Body);
        CertConfPart = MessageProtector.ProtectedPartBytes(messages[2].Header, messages[2].Body);
        PkiConfPart = MessageProtector.ProtectedPartBytes(messages[3].Header, messages[3].Body);
        PopInput = CertReqMessages.GetInstance(messages[0].Body.Content).ToCertReqMsgArray()[0].CertReq.GetEncoded(Asn1Encodable.Der);
        var newCertificate = Certificates.ToDotNet(CertRepMessage.GetInstance(messages[1].Body.Content).GetResponse()[0]
            .CertifiedKeyPair.CertOrEncCert.Certificate)!;
        NewCertificate = newCertificate.RawData;
        (NewCertTbs, NewCertSignature) = BenchPki.SignedParts(newCertificate);
        (ServerCertTbs, ServerCertSignature) = BenchPki.SignedParts(pki.Server.Certificate);
        (ClientCertTbs, ClientCertSignature) = BenchPki.SignedParts(pki.Client.Certificate);
        PopSignature = Sign(NewKey, PopInput);
        IrSignature = Sign(ClientKey, IrPart);
        IpSignature = Sign(ServerKey, IpPart);
        CertConfSignature = Sign(ClientKey, CertConfPart);
        PkiConfSignature = Sign(ServerKey, PkiConfPart);
        if (!VerifyPop() || !VerifyServerCertificate() || !VerifyClientCertificate() || !VerifyNewCertificate())
        {
            throw new InvalidOperationException("the floor's certificate signatures do not verify");
        }
    }

    public AsymmetricAlgorithm NewKey { get; }
    public AsymmetricAlgorithm ClientKey { get; }
    public AsymmetricAlgorithm ServerKey { get; }
    public AsymmetricAlgorithm CaKey { get; }
    public AsymmetricAlgorithm NewPublic { get; }
    public AsymmetricAlgorithm ClientPublic { get; }
    public AsymmetricAlgorithm ServerPublic { get; }
    public AsymmetricAlgorithm RootPublic { get; }

    public byte[] IrPart { get; }
    public byte[] IpPart { get; }
    public byte[] CertConfPart { get; }
    public byte[] PkiConfPart { get; }
    public byte[] PopInput { get; }
    public byte[] NewCertificate { get; }
    public byte[] NewCertTbs { get; }
    public byte[] NewCertSignature { get; }
    public byte[] ServerCertTbs { get; }
    public byte[] ServerCertSignature { get; }
    public byte[] ClientCertTbs { get; }
    public byte[] ClientCertSignature { get; }
    public byte[] PopSignature { get; }
    public byte[] IrSignature { get; }
    public byte[] IpSignature { get; }
    public byte[] CertConfSignature { get; }
    public byte[] PkiConfSignature { get; }

    // --- the operations ---------------------------------------------------------------------------

    /// <summary>One signature with SHA-256 (ECDSA as DER, RSA PKCS#1 v1.5), as SignatureAlgorithms.Sign makes it.</summary>
    public byte[] Sign(AsymmetricAlgorithm key, byte[] data) => key switch
    {
        ECDsa ec => ec.SignData(data, _hash, DSASignatureFormat.Rfc3279DerSequence),
        RSA rsa => rsa.SignData(data, _hash, RSASignaturePadding.Pkcs1),
        _ => throw new NotSupportedException(),
    };

    /// <summary>One verification with a public key object made beforehand.</summary>
    public bool Verify(AsymmetricAlgorithm publicKey, byte[] data, byte[] signature) => publicKey switch
    {
        ECDsa ec => ec.VerifyData(data, signature, _hash, DSASignatureFormat.Rfc3279DerSequence),
        RSA rsa => rsa.VerifyData(data, signature, _hash, RSASignaturePadding.Pkcs1),
        _ => throw new NotSupportedException(),
    };

    /// <summary>
    /// One PasswordBasedMac (RFC 4211, section 4.4) with the parameters CmpClient and CmpServer use: the base
    /// key is SHA-256 applied 500 times to secret || salt, then HMAC-SHA256 over <paramref name="data"/>.
    /// </summary>
    /// <remarks>
    /// The iterations as cheaply as this machine does them: libcrypto's SHA256_Init/Update/Final where they are
    /// found (what PbmBaseKey uses on Linux, ~5x cheaper per iteration than .NET's digest API), else one .NET
    /// digest context for all iterations.
    /// </remarks>
    public byte[] Pbm(byte[] data)
    {
        Span<byte> key = stackalloc byte[32];
        if (!PbmBaseKey.TryDeriveSha256(Scenario.Secret, _salt, 500, key))
        {
            PbmBaseKey.DeriveWithDotNet(Scenario.Secret, _salt, HashAlgorithmName.SHA256, 500).CopyTo(key);
        }
        return HMACSHA256.HashData(key, data);
    }

    /// <summary>
    /// The MAC of a PasswordBasedMac whose base key was derived before (a response protected with its request's
    /// salt: both sides derived the key for the request already): one HMAC-SHA256 with the key.
    /// </summary>
    public byte[] PbmWithKnownKey(byte[] data) => HMACSHA256.HashData(_knownKey, data);

    /// <summary>certHash of certConf: SHA-256 over the certificate (client and server each compute it once).</summary>
    public byte[] CertHash() => SHA256.HashData(NewCertificate);

    /// <summary>The root's signature on the server certificate (the client's chain check, C20).</summary>
    public bool VerifyServerCertificate() => Verify(RootPublic, ServerCertTbs, ServerCertSignature);

    /// <summary>The root's signature on the client certificate (the server's chain check of a signed request).</summary>
    public bool VerifyClientCertificate() => Verify(RootPublic, ClientCertTbs, ClientCertSignature);

    /// <summary>The root's signature on the new certificate (CmpClient builds its chain for the result).</summary>
    public bool VerifyNewCertificate() => Verify(RootPublic, NewCertTbs, NewCertSignature);

    /// <summary>The POP signature by the new key (the server checks it).</summary>
    public bool VerifyPop() => Verify(NewPublic, PopInput, PopSignature);

    /// <summary>The CA signs the new certificate (MockCertificateAuthority.IssueEncoded).</summary>
    public byte[] IssueCertificate() => Sign(CaKey, NewCertTbs);

    private static AsymmetricAlgorithm PublicOf(AsymmetricAlgorithm key)
    {
        var spki = key.ExportSubjectPublicKeyInfo();
        AsymmetricAlgorithm pub = key is RSA ? RSA.Create() : ECDsa.Create();
        pub.ImportSubjectPublicKeyInfo(spki, out _);
        return pub;
    }

    private static AsymmetricAlgorithm PublicKeyOf(X509Certificate2 certificate) =>
        (AsymmetricAlgorithm?)certificate.GetECDsaPublicKey() ?? certificate.GetRSAPublicKey()
            ?? throw new NotSupportedException("neither EC nor RSA");
}
