using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Server;
using CmpKit.Transport;

namespace CmpKit.Tests.Server;

/// <summary>
/// <see cref="MockCertificateAuthority"/> assembles and signs certificates itself: what it issues must be a
/// certificate .NET accepts, valid under the CA, with the extensions and validity the class promises.
/// </summary>
public class MockCertificateAuthorityTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static MockCertificateAuthority Ca(string kind, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        AsymmetricAlgorithm key = kind == "RSA" ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA rsa
            ? new CertificateRequest($"CN={kind} Mock CA", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest($"CN={kind} Mock CA", (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var withKey = request.CreateSelfSigned(notBefore ?? Now.AddDays(-1), notAfter ?? Now.AddYears(1));
        return new MockCertificateAuthority(X509CertificateLoader.LoadCertificate(withKey.RawData), key);
    }

    private static CertificateIssuanceRequest Request(AsymmetricAlgorithm key, IReadOnlyList<X509Extension>? extensions = null,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null) =>
        new(new X500DistinguishedName("CN=device 7, O=CmpKit"), key.ExportSubjectPublicKeyInfo(), extensions ?? [],
            notBefore ?? Now.AddMinutes(-5), notAfter ?? Now.AddDays(30));

    private static X509Extension Extension(X509Certificate2 certificate, string oid) =>
        Assert.Single(certificate.Extensions.Cast<X509Extension>(), e => e.Oid!.Value == oid);

    public static TheoryData<string> CaKinds => ["EC", "RSA"];

    [Theory]
    [MemberData(nameof(CaKinds))]
    public void Issued_certificate_is_valid_under_the_CA_with_the_promised_extensions(string caKind)
    {
        var ca = Ca(caKind);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("device7.example");
        var otherSan = new SubjectAlternativeNameBuilder();
        otherSan.AddDnsName("second.example");
        var eku = new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false);
        var notCopied = new X509Extension("1.3.6.1.4.1.99999.1", [0x05, 0x00], false);

        using var certificate = X509CertificateLoader.LoadCertificate(ca.IssueEncoded(Request(key, [san.Build(true), otherSan.Build(), eku, notCopied])));

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca.Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(caKind == "RSA" ? "1.2.840.113549.1.1.11" : "1.2.840.10045.4.3.2", certificate.SignatureAlgorithm.Value);
        Assert.Equal(3, certificate.Version);
        Assert.Equal(new X500DistinguishedName("CN=device 7, O=CmpKit").RawData, certificate.SubjectName.RawData);
        Assert.Equal(ca.Certificate.SubjectName.RawData, certificate.IssuerName.RawData);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());

        var serial = certificate.SerialNumberBytes.Span;
        Assert.Equal(16, serial.Length);
        Assert.Equal(0x40, serial[0] & 0xC0); // positive, and no padding byte

        var basic = Assert.IsType<X509BasicConstraintsExtension>(Extension(certificate, "2.5.29.19"));
        Assert.True(basic.Critical);
        Assert.False(basic.CertificateAuthority);
        var ski = Assert.IsType<X509SubjectKeyIdentifierExtension>(Extension(certificate, "2.5.29.14"));
        Assert.Equal(new X509SubjectKeyIdentifierExtension(certificate.PublicKey, false).SubjectKeyIdentifier, ski.SubjectKeyIdentifier);
        var aki = Assert.IsType<X509AuthorityKeyIdentifierExtension>(Extension(certificate, "2.5.29.35"));
        Assert.Equal(ca.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.ToArray(),
            aki.KeyIdentifier!.Value.ToArray());
        Assert.Null(aki.SerialNumber);

        // Requested extensions it copies, the first of each kind, with their criticality; others are left out.
        var copiedSan = Assert.IsType<X509SubjectAlternativeNameExtension>(Extension(certificate, "2.5.29.17"));
        Assert.True(copiedSan.Critical);
        Assert.Equal(["device7.example"], copiedSan.EnumerateDnsNames());
        Assert.Equal(eku.RawData, Extension(certificate, "2.5.29.37").RawData);
        Assert.DoesNotContain(certificate.Extensions.Cast<X509Extension>(), e => e.Oid!.Value == "1.3.6.1.4.1.99999.1");
        Assert.Equal(["2.5.29.19", "2.5.29.17", "2.5.29.37", "2.5.29.14", "2.5.29.35"],
            certificate.Extensions.Cast<X509Extension>().Select(e => e.Oid!.Value));
    }

    [Theory]
    [MemberData(nameof(CaKinds))]
    public void The_assembled_der_is_the_encoding_of_the_structure_the_server_is_given(string caKind)
    {
        var ca = Ca(caKind);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = ca.IssueCertificate(Request(key));
        // The DER assembled from the signed TBSCertificate is BouncyCastle's DER of the structure, and decodes to it.
        Assert.Equal(issued.Structure.GetEncoded(Org.BouncyCastle.Asn1.Asn1Encodable.Der), issued.Der);
        Assert.Equal(issued.Der, CmpKit.Messages.IssuedCertificate.FromDer(issued.Der).Structure.GetEncoded(Org.BouncyCastle.Asn1.Asn1Encodable.Der));
        using var parsed = X509CertificateLoader.LoadCertificate(issued.Der);
        Assert.Equal(issued.SerialNumber, parsed.SerialNumber);
        using var chain = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck } };
        chain.ChainPolicy.CustomTrustStore.Add(ca.Certificate);
        Assert.True(chain.Build(parsed), string.Join("; ", chain.ChainStatus.Select(x => x.StatusInformation)));
    }

    [Fact]
    public void Issued_certificates_get_fresh_serial_numbers_and_Issue_gives_the_same_kind_of_certificate()
    {
        var ca = MockCertificateAuthority.CreateEphemeral();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = Request(key);

        using var first = ca.Issue(request);
        using var second = X509CertificateLoader.LoadCertificate(ca.IssueEncoded(request));

        Assert.NotEqual(first.SerialNumber, second.SerialNumber);
        Assert.Equal(first.SubjectName.RawData, second.SubjectName.RawData);
        Assert.Equal(first.Extensions.Count, second.Extensions.Count);
        Assert.False(first.HasPrivateKey);
    }

    [Fact]
    public void Validity_is_the_requested_one_to_the_second_and_never_beyond_the_CA()
    {
        var ca = Ca("EC", Now.AddYears(-1), new DateTimeOffset(2060, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var from = new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2));
        var to = new DateTimeOffset(2031, 6, 7, 8, 9, 10, TimeSpan.Zero);

        using var inside = X509CertificateLoader.LoadCertificate(ca.IssueEncoded(Request(key, notBefore: from, notAfter: to)));
        using var beyond = X509CertificateLoader.LoadCertificate(ca.IssueEncoded(Request(key, notBefore: Now.AddYears(-20), notAfter: Now.AddYears(50))));

        Assert.Equal(new DateTime(2030, 1, 2, 1, 4, 5, DateTimeKind.Utc), inside.NotBefore.ToUniversalTime());
        Assert.Equal(new DateTime(2031, 6, 7, 8, 9, 10, DateTimeKind.Utc), inside.NotAfter.ToUniversalTime());
        Assert.Equal(ca.Certificate.NotBefore, beyond.NotBefore);
        Assert.Equal(ca.Certificate.NotAfter, beyond.NotAfter);
        // From 2050 on, RFC 5280 (section 4.1.2.5) wants GeneralizedTime instead of UTCTime.
        Assert.Equal([UniversalTagNumber.UtcTime, UniversalTagNumber.GeneralizedTime], ValidityTags(beyond.RawData));
    }

    [Fact]
    public void Empty_validity_and_unreadable_keys_are_refused_with_the_reason()
    {
        var ca = MockCertificateAuthority.CreateEphemeral();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var empty = Assert.Throws<CmpException>(() => ca.IssueEncoded(Request(key, notBefore: Now, notAfter: Now.AddSeconds(-1))));
        var garbage = Assert.Throws<CmpException>(() => ca.IssueEncoded(new CertificateIssuanceRequest(
            new X500DistinguishedName("CN=x"), new byte[] { 0x30, 0x03, 0x02, 0x01, 0x01 }, [], Now, Now.AddDays(1))));

        Assert.Contains("validity", empty.Message);
        Assert.Equal(CmpFailureReason.InvalidOptions, garbage.Reason);
        Assert.StartsWith("the public key to certify cannot be read", garbage.Message);
    }

    [Fact]
    public async Task A_CA_that_implements_only_Issue_serves_the_server_through_the_default_IssueEncoded()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var inner = MockCertificateAuthority.CreateEphemeral();
        var ca = new IssueOnlyCa(inner);
        var server = new CmpServer(new MockCaOptions { SrvSecret = "s3cret"u8.ToArray(), SrvRef = "ref"u8.ToArray() }, ca);
        var client = new CmpClient(new InProcessCmpTransport(server.HandleAsync),
            new CmpClientOptions { MacCredentials = new CmpMacCredentials("s3cret"u8.ToArray(), "ref"u8.ToArray()) });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var result = await client.InitialEnrollAsync(new CertificateRequestTemplate
        {
            NewKey = key,
            Subject = new X500DistinguishedName("CN=through Issue"),
        }, cts.Token);

        Assert.Equal(1, ca.Calls);
        Assert.Equal(new X500DistinguishedName("CN=through Issue").RawData, result.Certificate.SubjectName.RawData);
        var tx = server.FindTransaction(result.TransactionId.Span)!;
        Assert.Equal(CmpServerTransactionState.Confirmed, tx.State);
        Assert.Equal(result.CertificateRawData.ToArray(), tx.IssuedCertificate!.RawData);
    }

    private sealed class IssueOnlyCa(MockCertificateAuthority inner) : ICertificateAuthority
    {
        public int Calls { get; private set; }

        public X509Certificate2 Certificate => inner.Certificate;

        public X509Certificate2 Issue(CertificateIssuanceRequest request)
        {
            Calls++;
            return inner.Issue(request);
        }
    }

    private static UniversalTagNumber[] ValidityTags(byte[] certificate)
    {
        var tbs = new AsnReader(certificate, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        tbs.ReadEncodedValue(); // version
        tbs.ReadEncodedValue(); // serialNumber
        tbs.ReadEncodedValue(); // signature
        tbs.ReadEncodedValue(); // issuer
        var validity = tbs.ReadSequence();
        var tags = new UniversalTagNumber[2];
        for (var i = 0; i < 2; i++)
        {
            tags[i] = (UniversalTagNumber)validity.PeekTag().TagValue;
            validity.ReadEncodedValue();
        }
        return tags;
    }
}
