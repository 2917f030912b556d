using System.Security.Cryptography.X509Certificates;
using CmpKit.Bench;
using CmpKit.Client;
using CmpKit.Server;
using CmpKit.Transport;

namespace CmpKit.Benchmarks;

/// <summary>How the client protects its requests (and the server its responses) in a benchmark case.</summary>
public enum Protection
{
    /// <summary>Signatures with EC P-256 keys (all keys of the PKI are P-256, SHA-256).</summary>
    EcP256,

    /// <summary>Signatures with RSA-2048 keys (all keys of the PKI are RSA-2048, PKCS#1 v1.5 with SHA-256).</summary>
    Rsa2048,

    /// <summary>
    /// PasswordBasedMac (SHA-256 one-way function, 500 iterations, HMAC-SHA256; the defaults of both
    /// CmpClient and CmpServer); the new key and the CA are EC P-256.
    /// </summary>
    Pbm,
}

/// <summary>
/// One benchmark case: the PKI, the mock CA's options and the client's options, configured as an
/// application would (CmpClientOptions with signature or MAC credentials and the root as trust anchor).
/// </summary>
internal sealed class Scenario
{
    public static readonly byte[] Secret = "CmpKit benchmark shared secret"u8.ToArray();
    public static readonly byte[] ClientReference = "bench-client"u8.ToArray();
    public static readonly byte[] ServerReference = "bench-server"u8.ToArray();
    public static readonly X500DistinguishedName Subject = new("CN=CmpKit Bench Enrolled");

    private Scenario(Protection protection, BenchPki pki)
    {
        Protection = protection;
        Pki = pki;
        bool mac = protection == Protection.Pbm;
        ServerOptions = new MockCaOptions
        {
            CaCertificate = pki.Root.Certificate,
            CaKey = pki.Root.Key,
            SrvSecret = mac ? Secret : (ReadOnlyMemory<byte>?)null,
            SrvRef = mac ? ServerReference : (ReadOnlyMemory<byte>?)null,
            SrvCert = mac ? null : pki.Server.Certificate,
            SrvKey = mac ? null : pki.Server.Key,
            SrvTrusted = mac ? [] : [pki.Root.Certificate],
        };
        ClientOptions = mac
            ? new CmpClientOptions { MacCredentials = new CmpMacCredentials(Secret, ClientReference) }
            : new CmpClientOptions
            {
                SignatureCredentials = new CmpSignatureCredentials(pki.Client.Certificate, pki.Client.Key),
                TrustAnchors = [pki.Root.Certificate],
            };
    }

    public Protection Protection { get; }
    public BenchPki Pki { get; }
    public bool IsMac => Protection == Protection.Pbm;
    public MockCaOptions ServerOptions { get; }
    public CmpClientOptions ClientOptions { get; }

    /// <summary>What every enrollment asks for: the subject and the (pre-generated) new key.</summary>
    public CertificateRequestTemplate NewTemplate() => new() { Subject = Subject, NewKey = Pki.NewKey };

    public static Scenario Create(Protection protection) =>
        new(protection, BenchPki.Create(protection == Protection.Rsa2048 ? KeyKind.Rsa2048 : KeyKind.EcP256));

    public CmpServer NewServer() => new(ServerOptions);

    /// <summary>
    /// Runs one real ir + certConf transaction with CmpClient against a fresh CmpServer and records every
    /// message (request, response) in order: ir, ip, certConf, pkiConf. The floor benchmarks sign and
    /// verify these very bytes; the ip benchmark replays the ip.
    /// </summary>
    public async Task<IReadOnlyList<byte[]>> RecordTransactionAsync()
    {
        var server = NewServer();
        var messages = new List<byte[]>();
        var transport = new InProcessCmpTransport(async (request, ct) =>
        {
            messages.Add(request.ToArray());
            var response = await server.HandleAsync(request, ct).ConfigureAwait(false);
            messages.Add(response);
            return response;
        });
        var client = new CmpClient(transport, ClientOptions);
        await client.InitialEnrollAsync(NewTemplate()).ConfigureAwait(false);
        if (messages.Count != 4)
        {
            throw new InvalidOperationException($"expected ir, ip, certConf, pkiConf; recorded {messages.Count} messages");
        }
        return messages;
    }
}
