using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Tests.Support;
using CmpKit.Tests.Validation;

namespace CmpKit.Tests.Messages;

/// <summary>Runs alone: the cache is process-wide, and enrollments in other tests fill it (and make it start over).</summary>
[CollectionDefinition(nameof(ProcessWideCertificateCache), DisableParallelization = true)]
public sealed class ProcessWideCertificateCache;

[Collection(nameof(ProcessWideCertificateCache))]
public class ParsedCertificateCacheTests
{
    private static byte[] NewCertificateDer(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = new CertificateRequest(subject, key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        return cert.RawData;
    }

    [Fact]
    public void Each_caller_gets_its_own_instance_and_disposing_it_leaves_the_next_intact()
    {
        var der = NewCertificateDer("CN=parsed once");
        var first = ParsedCertificateCache.Load(der);
        var second = ParsedCertificateCache.Load((byte[])der.Clone());
        Assert.NotSame(first, second);
        Assert.Equal(der, second.RawData);
        first.Dispose();
        second.Dispose();
        using var third = ParsedCertificateCache.Load(der);
        Assert.Equal("CN=parsed once", third.Subject);
        using var key = third.GetECDsaPublicKey();
        Assert.NotNull(key);
    }

    [Fact]
    public void A_different_encoding_is_a_different_certificate()
    {
        var a = NewCertificateDer("CN=a");
        var b = NewCertificateDer("CN=b");
        using var ca = ParsedCertificateCache.Load(a);
        using var cb = ParsedCertificateCache.Load(b);
        Assert.Equal("CN=a", ca.Subject);
        Assert.Equal("CN=b", cb.Subject);
        // Same length, one byte changed inside the signature: still parsed as its own certificate.
        var changed = (byte[])a.Clone();
        changed[^1] ^= 0x01;
        using var cc = ParsedCertificateCache.Load(changed);
        Assert.Equal(changed, cc.RawData);
        Assert.NotEqual(ca.RawData, cc.RawData);
    }

    [Fact]
    public void Bytes_that_are_no_certificate_fail_each_time()
    {
        var garbage = new byte[] { 0x30, 0x03, 0x02, 0x01, 0x01 };
        Assert.ThrowsAny<CryptographicException>(() => ParsedCertificateCache.Load(garbage));
        Assert.ThrowsAny<CryptographicException>(() => ParsedCertificateCache.Load(garbage));
    }

    [Fact]
    public void A_copy_outlives_the_cache_starting_over()
    {
        var ders = Enumerable.Range(0, ParsedCertificateCache.MaxEntries + 10).Select(i => NewCertificateDer("CN=n" + i)).ToList();
        using var held = ParsedCertificateCache.Load(ders[0]);
        for (int i = 1; i < ders.Count; i++)
        {
            using var c = ParsedCertificateCache.Load(ders[i]);
            Assert.Equal("CN=n" + i, c.Subject);
        }
        // The cache was full and started over (dropping what it held); the copy still works.
        Assert.Equal("CN=n0", held.Subject);
        using (var key = held.GetECDsaPublicKey())
        {
            Assert.NotNull(key);
        }
        using var again = ParsedCertificateCache.Load(ders[0]);
        Assert.Equal(held.RawData, again.RawData);
    }

    [Fact]
    public async Task A_newly_issued_certificate_is_not_remembered_but_the_ca_certificates_of_a_response_are()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var result = await ResponseCheckTests.Client(server).InitialEnrollAsync(ResponseCheckTests.Template(), TestContext.Current.CancellationToken);
        Assert.False(ParsedCertificateCache.Contains(result.Certificate.RawData)); // each is new: remembering would only push out the others
        Assert.True(ParsedCertificateCache.Contains(server.Signer.Certificate.RawData)); // the server's certificate from extraCerts
    }
}
