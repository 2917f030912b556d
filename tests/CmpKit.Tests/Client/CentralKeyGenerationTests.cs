using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Server;
using CmpKit.Server.Http;
using CmpKit.Tests.Support;
using CmpKit.Transport;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Tests.Client;

/// <summary>
/// Central key generation (RFC 9483, section 4.1.6; checks C38-C44): CmpKit's client against CmpKit's
/// server in process and over HTTP, for RSA (KeyTransRecipientInfo), EC (KeyAgreeRecipientInfo) and
/// PBM (PasswordRecipientInfo) clients; and one negative test per check, where the server's ip is
/// rewritten so that exactly the private key is wrong in one way. OpenSSL 3.0.19 has no central key
/// generation, so it cannot be a peer here.
/// </summary>
public class CentralKeyGenerationTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("central key secret");
    private const string CmKga = "1.3.6.1.5.5.7.3.32";

    /// <summary>A root CA, a server (KGA) certificate with id-kp-cmKGA, a client certificate, and the engine.</summary>
    private sealed class Pki
    {
        public Pki(bool rsaClient = false, bool kgaEku = true)
        {
            Root = TestPki.CreateRoot("CN=CKG Root");
            Kga = IssueWithEku(Root, "CN=CKG Server", kgaEku ? [CmKga] : ["1.3.6.1.5.5.7.3.1"]);
            ClientCert = TestPki.IssueWithKey(Root, "CN=CKG Client", rsa: rsaClient);
            Server = new CmpServer(new MockCaOptions
            {
                SrvCert = Kga.Certificate,
                SrvKey = Kga.Key,
                SrvSecret = Secret,
                SrvRef = "srv"u8.ToArray(),
                SrvTrusted = [Root.Certificate],
                CaCertificate = Root.Certificate,
                CaKey = Root.Key,
            });
        }

        public TestPki.Issued Root { get; }
        public TestPki.Issued Kga { get; }
        public TestPki.Issued ClientCert { get; }
        public CmpServer Server { get; }

        public CmpClientOptions SignatureOptions => new()
        {
            SignatureCredentials = new CmpSignatureCredentials(ClientCert.Certificate, ClientCert.Key),
            TrustAnchors = [Root.Certificate],
            MessageTimeout = TimeSpan.FromSeconds(10),
        };

        public CmpClientOptions MacOptions => new()
        {
            MacCredentials = new CmpMacCredentials(Secret, "client"u8.ToArray()),
            TrustAnchors = [Root.Certificate],
            MessageTimeout = TimeSpan.FromSeconds(10),
        };

        /// <summary>In process, with <paramref name="rewrite"/> applied to each ip/cp/kup before the client sees it.</summary>
        public CmpClient Client(CmpClientOptions options, Func<PkiMessage, PkiMessage>? rewrite = null) =>
            new(new InProcessCmpTransport(async (request, ct) =>
            {
                var response = await Server.HandleAsync(request, ct);
                if (rewrite is null)
                {
                    return response;
                }
                var message = PkiMessageCodec.Decode(response);
                return message.Body.Type is PkiBody.TYPE_INIT_REP or PkiBody.TYPE_CERT_REP or PkiBody.TYPE_KEY_UPDATE_REP
                    ? PkiMessageCodec.Encode(rewrite(message))
                    : response;
            }), options);

        /// <summary>Rebuilds a certificate response with another privateKey and protects it again as the server would.</summary>
        public PkiMessage WithPrivateKey(PkiMessage response, Func<X509Certificate2, EncryptedKey?> privateKey)
        {
            var rep = CertRepMessage.GetInstance(response.Body.Content);
            var certResponse = rep.GetResponse()[0];
            var certificate = Certificates.ToDotNet(certResponse.CertifiedKeyPair.CertOrEncCert.Certificate)!;
            var body = ResponseBuilder.CertRep((BodyType)response.Body.Type, certResponse.CertReqID.LongValueExact, PkiStatus.Accepted,
                PkiFailureInfo.None, [], IssuedCertificate.FromCertificate(certificate), [], privateKey(certificate));
            var h = response.Header;
            var fields = new HeaderFields
            {
                Pvno = h.Pvno.IntValueExact,
                Sender = h.Sender,
                Recipient = h.Recipient,
                MessageTime = DateTimeOffset.UtcNow,
                TransactionId = h.TransactionID.GetOctets(),
                SenderNonce = h.SenderNonce.GetOctets(),
                RecipNonce = h.RecipNonce.GetOctets(),
            };
            ProtectionSpec protection = ProtectionVerifier.Classify(response) == ProtectionVerifier.ProtectionKind.Mac
                ? new MacProtectionSpec(Secret, "srv"u8.ToArray(), HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 500, 16)
                : new SignatureProtectionSpec(Kga.Certificate, Kga.Key, [], HashAlgorithmName.SHA256, false);
            return MessageProtector.Protect(fields, body, protection);
        }

        /// <summary>The key sealed as the server does, with any part replaced.</summary>
        public EncryptedKey Seal(AsymmetricAlgorithm key, KeyRecipient recipient, TestPki.Issued? signer = null, AsymmetricAlgorithm? signingKey = null) =>
            EnvelopedPrivateKey.Seal(key, (signer ?? Kga).Certificate, signingKey ?? (signer ?? Kga).Key, [], recipient, HashAlgorithmName.SHA256);

        public KeyRecipient ClientRecipient => new CertificateKeyRecipient(ClientCert.Certificate);
    }

    private static TestPki.Issued IssueWithEku(TestPki.Issued issuer, string subject, string[] ekus)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection();
        foreach (var e in ekus)
        {
            usages.Add(new Oid(e));
        }
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var gen = issuer.Key is RSA rsa ? X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1) : X509SignatureGenerator.CreateForECDsa((ECDsa)issuer.Key);
        var now = DateTimeOffset.UtcNow;
        var cert = req.Create(issuer.Certificate.SubjectName, gen, now.AddMinutes(-5), now.AddDays(30), RandomNumberGenerator.GetBytes(8));
        return new TestPki.Issued(X509CertificateLoader.LoadCertificate(cert.RawData), key);
    }

    private static CertificateRequestTemplate Central(AsymmetricAlgorithm? algorithmOf = null) => new()
    {
        Subject = new X500DistinguishedName("CN=central"),
        CentralKeyGeneration = true,
        NewPublicKey = algorithmOf is null ? (ReadOnlyMemory<byte>?)null : algorithmOf.ExportSubjectPublicKeyInfo(),
    };

    private static void AssertKeyOfCertificate(EnrollmentResult result)
    {
        Assert.NotNull(result.PrivateKey);
        Assert.True(Certificates.SamePublicKey(result.Certificate, result.PrivateKey!.ExportSubjectPublicKeyInfo()));
        using var withKey = result.CopyCertificateWithPrivateKey();
        Assert.True(withKey.HasPrivateKey);
        // The key works: it signs, and the certificate's public key verifies.
        var data = "proof"u8.ToArray();
        if (result.PrivateKey is ECDsa ec)
        {
            Assert.True(result.Certificate.GetECDsaPublicKey()!.VerifyData(data, ec.SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
        }
        else
        {
            var rsa = (RSA)result.PrivateKey;
            Assert.True(result.Certificate.GetRSAPublicKey()!.VerifyData(data, rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }
    }

    private static RecipientInfo OnlyRecipient(CmpServerTransaction tx, PkiMessage ip)
    {
        _ = tx;
        var key = CertRepMessage.GetInstance(ip.Body.Content).GetResponse()[0].CertifiedKeyPair.PrivateKey;
        var env = EnvelopedData.GetInstance(key.Value);
        return RecipientInfo.GetInstance(Assert.Single(env.RecipientInfos));
    }

    // ---- success -------------------------------------------------------------------------------

    [Fact]
    public async Task Rsa_client_gets_its_key_by_key_transport()
    {
        var pki = new Pki(rsaClient: true);
        PkiMessage? ip = null;
        var result = await pki.Client(pki.SignatureOptions, m => ip = m).InitialEnrollAsync(Central(), Ct);

        AssertKeyOfCertificate(result);
        // Without a requested algorithm the client's own key type is asked for (OpenSSL's fallback): RSA.
        Assert.IsAssignableFrom<RSA>(result.PrivateKey);
        Assert.IsType<KeyTransRecipientInfo>(OnlyRecipient(pki.Server.Transactions[^1], ip!).Info);
        Assert.Equal(CmpServerTransactionState.Confirmed, pki.Server.Transactions[^1].State);
    }

    [Fact]
    public async Task Ec_client_gets_its_key_by_key_agreement()
    {
        var pki = new Pki(rsaClient: false);
        PkiMessage? ip = null;
        var result = await pki.Client(pki.SignatureOptions, m => ip = m).EnrollAsync(Central(), Ct);

        AssertKeyOfCertificate(result);
        Assert.IsAssignableFrom<ECDsa>(result.PrivateKey);
        Assert.IsType<KeyAgreeRecipientInfo>(OnlyRecipient(pki.Server.Transactions[^1], ip!).Info);
        Assert.Equal(CmpServerTransactionState.Confirmed, pki.Server.Transactions[^1].State);
    }

    [Fact]
    public async Task Key_update_gets_a_new_key_of_the_old_certificates_type()
    {
        var pki = new Pki(rsaClient: true);
        var result = await pki.Client(pki.SignatureOptions).UpdateKeyAsync(Central(), Ct);

        AssertKeyOfCertificate(result);
        Assert.IsAssignableFrom<RSA>(result.PrivateKey);
        Assert.False(Certificates.SamePublicKey(result.Certificate, pki.ClientCert.Key.ExportSubjectPublicKeyInfo()));
        Assert.Equal("kur", pki.Server.Transactions[^1].RequestType);
    }

    [Fact]
    public async Task Pbm_client_gets_its_key_by_password_and_the_requested_algorithm()
    {
        var pki = new Pki();
        PkiMessage? ip = null;
        using var rsaTemplateKey = RSA.Create(2048);
        var result = await pki.Client(pki.MacOptions, m => ip = m).InitialEnrollAsync(Central(rsaTemplateKey), Ct);

        AssertKeyOfCertificate(result);
        Assert.IsAssignableFrom<RSA>(result.PrivateKey); // the algorithm the template named
        Assert.False(Certificates.SamePublicKey(result.Certificate, rsaTemplateKey.ExportSubjectPublicKeyInfo()));
        Assert.IsType<PasswordRecipientInfo>(OnlyRecipient(pki.Server.Transactions[^1], ip!).Info);
    }

    [Fact]
    public async Task Request_has_no_pop_and_a_public_key_without_key_bits()
    {
        var pki = new Pki();
        PkiMessage? ir = null;
        var client = new CmpClient(new InProcessCmpTransport((request, ct) =>
        {
            ir ??= PkiMessageCodec.Decode(request.Span);
            return pki.Server.HandleAsync(request, ct);
        }), pki.MacOptions);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        var result = await client.InitialEnrollAsync(Central(ec), Ct);

        var msg = CertReqMessages.GetInstance(ir!.Body.Content).ToCertReqMsgArray()[0];
        Assert.Null(msg.Pop);
        var spki = msg.CertReq.CertTemplate.PublicKey;
        Assert.Equal("1.2.840.10045.2.1", spki.Algorithm.Algorithm.Id);
        Assert.Empty(spki.PublicKey.GetBytes());
        Assert.Equal(ECCurve.NamedCurves.nistP384.Oid.Value, ((ECDsa)result.PrivateKey!).ExportParameters(false).Curve.Oid.Value);
    }

    [Fact]
    public async Task Without_any_key_the_public_key_is_absent_and_the_server_chooses()
    {
        var pki = new Pki();
        PkiMessage? ir = null;
        var client = new CmpClient(new InProcessCmpTransport((request, ct) =>
        {
            ir ??= PkiMessageCodec.Decode(request.Span);
            return pki.Server.HandleAsync(request, ct);
        }), pki.MacOptions);

        var result = await client.InitialEnrollAsync(Central(), Ct);

        Assert.Null(CertReqMessages.GetInstance(ir!.Body.Content).ToCertReqMsgArray()[0].CertReq.CertTemplate.PublicKey);
        AssertKeyOfCertificate(result);
    }

    [Fact(Timeout = 30_000)]
    public async Task Over_http_with_signature_protection()
    {
        var ct = TestContext.Current.CancellationToken;
        var pki = new Pki(rsaClient: true);
        await using var host = new CmpHttpHost(pki.Server);
        await host.StartAsync(ct);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var client = new CmpClient(new HttpCmpTransport(http, host.Uri), pki.SignatureOptions);

        var result = await client.InitialEnrollAsync(Central(), ct);

        Assert.Equal("127.0.0.1", host.Uri.Host);
        AssertKeyOfCertificate(result);
    }

    [Fact]
    public async Task Server_returns_rsp_key_with_rsp_cert()
    {
        var root = TestPki.CreateRoot("CN=Fixed Root");
        var kga = IssueWithEku(root, "CN=Fixed KGA", [CmKga]);
        var fixedCert = TestPki.IssueWithKey(root, "CN=fixed", rsa: true);
        var server = new CmpServer(new MockCaOptions
        {
            SrvCert = kga.Certificate, SrvKey = kga.Key, SrvSecret = Secret, RspCert = fixedCert.Certificate, RspKey = fixedCert.Key,
        });
        var client = new CmpClient(new InProcessCmpTransport(server.HandleAsync), new CmpClientOptions
        {
            MacCredentials = new CmpMacCredentials(Secret, "c"u8.ToArray()), TrustAnchors = [root.Certificate],
        });

        var result = await client.InitialEnrollAsync(Central(), Ct);

        Assert.Equal(fixedCert.Certificate.RawData, result.Certificate.RawData);
        Assert.Equal(fixedCert.Key.ExportSubjectPublicKeyInfo(), result.PrivateKey!.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public async Task Ephemeral_mock_ca_signs_the_key_itself()
    {
        // No id-kp-cmKGA certificate at all: the CA that issues the certificate also signs the key (C42's other case).
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret });
        var client = new CmpClient(new InProcessCmpTransport(server.HandleAsync), new CmpClientOptions
        {
            MacCredentials = new CmpMacCredentials(Secret, "c"u8.ToArray()),
            TrustAnchors = [server.CertificateAuthority!.Certificate],
        });

        AssertKeyOfCertificate(await client.InitialEnrollAsync(Central(), Ct));
    }

    // ---- one failure per check ----------------------------------------------------------------

    private static async Task<CmpException> FailsWith(CmpFailureReason reason, Pki pki, CmpClientOptions options,
        Func<PkiMessage, PkiMessage> rewrite)
    {
        var e = await Assert.ThrowsAsync<CmpException>(() => pki.Client(options, rewrite).InitialEnrollAsync(Central(), Ct));
        Assert.Equal(reason, e.Reason);
        Assert.DoesNotContain('\n', e.Message);
        // The certificate is useless without its key: the client rejects it with a negative certConf.
        Assert.Equal(CmpServerTransactionState.RejectedByClient, pki.Server.Transactions[^1].State);
        return e;
    }

    [Fact]
    public async Task C38_missing_private_key_fails()
    {
        var pki = new Pki();
        await FailsWith(CmpFailureReason.CentralKeyMissing, pki, pki.MacOptions, m => pki.WithPrivateKey(m, _ => null));
    }

    [Fact]
    public async Task C39_deprecated_EncryptedValue_is_unsupported()
    {
        var pki = new Pki();
        var value = new EncryptedValue(null, new AlgorithmIdentifier(new DerObjectIdentifier("2.16.840.1.101.3.4.1.42")),
            new DerBitString(new byte[32]), null, null, new DerBitString(new byte[64]));
        await FailsWith(CmpFailureReason.CentralKeyUnsupported, pki, pki.MacOptions, m => pki.WithPrivateKey(m, _ => new EncryptedKey(value)));
    }

    [Fact]
    public async Task C39_key_for_another_certificate_is_not_for_us()
    {
        var pki = new Pki(rsaClient: true);
        var other = TestPki.IssueWithKey(pki.Root, "CN=someone else", rsa: true);
        await FailsWith(CmpFailureReason.CentralKeyNoRecipient, pki, pki.SignatureOptions,
            m => pki.WithPrivateKey(m, cert => pki.Seal(KeyFor(pki, cert), new CertificateKeyRecipient(other.Certificate))));
    }

    [Fact]
    public async Task C39_password_envelope_without_a_secret_is_not_for_us()
    {
        var pki = new Pki(rsaClient: true);
        await FailsWith(CmpFailureReason.CentralKeyNoRecipient, pki, pki.SignatureOptions,
            m => pki.WithPrivateKey(m, cert => pki.Seal(KeyFor(pki, cert), new PasswordKeyRecipient(Secret))));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task C40_damaged_wrapped_key_fails_decryption(bool rsaClient)
    {
        var pki = new Pki(rsaClient);
        await FailsWith(CmpFailureReason.CentralKeyDecryptionFailed, pki, pki.SignatureOptions,
            m => pki.WithPrivateKey(m, cert => DamageRecipientKey(pki.Seal(KeyFor(pki, cert), pki.ClientRecipient))));
    }

    [Fact]
    public async Task C40_wrong_secret_fails_decryption()
    {
        var pki = new Pki();
        await FailsWith(CmpFailureReason.CentralKeyDecryptionFailed, pki, pki.MacOptions,
            m => pki.WithPrivateKey(m, cert => pki.Seal(KeyFor(pki, cert), new PasswordKeyRecipient("another secret"u8.ToArray()))));
    }

    [Fact]
    public async Task C40_damaged_content_fails_decryption()
    {
        var pki = new Pki();
        await FailsWith(CmpFailureReason.CentralKeyDecryptionFailed, pki, pki.MacOptions,
            m => pki.WithPrivateKey(m, cert => DamageContent(pki.Seal(KeyFor(pki, cert), new PasswordKeyRecipient(Secret)))));
    }

    [Fact]
    public async Task C41_bad_signature_on_the_SignedData_fails()
    {
        var pki = new Pki();
        using var wrongKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await FailsWith(CmpFailureReason.CentralKeyInvalidSignature, pki, pki.MacOptions,
            m => pki.WithPrivateKey(m, cert => pki.Seal(KeyFor(pki, cert), new PasswordKeyRecipient(Secret), signingKey: wrongKey)));
    }

    [Fact]
    public async Task C42_signer_outside_the_trust_anchors_fails()
    {
        var pki = new Pki();
        var strangerRoot = TestPki.CreateRoot("CN=Stranger Root");
        var stranger = IssueWithEku(strangerRoot, "CN=Stranger KGA", [CmKga]);
        var e = await FailsWith(CmpFailureReason.CentralKeyGeneratorUntrusted, pki, pki.MacOptions,
            m => pki.WithPrivateKey(m, cert => pki.Seal(KeyFor(pki, cert), new PasswordKeyRecipient(Secret), stranger)));
        Assert.Contains("Stranger KGA", e.Message);
    }

    [Fact]
    public async Task C42_trusted_signer_without_cmKGA_is_not_authorized()
    {
        var pki = new Pki();
        var plain = IssueWithEku(pki.Root, "CN=Not a KGA", ["1.3.6.1.5.5.7.3.2"]);
        var e = await FailsWith(CmpFailureReason.CentralKeyGeneratorUntrusted, pki, pki.MacOptions,
            m => pki.WithPrivateKey(m, cert => pki.Seal(KeyFor(pki, cert), new PasswordKeyRecipient(Secret), plain)));
        Assert.Contains("id-kp-cmKGA", e.Message);
    }

    [Fact]
    public async Task C42_no_trust_anchors_fails()
    {
        var pki = new Pki();
        await FailsWith(CmpFailureReason.CentralKeyGeneratorUntrusted, pki, pki.MacOptions with { TrustAnchors = [] }, m => m);
    }

    [Fact]
    public async Task C44_key_not_matching_the_certificate_fails()
    {
        var pki = new Pki();
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await FailsWith(CmpFailureReason.CentralKeyMismatch, pki, pki.MacOptions,
            m => pki.WithPrivateKey(m, _ => pki.Seal(otherKey, new PasswordKeyRecipient(Secret))));
    }

    [Fact]
    public async Task Private_key_without_asking_is_rejected()
    {
        var pki = new Pki();
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = pki.Client(pki.MacOptions, m => pki.WithPrivateKey(m, _ => pki.Seal(otherKey, new PasswordKeyRecipient(Secret))));
        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(
            new CertificateRequestTemplate { NewKey = ECDsa.Create(), Subject = new X500DistinguishedName("CN=local") }, Ct));
        Assert.Equal(CmpFailureReason.UnexpectedPrivateKey, e.Reason);
    }

    // The checks run in order (decrypt, signature, authorization, key, match): a test that breaks an earlier
    // step may seal any key, since the failure comes before C44 looks at it.
    private static AsymmetricAlgorithm KeyFor(Pki pki, X509Certificate2 certificate)
    {
        _ = pki;
        _ = certificate;
        return ECDsa.Create(ECCurve.NamedCurves.nistP256);
    }

    private static EncryptedKey DamageRecipientKey(EncryptedKey key)
    {
        var der = key.GetEncoded(Asn1Encodable.Der);
        var env = EnvelopedData.GetInstance(Asn1TaggedObject.GetInstance(Asn1Object.FromByteArray(der)), false);
        var info = RecipientInfo.GetInstance(env.RecipientInfos[0]).Info;
        var wrapped = info switch
        {
            KeyTransRecipientInfo k => k.EncryptedKey.GetOctets(),
            KeyAgreeRecipientInfo a => RecipientEncryptedKey.GetInstance(a.RecipientEncryptedKeys[0]).EncryptedKey.GetOctets(),
            PasswordRecipientInfo p => p.EncryptedKey.GetOctets(),
            _ => throw new InvalidOperationException(),
        };
        return new EncryptedKey(EnvelopedData.GetInstance(Asn1TaggedObject.GetInstance(Asn1Object.FromByteArray(Flip(der, wrapped))), false));
    }

    private static EncryptedKey DamageContent(EncryptedKey key)
    {
        var der = key.GetEncoded(Asn1Encodable.Der);
        var env = EnvelopedData.GetInstance(Asn1TaggedObject.GetInstance(Asn1Object.FromByteArray(der)), false);
        var content = env.EncryptedContentInfo.EncryptedContent.GetOctets();
        return new EncryptedKey(EnvelopedData.GetInstance(Asn1TaggedObject.GetInstance(Asn1Object.FromByteArray(Flip(der, content[..16]))), false));
    }

    /// <summary>Flips one bit in the middle of <paramref name="part"/> where it occurs in <paramref name="der"/>.</summary>
    private static byte[] Flip(byte[] der, byte[] part)
    {
        var at = der.AsSpan().IndexOf(part);
        Assert.True(at >= 0);
        var copy = der.ToArray();
        copy[at + (part.Length / 2)] ^= 0x01;
        return copy;
    }
}
