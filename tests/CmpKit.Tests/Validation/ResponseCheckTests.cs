using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Tests.Support;
using CmpKit.Transport;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Crmf;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Tests.Validation;

/// <summary>
/// One negative test (at least) per response check of CHECKS.md: the scripted server answers
/// correctly except for exactly one thing, and the client must fail with that check's reason.
/// </summary>
public class ResponseCheckTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    internal static CmpClientOptions MacOptions(ScriptedCmpServer server) => new()
    {
        MacCredentials = new CmpMacCredentials(ScriptedCmpServer.DefaultSecret, "clientref"u8.ToArray()),
        TrustAnchors = [server.Ca.Certificate],
        MessageTimeout = TimeSpan.FromSeconds(10),
    };

    internal static CmpClient Client(ScriptedCmpServer server, CmpClientOptions? options = null, TimeProvider? time = null) =>
        new(new InProcessCmpTransport(server.HandleAsync), options ?? MacOptions(server), timeProvider: time);

    internal static CertificateRequestTemplate Template(AsymmetricAlgorithm? key = null) =>
        new() { NewKey = key ?? ECDsa.Create(ECCurve.NamedCurves.nistP256), Subject = new X500DistinguishedName("CN=leaf") };

    private static async Task<CmpException> FailsWith(CmpFailureReason reason, ScriptedCmpServer server, CmpClientOptions? options = null)
    {
        var e = await Assert.ThrowsAsync<CmpException>(() => Client(server, options).InitialEnrollAsync(Template(), Ct));
        Assert.Equal(reason, e.Reason);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    /// <summary>Applies <paramref name="change"/> only to the response to the first request (ip).</summary>
    private static Action<ScriptedCmpServer.Draft> OnIp(Action<ScriptedCmpServer.Draft> change) =>
        d => { if (d.RequestType == BodyType.Ir) change(d); };

    [Fact]
    public async Task Baseline_ir_with_mac_succeeds_and_confirms()
    {
        var server = new ScriptedCmpServer();
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = await Client(server).InitialEnrollAsync(Template(key), Ct);
        Assert.True(result.Certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()));
        Assert.Equal("CN=leaf", result.Certificate.Subject);
        Assert.Equal([BodyType.Ir, BodyType.CertConf], server.Received.Select(m => (BodyType)m.Body.Type));
        Assert.Equal(PkiStatus.Accepted, result.Status.Status);
        Assert.False(result.ImplicitlyConfirmed);
    }

    [Fact]
    public async Task Baseline_ir_with_signed_responses_succeeds()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var result = await Client(server).InitialEnrollAsync(Template(), Ct);
        Assert.Equal(server.Issued[0], result.Certificate);
    }

    // ---- C1 ---------------------------------------------------------------------------------
    [Fact]
    public Task C01_trailing_bytes_after_the_response() =>
        FailsWith(CmpFailureReason.MalformedResponse, new ScriptedCmpServer { Mutate = OnIp(d => d.Bytes = b => [.. b, 0]) });

    [Fact]
    public Task C01_response_that_is_not_a_pkimessage() =>
        FailsWith(CmpFailureReason.MalformedResponse, new ScriptedCmpServer { Mutate = OnIp(d => d.Bytes = b => b[..(b.Length / 2)]) });

    // ---- C5, C6 -----------------------------------------------------------------------------
    [Fact]
    public Task C05_sender_is_not_a_directory_name() =>
        FailsWith(CmpFailureReason.SenderNotDirectoryName, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Header = d.Header with { Sender = new GeneralName(GeneralName.DnsName, "ca.example") }),
        });

    [Fact]
    public Task C06_sender_is_not_the_expected_sender()
    {
        var server = new ScriptedCmpServer();
        return FailsWith(CmpFailureReason.UnexpectedSender, server,
            MacOptions(server) with { ExpectedSender = new X500DistinguishedName("CN=Someone Else") });
    }

    [Fact]
    public async Task C06_pinned_server_certificate_sets_the_expected_sender()
    {
        var server = new ScriptedCmpServer(signResponses: true)
        {
            Mutate = OnIp(d => d.Header = d.Header with { Sender = Names.ToGeneralName(new X500DistinguishedName("CN=Other")) }),
        };
        await FailsWith(CmpFailureReason.UnexpectedSender, server, MacOptions(server) with { ServerCertificate = server.Signer.Certificate });
    }

    // ---- C8 ---------------------------------------------------------------------------------
    [Fact]
    public Task C08_unprotected_positive_response() =>
        FailsWith(CmpFailureReason.MissingProtection, new ScriptedCmpServer { Mutate = OnIp(d => d.Protection = null) });

    [Fact]
    public async Task C08_unprotected_rejection_accepted_only_with_unprotected_errors()
    {
        void Reject(ScriptedCmpServer.Draft d)
        {
            d.Protection = null;
            d.Body = ScriptedCmpServer.CertRep(1, 0, PkiStatus.Rejection, null, PkiFailureInfo.BadPop);
        }
        var strict = new ScriptedCmpServer { Mutate = OnIp(Reject) };
        await FailsWith(CmpFailureReason.MissingProtection, strict);
        var lenient = new ScriptedCmpServer { Mutate = OnIp(Reject) };
        var e = await FailsWith(CmpFailureReason.RequestRejected, lenient, MacOptions(lenient) with { UnprotectedErrors = true });
        Assert.Equal(PkiFailureInfo.BadPop, e.ServerStatus!.FailureInfo);
    }

    // ---- C9, C10, C11, C12 ------------------------------------------------------------------
    [Fact]
    public Task C09_unsupported_pvno() =>
        FailsWith(CmpFailureReason.UnsupportedVersion, new ScriptedCmpServer { Mutate = OnIp(d => d.Header = d.Header with { Pvno = 1 }) });

    [Fact]
    public Task C10_unknown_body_type() =>
        FailsWith(CmpFailureReason.UnknownBodyType, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.AfterProtection = m =>
            {
                // Re-tag the body as [29], a type RFC 9810 does not define.
                var seq = (Asn1Sequence)m.ToAsn1Object();
                var items = seq.Cast<Asn1Encodable>().ToArray();
                items[1] = new DerTaggedObject(true, 29, DerNull.Instance);
                return PkiMessageLike(new DerSequence(items));
            }),
        });

    // PkiMessage.GetInstance would reject tag 29; wrap raw ASN.1 so the server can still send it.
    private static PkiMessage PkiMessageLike(Asn1Sequence seq) => new RawPkiMessage(seq);

    private sealed class RawPkiMessage(Asn1Sequence seq) : PkiMessage(PkiHeader.GetInstance(seq[0]), new PkiBody(PkiBody.TYPE_CONFIRM, DerNull.Instance))
    {
        public override Asn1Object ToAsn1Object() => seq;
    }

    [Fact]
    public Task C11_wrong_transaction_id() =>
        FailsWith(CmpFailureReason.TransactionIdMismatch, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Header = d.Header with { TransactionId = RandomNumberGenerator.GetBytes(16) }),
        });

    [Fact]
    public Task C12_wrong_recip_nonce() =>
        FailsWith(CmpFailureReason.RecipNonceMismatch, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Header = d.Header with { RecipNonce = RandomNumberGenerator.GetBytes(16) }),
        });

    [Fact]
    public Task C12_missing_recip_nonce() =>
        FailsWith(CmpFailureReason.RecipNonceMismatch, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Header = d.Header with { RecipNonce = null }),
        });

    // ---- C14, C15 ---------------------------------------------------------------------------
    [Fact]
    public Task C14_mac_with_another_secret() =>
        FailsWith(CmpFailureReason.InvalidMac, new ScriptedCmpServer { Secret = "wrong"u8.ToArray() });

    [Fact]
    public Task C14_damaged_mac() =>
        FailsWith(CmpFailureReason.InvalidMac, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.AfterProtection = m =>
            {
                var p = m.Protection.GetOctets();
                p[0] ^= 1;
                return new PkiMessage(m.Header, m.Body, new DerBitString(p), m.GetExtraCerts());
            }),
        });

    [Fact]
    public Task C14_absurd_iteration_count() =>
        FailsWith(CmpFailureReason.MacParametersRejected, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Protection = new MacProtectionSpec(ScriptedCmpServer.DefaultSecret, null,
                HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 10_000_000, 16)),
        });

    [Fact]
    public async Task C14_mac_protected_response_without_a_configured_secret()
    {
        var server = new ScriptedCmpServer();
        var client = new CmpClient(new InProcessCmpTransport(server.HandleAsync), new CmpClientOptions
        {
            UnprotectedRequests = true,
            TrustAnchors = [server.Ca.Certificate],
        });
        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(Template(), Ct));
        Assert.Equal(CmpFailureReason.MissingSecret, e.Reason);
    }

    [Fact]
    public Task C15_unsupported_protection_algorithm() =>
        FailsWith(CmpFailureReason.UnsupportedProtectionAlgorithm, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Protection = new FixedProtection(ProtectionVerifier.DhBasedMacOid)),
        });

    private sealed class FixedProtection(string oid) : ProtectionSpec
    {
        public override byte[]? SenderKid => null;
        public override AlgorithmIdentifier CreateAlgorithm() => new(new DerObjectIdentifier(oid));
        public override byte[] Compute(AlgorithmIdentifier algorithm, ReadOnlySpan<byte> protectedPart) => new byte[32];
    }

    // ---- C16-C20 ----------------------------------------------------------------------------
    [Fact]
    public async Task C16_signed_response_without_any_trust_anchor()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        await FailsWith(CmpFailureReason.NoTrustAnchor, server, MacOptions(server) with { TrustAnchors = [] });
    }

    [Fact]
    public async Task C16_pinned_certificate_that_did_not_sign()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var other = TestPki.IssueWithKey(server.Ca, "CN=Scripted CMP Server");
        await FailsWith(CmpFailureReason.InvalidSignature, server, MacOptions(server) with { ServerCertificate = other.Certificate });
    }

    [Fact]
    public async Task C16_pinned_certificate_is_used_without_path_validation()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var result = await Client(server, MacOptions(server) with { TrustAnchors = [], ServerCertificate = server.Signer.Certificate })
            .InitialEnrollAsync(Template(), Ct);
        Assert.NotNull(result.Certificate);
    }

    [Fact]
    public async Task C17_signer_certificate_found_in_extra_certs_only()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        // The signer certificate travels in extraCerts (as RFC 9483 wants), the client knows only the root.
        server.Mutate = d => d.ExtraCerts = [server.Signer.Certificate];
        var result = await Client(server).InitialEnrollAsync(Template(), Ct);
        Assert.Contains(result.ExtraCertificates.Cast<X509Certificate2>(), c => c.Equals(server.Signer.Certificate));
    }

    [Fact]
    public async Task C18_signer_certificate_nowhere_to_be_found()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var strayCa = TestPki.CreateRoot("CN=Stray CA");
        var stray = TestPki.IssueWithKey(strayCa, "CN=Scripted CMP Server");
        server.Mutate = OnIp(d => d.Protection = new SignatureProtectionSpec(stray.Certificate, stray.Key, [], HashAlgorithmName.SHA256, false));
        // extraCerts is empty: the stray signer's certificate is not in extraCerts, untrusted or trusted.
        server.Mutate += OnIp(d => d.AfterProtection = m => new PkiMessage(m.Header, m.Body, m.Protection));
        await FailsWith(CmpFailureReason.SenderCertificateNotFound, server);
    }

    [Fact]
    public async Task C18_damaged_signature()
    {
        var server = new ScriptedCmpServer(signResponses: true)
        {
            Mutate = OnIp(d => d.AfterProtection = m =>
            {
                var p = m.Protection.GetOctets();
                p[^1] ^= 1;
                return new PkiMessage(m.Header, m.Body, new DerBitString(p), m.GetExtraCerts());
            }),
        };
        await FailsWith(CmpFailureReason.SenderCertificateNotFound, server);
    }

    [Fact]
    public async Task C18_expired_sender_certificate()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var expired = TestPki.IssueWithKey(server.Ca, "CN=Scripted CMP Server",
            notBefore: DateTimeOffset.UtcNow.AddDays(-30), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        server.Mutate = OnIp(d => d.Protection = new SignatureProtectionSpec(expired.Certificate, expired.Key, [], HashAlgorithmName.SHA256, false));
        var e = await FailsWith(CmpFailureReason.SenderCertificateNotFound, server);
        Assert.Contains("not valid now", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task C18_sender_kid_does_not_match_the_certificate()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        server.Mutate = OnIp(d => d.Header = d.Header with { SenderKid = RandomNumberGenerator.GetBytes(20) });
        await FailsWith(CmpFailureReason.SenderCertificateNotFound, server);
    }

    [Fact]
    public async Task C19_sender_certificate_without_digital_signature()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var noDs = TestPki.IssueWithKey(server.Ca, "CN=Scripted CMP Server", keyUsage: X509KeyUsageFlags.KeyEncipherment);
        server.Mutate = OnIp(d => d.Protection = new SignatureProtectionSpec(noDs.Certificate, noDs.Key, [], HashAlgorithmName.SHA256, false));
        await FailsWith(CmpFailureReason.SenderKeyUsageInvalid, server);
    }

    [Fact]
    public async Task C19_ignore_key_usage_accepts_it()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var noDs = TestPki.IssueWithKey(server.Ca, "CN=Scripted CMP Server", keyUsage: X509KeyUsageFlags.KeyEncipherment);
        server.Mutate = d => d.Protection = new SignatureProtectionSpec(noDs.Certificate, noDs.Key, [], HashAlgorithmName.SHA256, false);
        var result = await Client(server, MacOptions(server) with { IgnoreKeyUsage = true }).InitialEnrollAsync(Template(), Ct);
        Assert.NotNull(result.Certificate);
    }

    [Fact]
    public async Task C20_sender_certificate_from_an_untrusted_ca()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        var otherCa = TestPki.CreateRoot("CN=Other CA");
        var foreign = TestPki.IssueWithKey(otherCa, "CN=Scripted CMP Server");
        server.Mutate = OnIp(d => d.Protection = new SignatureProtectionSpec(foreign.Certificate, foreign.Key, [], HashAlgorithmName.SHA256, false));
        await FailsWith(CmpFailureReason.SenderCertificateUntrusted, server);
    }

    // ---- C21 --------------------------------------------------------------------------------
    [Fact]
    public async Task C21_error_message_carries_the_server_status()
    {
        var server = new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Body = RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.BadRequest | PkiFailureInfo.SystemFailure, "out of paper", 42, "tray 3")),
        };
        var e = await FailsWith(CmpFailureReason.ServerError, server);
        Assert.Equal(PkiStatus.Rejection, e.ServerStatus!.Status);
        Assert.Equal(["badRequest", "systemFailure"], e.ServerStatus.FailureInfoNames);
        Assert.Equal(["out of paper"], e.ServerStatus.Texts);
        Assert.Equal(42, e.ServerStatus.ErrorCode);
        Assert.Contains("out of paper", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task C21_wrong_body_type() =>
        FailsWith(CmpFailureReason.UnexpectedBody, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Body = new PkiBody(PkiBody.TYPE_GEN_REP, new GenRepContent([]))),
        });

    [Fact]
    public Task C21_cp_in_reply_to_ir() =>
        FailsWith(CmpFailureReason.UnexpectedBody, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Body = new PkiBody(PkiBody.TYPE_CERT_REP, d.Body.Content)),
        });

    // ---- C23, C24 ---------------------------------------------------------------------------
    [Fact]
    public Task C23_two_cert_responses() =>
        FailsWith(CmpFailureReason.InvalidResponseCount, new ScriptedCmpServer
        {
            Mutate = OnIp(d =>
            {
                var r = ScriptedCmpServer.FirstResponse(d.Body);
                d.Body = new PkiBody(PkiBody.TYPE_INIT_REP, new CertRepMessage(null, [r, r]));
            }),
        });

    [Fact]
    public Task C23_wrong_cert_req_id() =>
        FailsWith(CmpFailureReason.CertReqIdMismatch, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Body = ScriptedCmpServer.CertRep(1, 5, PkiStatus.Accepted, ScriptedCmpServer.CertificateOf(d.Body))),
        });

    [Fact]
    public async Task C24_rejection_fails_with_the_server_status()
    {
        var server = new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Body = ScriptedCmpServer.CertRep(1, 0, PkiStatus.Rejection, null, PkiFailureInfo.BadPop)),
        };
        var e = await FailsWith(CmpFailureReason.RequestRejected, server);
        Assert.Equal(PkiFailureInfo.BadPop, e.ServerStatus!.FailureInfo);
        Assert.Single(server.Received); // no certConf for a rejection
    }

    [Fact]
    public Task C24_key_update_warning_outside_kur() =>
        FailsWith(CmpFailureReason.UnexpectedStatus, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Body = ScriptedCmpServer.CertRep(1, 0, PkiStatus.KeyUpdateWarning, ScriptedCmpServer.CertificateOf(d.Body))),
        });

    [Fact]
    public Task C24_unknown_status_value() =>
        FailsWith(CmpFailureReason.UnexpectedStatus, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Body = ScriptedCmpServer.CertRep(1, 0, (PkiStatus)9, ScriptedCmpServer.CertificateOf(d.Body))),
        });

    [Fact]
    public async Task C24_granted_with_mods_succeeds_and_reports_the_status()
    {
        var server = new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Body = ScriptedCmpServer.CertRep(1, 0, PkiStatus.GrantedWithMods, ScriptedCmpServer.CertificateOf(d.Body))),
        };
        var result = await Client(server).InitialEnrollAsync(Template(), Ct);
        Assert.Equal(PkiStatus.GrantedWithMods, result.Status.Status);
    }

    // ---- C26 --------------------------------------------------------------------------------
    [Fact]
    public Task C26_accepted_without_certificate() =>
        FailsWith(CmpFailureReason.CertificateMissing, new ScriptedCmpServer
        {
            Mutate = OnIp(d => d.Body = ScriptedCmpServer.CertRep(1, 0, PkiStatus.Accepted, null)),
        });

    [Fact]
    public Task C26_private_key_without_central_key_generation() =>
        FailsWith(CmpFailureReason.UnexpectedPrivateKey, new ScriptedCmpServer
        {
            Mutate = OnIp(d =>
            {
                var cert = ScriptedCmpServer.CertificateOf(d.Body);
                var encryptedValue = new EncryptedValue(null, new AlgorithmIdentifier(new DerObjectIdentifier("2.16.840.1.101.3.4.1.2")),
                    null, null, null, new DerBitString(new byte[16]));
                #pragma warning disable CS0618 // an EncryptedValue (RFC 4211) private key is what old servers send
                var ckp = new CertifiedKeyPair(new CertOrEncCert(Certificates.ToCmp(cert)), encryptedValue, null);
#pragma warning restore CS0618
                d.Body = new PkiBody(PkiBody.TYPE_INIT_REP, new CertRepMessage(null,
                    [new CertResponse(DerInteger.ValueOf(0), StatusInfos.ToBc(PkiStatus.Accepted), ckp, null)]));
            }),
        });

    [Fact]
    public Task C26_encrypted_certificate_is_not_supported_yet() =>
        FailsWith(CmpFailureReason.UnsupportedCertificateEncoding, new ScriptedCmpServer
        {
            Mutate = OnIp(d =>
            {
#pragma warning disable CS0618 // EncryptedValue is how RFC 4211 servers encrypt certificates
                var encrypted = new EncryptedValue(null, new AlgorithmIdentifier(new DerObjectIdentifier("2.16.840.1.101.3.4.1.2")),
                    null, null, null, new DerBitString(new byte[32]));
                var ckp = new CertifiedKeyPair(new CertOrEncCert(encrypted));
#pragma warning restore CS0618
                d.Body = new PkiBody(PkiBody.TYPE_INIT_REP, new CertRepMessage(null,
                    [new CertResponse(DerInteger.ValueOf(0), StatusInfos.ToBc(PkiStatus.Accepted), ckp, null)]));
            }),
        });

    // ---- C7, C13, C25, C27 -------------------------------------------------------------------
    [Fact]
    public async Task C07_C27_extra_certs_and_ca_pubs_are_returned()
    {
        var server = new ScriptedCmpServer();
        var extra = TestPki.CreateRoot("CN=Extra").Certificate;
        server.Mutate = OnIp(d =>
        {
            d.ExtraCerts = [extra];
            var r = ScriptedCmpServer.FirstResponse(d.Body);
            d.Body = new PkiBody(PkiBody.TYPE_INIT_REP, new CertRepMessage([Certificates.ToCmp(server.Ca.Certificate)], [r]));
        });
        var result = await Client(server).InitialEnrollAsync(Template(), Ct);
        Assert.Equal(extra, Assert.Single(result.ExtraCertificates.Cast<X509Certificate2>()));
        Assert.Equal(server.Ca.Certificate, Assert.Single(result.CaPubs.Cast<X509Certificate2>()));
    }

    [Fact]
    public async Task C07_extra_certs_of_a_response_that_fails_a_check_are_not_kept()
    {
        var server = new ScriptedCmpServer();
        var extra = TestPki.CreateRoot("CN=Extra").Certificate;
        server.Mutate = OnIp(d => { d.ExtraCerts = [extra]; d.Header = d.Header with { TransactionId = new byte[16] }; });
        var e = await FailsWith(CmpFailureReason.TransactionIdMismatch, server);
        Assert.NotNull(e);
    }

    [Fact]
    public async Task C13_ca_pubs_of_a_mac_protected_ip_are_trust_anchors_only_when_asked()
    {
        void WithCaPubs(ScriptedCmpServer s, ScriptedCmpServer.Draft d)
        {
            var r = ScriptedCmpServer.FirstResponse(d.Body);
            d.Body = new PkiBody(PkiBody.TYPE_INIT_REP, new CertRepMessage([Certificates.ToCmp(s.Ca.Certificate)], [r]));
        }
        var unrelated = TestPki.CreateRoot("CN=Unrelated").Certificate;

        var strict = new ScriptedCmpServer();
        strict.Mutate = OnIp(d => WithCaPubs(strict, d));
        await FailsWith(CmpFailureReason.NewCertificateUntrusted, strict, MacOptions(strict) with { OutTrusted = [unrelated] });

        var asked = new ScriptedCmpServer();
        asked.Mutate = OnIp(d => WithCaPubs(asked, d));
        var result = await Client(asked, MacOptions(asked) with { OutTrusted = [unrelated], TrustCaPubsFromMacProtectedResponse = true })
            .InitialEnrollAsync(Template(), Ct);
        Assert.NotNull(result.Certificate);

        // Never from a signed response: there the caller's trust anchors decide.
        var signed = new ScriptedCmpServer(signResponses: true);
        signed.Mutate = OnIp(d => WithCaPubs(signed, d));
        await FailsWith(CmpFailureReason.NewCertificateUntrusted, signed,
            MacOptions(signed) with { OutTrusted = [unrelated], TrustCaPubsFromMacProtectedResponse = true });
    }

    [Fact]
    public Task C25_final_response_after_polling_of_the_wrong_type() =>
        FailsWith(CmpFailureReason.UnexpectedBody, new ScriptedCmpServer
        {
            PollCount = 1,
            Mutate = d =>
            {
                if (d.RequestType == BodyType.PollReq)
                {
                    d.Body = new PkiBody(PkiBody.TYPE_CERT_REP, d.Body.Content); // cp after polling for an ir
                }
            },
        });

    [Fact]
    public async Task C22_error_message_with_status_waiting_starts_polling()
    {
        var server = new ScriptedCmpServer { PollCount = 1 };
        server.Mutate = OnIp(d => d.Body = RequestBuilder.Error(PkiStatus.Waiting, PkiFailureInfo.None, "busy"));
        var result = await Client(server).InitialEnrollAsync(Template(), Ct);
        Assert.NotNull(result.Certificate);
        Assert.Equal(BodyType.PollReq, (BodyType)server.Received[1].Body.Type);
    }

    // ---- C28, C29, C30 ----------------------------------------------------------------------
    [Fact]
    public async Task C28_certificate_for_another_key_is_rejected_with_negative_certconf()
    {
        var server = new ScriptedCmpServer();
        var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        server.Mutate = OnIp(d => d.Body = ScriptedCmpServer.CertRep(1, 0, PkiStatus.Accepted,
            TestPki.Issue(server.Ca, "CN=leaf", otherKey.ExportSubjectPublicKeyInfo())));
        await FailsWith(CmpFailureReason.PublicKeyMismatch, server);
        AssertNegativeCertConf(server, PkiFailureInfo.IncorrectData);
    }

    [Fact]
    public async Task C29_new_certificate_not_trusted_by_out_trusted_is_rejected()
    {
        var server = new ScriptedCmpServer();
        var options = MacOptions(server) with { OutTrusted = [TestPki.CreateRoot("CN=Unrelated Root").Certificate] };
        await FailsWith(CmpFailureReason.NewCertificateUntrusted, server, options);
        AssertNegativeCertConf(server, null);
    }

    [Fact]
    public async Task C29_new_certificate_trusted_by_out_trusted_is_accepted()
    {
        var server = new ScriptedCmpServer();
        var result = await Client(server, MacOptions(server) with { OutTrusted = [server.Ca.Certificate] }).InitialEnrollAsync(Template(), Ct);
        Assert.Equal(server.Ca.Certificate, Assert.Single(result.Chain.Cast<X509Certificate2>()));
    }

    private static void AssertNegativeCertConf(ScriptedCmpServer server, PkiFailureInfo? failure)
    {
        var certConf = Assert.Single(server.Received, m => m.Body.Type == (int)BodyType.CertConf);
        var status = CertConfirmContent.GetInstance(certConf.Body.Content).ToCertStatusArray()[0].StatusInfo;
        Assert.Equal((int)PkiStatus.Rejection, status.Status.IntValue);
        if (failure is { } f)
        {
            Assert.Equal(f, StatusInfos.FromBits(status.FailInfo));
        }
    }

    [Fact]
    public async Task C30_certconf_carries_the_hash_of_the_certificate()
    {
        var server = new ScriptedCmpServer();
        var result = await Client(server).InitialEnrollAsync(Template(), Ct);
        var certConf = server.Received.Single(m => m.Body.Type == (int)BodyType.CertConf);
        var status = CertConfirmContent.GetInstance(certConf.Body.Content).ToCertStatusArray()[0];
        Assert.Equal(SHA256.HashData(result.Certificate.RawData), status.CertHash.GetOctets());
        Assert.Equal(0, status.CertReqID.IntValueExact);
        Assert.Equal((int)PkiStatus.Accepted, status.StatusInfo.Status.IntValue);
    }

    [Fact]
    public Task C30_pkiconf_answered_with_another_body() =>
        FailsWith(CmpFailureReason.UnexpectedBody, new ScriptedCmpServer
        {
            Mutate = d => { if (d.RequestType == BodyType.CertConf) d.Body = new PkiBody(PkiBody.TYPE_GEN_REP, new GenRepContent([])); },
        });

    [Fact]
    public Task C30_pkiconf_with_wrong_recip_nonce() =>
        FailsWith(CmpFailureReason.RecipNonceMismatch, new ScriptedCmpServer
        {
            Mutate = d => { if (d.RequestType == BodyType.CertConf) d.Header = d.Header with { RecipNonce = RandomNumberGenerator.GetBytes(16) }; },
        });

    [Fact]
    public async Task C30_implicit_confirm_granted_means_no_certconf()
    {
        var server = new ScriptedCmpServer { GrantImplicitConfirm = true };
        var result = await Client(server, MacOptions(server) with { ImplicitConfirm = true }).InitialEnrollAsync(Template(), Ct);
        Assert.True(result.ImplicitlyConfirmed);
        Assert.Single(server.Received);
    }

    [Fact]
    public async Task C30_implicit_confirm_asked_but_not_granted_still_confirms()
    {
        var server = new ScriptedCmpServer { GrantImplicitConfirm = false };
        var result = await Client(server, MacOptions(server) with { ImplicitConfirm = true }).InitialEnrollAsync(Template(), Ct);
        Assert.False(result.ImplicitlyConfirmed);
        Assert.Equal(2, server.Received.Count);
    }

    // ---- C22, C31-C33 -----------------------------------------------------------------------
    [Fact]
    public async Task C22_waiting_then_polling_succeeds()
    {
        var server = new ScriptedCmpServer { PollCount = 3, CheckAfterSeconds = 0 };
        var result = await Client(server).InitialEnrollAsync(Template(), Ct);
        Assert.Equal([BodyType.Ir, BodyType.PollReq, BodyType.PollReq, BodyType.PollReq, BodyType.CertConf],
            server.Received.Select(m => (BodyType)m.Body.Type));
        Assert.Equal(server.Issued[0], result.Certificate);
    }

    [Fact]
    public Task C31_poll_rep_with_negative_check_after() =>
        FailsWith(CmpFailureReason.InvalidPollResponse, new ScriptedCmpServer
        {
            PollCount = 2,
            Mutate = d =>
            {
                if (d.RequestType == BodyType.PollReq)
                {
                    d.Body = new PkiBody(PkiBody.TYPE_POLL_REP, new PollRepContent(DerInteger.ValueOf(0), DerInteger.ValueOf(-1)));
                }
            },
        });

    [Fact]
    public Task C31_poll_rep_for_another_cert_req_id() =>
        FailsWith(CmpFailureReason.InvalidPollResponse, new ScriptedCmpServer
        {
            PollCount = 2,
            Mutate = d =>
            {
                if (d.RequestType == BodyType.PollReq)
                {
                    d.Body = new PkiBody(PkiBody.TYPE_POLL_REP, new PollRepContent(DerInteger.ValueOf(7), DerInteger.ValueOf(0)));
                }
            },
        });

    [Fact]
    public async Task C32_total_timeout_while_polling()
    {
        var server = new ScriptedCmpServer { PollCount = 100, CheckAfterSeconds = 3600 };
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var client = Client(server, MacOptions(server) with { TotalTimeout = TimeSpan.FromSeconds(30) }, time);
        var task = client.InitialEnrollAsync(Template(), Ct);
        for (int i = 0; i < 50 && !task.IsCompleted; i++)
        {
            await Task.Delay(20, Ct);
            time.Advance(TimeSpan.FromSeconds(10));
        }
        var e = await Assert.ThrowsAsync<CmpException>(() => task);
        Assert.Equal(CmpFailureReason.TotalTimeout, e.Reason);
        // ir, a pollReq, and one last poll at the deadline: never an hour's wait.
        Assert.InRange(server.Received.Count(m => m.Body.Type == (int)BodyType.PollReq), 1, 3);
    }

    [Fact]
    public async Task C33_second_waiting_status_sends_error_and_fails()
    {
        var server = new ScriptedCmpServer { PollCount = 1 };
        server.Mutate = d =>
        {
            if (d.RequestType == BodyType.PollReq)
            {
                d.Body = ScriptedCmpServer.CertRep(1, 0, PkiStatus.Waiting, null);
            }
        };
        await FailsWith(CmpFailureReason.UnexpectedWaiting, server);
        Assert.Equal(BodyType.Error, (BodyType)server.Received[^1].Body.Type);
    }
}
