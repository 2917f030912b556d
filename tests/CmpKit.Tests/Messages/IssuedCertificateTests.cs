using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Tests.Messages;

/// <summary>
/// The newly issued certificate as the client checks and confirms it, before (and without) .NET's parse:
/// what it reports must be what <see cref="X509Certificate2"/> reports for the same bytes.
/// </summary>
public class IssuedCertificateTests
{
    private static X509Certificate2 Issue(string subject, byte[] serial, AsymmetricAlgorithm key, X509SignatureGenerator? generator = null)
    {
        using var issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA384, RSASignaturePadding.Pss),
            _ => throw new ArgumentException("unexpected key", nameof(key)),
        };
        return request.Create(new X500DistinguishedName("CN=Issuing CA, O=Example, C=DE"), generator ?? X509SignatureGenerator.CreateForECDsa(issuerKey),
            DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), serial);
    }

    [Theory]
    [InlineData("CN=device 1, OU=Fabrik Ü, O=Example, C=DE", new byte[] { 0x01 })]
    [InlineData("CN=a+SERIALNUMBER=42, O=\"Comma, Inc.\"", new byte[] { 0x00, 0x80, 0x11, 0x22 })]
    [InlineData("E=ops@example.com, CN=router", new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    public void Subject_issuer_and_serial_read_as_dotnet_reads_them(string subject, byte[] serial)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dotnet = Issue(subject, serial, key);
        var issued = IssuedCertificate.FromDer(dotnet.RawData);
        Assert.Equal(dotnet.Subject, issued.Subject);
        Assert.Equal(dotnet.Issuer, issued.Issuer);
        Assert.Equal(dotnet.SerialNumber, issued.SerialNumber);
    }

    [Fact]
    public void The_public_key_check_tells_the_certified_key_from_another()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        using var dotnet = Issue("CN=key check", [0x05], key);
        var issued = IssuedCertificate.FromDer(dotnet.RawData);
        Assert.True(issued.HasPublicKey(key.ExportSubjectPublicKeyInfo()));
        Assert.False(issued.HasPublicKey(other.ExportSubjectPublicKeyInfo()));
        Assert.False(issued.HasPublicKey(rsa.ExportSubjectPublicKeyInfo()));

        using var rsaCert = Issue("CN=rsa key check", [0x06], rsa);
        Assert.True(IssuedCertificate.FromDer(rsaCert.RawData).HasPublicKey(rsa.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void The_certHash_algorithm_is_the_same_from_the_structure_as_from_the_parsed_certificate()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = RSA.Create(2048);
        using var ecSigned = Issue("CN=ecdsa-with-SHA256", [0x07], ec);
        using var pssSigned = Issue("CN=RSASSA-PSS with SHA-384", [0x08], rsa, X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pss));
        Assert.Equal("1.2.840.113549.1.1.10", pssSigned.SignatureAlgorithm.Value);
        foreach (var (cert, expected) in new[] { (ecSigned, HashAlgorithmName.SHA256), (pssSigned, HashAlgorithmName.SHA384) })
        {
            var structure = IssuedCertificate.FromDer(cert.RawData).Structure;
            Assert.Equal(expected, SignatureAlgorithms.CertificateHash(structure.SignatureAlgorithm));
            Assert.Equal(SignatureAlgorithms.CertificateHash(cert), SignatureAlgorithms.CertificateHash(structure.SignatureAlgorithm));
        }
        // EdDSA defines no hash of its own: certConf then names one (CMPv3 hashAlg).
        Assert.Null(SignatureAlgorithms.CertificateHash(new AlgorithmIdentifier(new DerObjectIdentifier("1.3.101.112"))));
    }

    [Fact]
    public void Parsed_only_when_asked_once_and_a_refusal_is_a_clear_malformed_response()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var dotnet = Issue("CN=parse on demand", [0x09], key);
        var issued = IssuedCertificate.FromDer(dotnet.RawData);
        Assert.Same(issued.Parsed, issued.Parsed);
        Assert.Equal(dotnet.RawData, issued.Parsed.RawData);

        // The structure decoded, but the bytes handed to .NET are not a certificate.
        var broken = new IssuedCertificate(issued.Structure, [0x30, 0x03, 0x02, 0x01, 0x01]);
        Assert.True(broken.HasPublicKey(key.ExportSubjectPublicKeyInfo()));
        var e = Assert.Throws<CmpException>(() => broken.Parsed);
        Assert.Equal(CmpFailureReason.MalformedResponse, e.Reason);
        Assert.StartsWith("the new certificate cannot be decoded by .NET: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_compact_copy_keeps_the_bytes_decodes_the_structure_again_and_shares_what_was_parsed()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = Issue("CN=kept, O=Example", [0x2A], key).RawData;
        var full = IssuedCertificate.FromDer(der);
        var compact = full.Compact();
        Assert.Same(full.Der, compact.Der);
        Assert.NotSame(full.Structure, compact.Structure);
        Assert.Equal(full.Structure.GetEncoded(Asn1Encodable.Der), compact.Structure.GetEncoded(Asn1Encodable.Der));
        Assert.Equal(full.Subject, compact.Subject);
        Assert.Equal(full.SerialNumber, compact.SerialNumber);
        Assert.Equal(der, compact.Parsed.RawData); // not parsed before: made from the DER

        var parsed = full.Parsed;
        Assert.Same(parsed, full.Compact().Parsed); // parsed before: shared
    }

    [Fact]
    public void A_compact_copy_does_not_keep_the_full_one_alive()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = Issue("CN=kept", [0x07], key).RawData;
        var (compact, original) = CompactOf(der);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(original.IsAlive, "the compact copy still references the full certificate (and its decoded structure)");
        Assert.Equal("CN=kept", compact.Parsed.Subject);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (IssuedCertificate Compact, WeakReference Original) CompactOf(byte[] der)
    {
        var full = IssuedCertificate.FromDer(der);
        _ = full.Structure.Subject;
        return (full.Compact(), new WeakReference(full));
    }
}
