using System.Security.Cryptography;
using CmpKit.Client;
using CmpKit.Server;
using CmpKit.Transport;

namespace CmpKit.Tests.Server;

/// <summary>Key update against a configured reference certificate (OpenSSL's -ref_cert).</summary>
public class CmpServerKurTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Kur_must_name_the_reference_certificate_when_one_is_configured(bool matching)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var pki = new TestPki();
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientCert = pki.Issue("CN=old", clientKey);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherCert = pki.Issue("CN=old", otherKey);
        var server = new CmpServer(new MockCaOptions { SrvTrusted = [pki.Root], RefCert = matching ? clientCert : otherCert });
        var client = new CmpClient(new InProcessCmpTransport(server.HandleAsync), new CmpClientOptions
        {
            SignatureCredentials = new CmpSignatureCredentials(clientCert, clientKey),
            TrustAnchors = [server.SigningCertificate!],
        });
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var update = client.UpdateKeyAsync(new CertificateRequestTemplate { NewKey = newKey }, cts.Token);

        if (matching)
        {
            var result = await update;
            Assert.Equal(newKey.ExportSubjectPublicKeyInfo(), result.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
            Assert.Equal("CN=old", result.Certificate.Subject);
        }
        else
        {
            var e = await Assert.ThrowsAsync<CmpException>(() => update);
            Assert.Equal(CmpFailureReason.RequestRejected, e.Reason);
            Assert.True(e.ServerStatus!.FailureInfo.HasFlag(PkiFailureInfo.BadCertId));
        }
    }
}
