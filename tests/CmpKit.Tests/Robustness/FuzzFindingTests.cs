using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Transport;
using CmpKit.Fuzzing;
using CmpKit.Messages;
using CmpKit.Tests.Support;
using CmpKit.Tests.Validation;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Tests.Robustness;

/// <summary>
/// Regression tests for what fuzzing found (docs/robustness.md, "Findings"). Each input is the
/// finding reduced by hand to the structure that triggers it, embedded as base64: before the fix
/// BouncyCastle's lazily parsed body content threw ArgumentException, InvalidOperationException or
/// DecoderFallbackException out of the client's body checks instead of CmpException.
/// </summary>
public class FuzzFindingTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    // Header used by the inputs: SEQUENCE { pvno 2, sender [4] {} (NULL-DN), recipient [4] {} }.
    //   30 0B 02 01 02 A4 02 30 00 A4 02 30 00

    /// <summary>
    /// F1 (fuzz/decode, 2026-11-27): ip whose CertResponse has an OCTET STRING where PKIStatusInfo belongs:
    /// 30 1A [header] A1 0B 30 09 30 07 30 05 02 01 00 04 00.
    /// </summary>
    public const string IpWithOctetStringStatus = "MBowCwIBAqQCMACkAjAAoQswCTAHMAUCAQAEAA==";

    /// <summary>F2 (fuzz/decode, 2026-11-27): ip with an empty CertResponse (BouncyCastle: "Bad sequence size: 0"): ... A1 06 30 04 30 02 30 00.</summary>
    public const string IpWithEmptyCertResponse = "MBUwCwIBAqQCMACkAjAAoQYwBDACMAA=";

    /// <summary>F3 (fuzz/decode found a DecoderFallbackException from a free text with invalid UTF-8; reduced to the place the client reads one): error whose statusString holds the byte FF: ... B7 0C 30 0A 30 08 02 01 02 30 03 0C 01 FF.</summary>
    public const string ErrorWithInvalidUtf8Text = "MBswCwIBAqQCMACkAjAAtwwwCjAIAgECMAMMAf8=";

    public static TheoryData<string, string> Inputs => new()
    {
        { nameof(IpWithOctetStringStatus), IpWithOctetStringStatus },
        { nameof(IpWithEmptyCertResponse), IpWithEmptyCertResponse },
        { nameof(ErrorWithInvalidUtf8Text), ErrorWithInvalidUtf8Text },
    };

    /// <summary>The decode target (PkiMessageCodec.Decode and every reader) lets only CmpException out.</summary>
    [Theory]
    [MemberData(nameof(Inputs))]
    public void Decode_target_has_no_finding(string name, string base64)
    {
        var ex = Record.Exception(() => FuzzTargets.DecodeMessage(Convert.FromBase64String(base64)));
        Assert.True(ex is null, $"{name}: {ex}");
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Client_target_has_no_finding(string name, string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        foreach (byte mode in new byte[] { 0x00, 0x04, 0x0c, 0x05, 0x06 })
        {
            var ex = Record.Exception(() => FuzzTargets.ClientResponse([mode, .. bytes]));
            Assert.True(ex is null, $"{name}, mode {mode}: {ex}");
        }
    }

    /// <summary>The body of each input, MAC-protected by the scripted server with the right header: the client fails with MalformedResponse.</summary>
    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Protected_response_with_that_body_fails_the_client_with_MalformedResponse(string name, string base64)
    {
        var message = Asn1Sequence.GetInstance(Convert.FromBase64String(base64));
        var body = Asn1TaggedObject.GetInstance(message[1]);
        var server = new ScriptedCmpServer
        {
            Mutate = d =>
            {
                if (d.RequestType == BodyType.Ir)
                {
                    d.Body = new PkiBody(body.TagNo, body.GetExplicitBaseObject());
                }
            },
        };
        var e = await Assert.ThrowsAsync<CmpException>(() => ResponseCheckTests.Client(server).InitialEnrollAsync(ResponseCheckTests.Template(), Ct));
        Assert.True(e.Reason == CmpFailureReason.MalformedResponse, $"{name}: {e.Reason}: {e.Message}");
    }

    /// <summary>
    /// F4 (fuzz/decode, from the seed corpus itself: RustCrypto's recorded kup/cp carry a v1 certificate):
    /// BouncyCastle's CMPCertificate refuses v1 certificates with ArgumentException, which escaped the
    /// client's C23/C26 checks. The message still decodes (the recorded vectors verify); the client now
    /// fails with MalformedResponse.
    /// </summary>
    [Fact]
    public async Task Ip_with_a_v1_certificate_fails_the_client_with_MalformedResponse()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var tbs = new V1TbsCertificateGenerator();
        tbs.SetSerialNumber(DerInteger.ValueOf(1));
        tbs.SetIssuer(new X509Name("CN=v1 issuer"));
        tbs.SetSubject(new X509Name("CN=leaf"));
        tbs.SetStartDate(new Time(DateTime.UtcNow.AddDays(-1)));
        tbs.SetEndDate(new Time(DateTime.UtcNow.AddDays(1)));
        var alg = new AlgorithmIdentifier(new DerObjectIdentifier("1.2.840.10045.4.3.2"));
        tbs.SetSignature(alg);
        tbs.SetSubjectPublicKeyInfo(SubjectPublicKeyInfo.GetInstance(key.ExportSubjectPublicKeyInfo()));
        var v1Cert = new DerSequence(tbs.GenerateTbsCertificate(), alg, new DerBitString(new byte[8]));
        var response = new DerSequence(DerInteger.ValueOf(0), new DerSequence(DerInteger.ValueOf(0)),
            new DerSequence(new DerTaggedObject(true, 0, v1Cert)));
        var ip = new PkiBody(PkiBody.TYPE_INIT_REP, new DerSequence(new DerSequence(response)));

        var server = new ScriptedCmpServer { Mutate = d => { if (d.RequestType == BodyType.Ir) d.Body = ip; } };
        var e = await Assert.ThrowsAsync<CmpException>(() => ResponseCheckTests.Client(server).InitialEnrollAsync(ResponseCheckTests.Template(key), Ct));
        Assert.Equal(CmpFailureReason.MalformedResponse, e.Reason);
    }

    /// <summary>
    /// F5 (fuzz/client, raw mode): a sender that is not a directoryName ([3] x400Address holding a Name
    /// whose CN is a UTF8String with invalid UTF-8): C5's error message called GeneralName.ToString, which
    /// threw DecoderFallbackException. Header: pvno 2, sender A3 11 30 0F 31 0D 30 0B 06 03 55 04 03
    /// 0C 04 FA 00 00 FA, recipient NULL-DN; body pkiConf.
    /// </summary>
    public const string SenderWithInvalidUtf8 = "MCAwGgIBAqMRMA8xDTALBgNVBAMMBPoAAPqkAjAAswIFAA==";

    [Fact]
    public async Task Sender_with_invalid_utf8_fails_C5_with_its_own_reason()
    {
        var bytes = Convert.FromBase64String(SenderWithInvalidUtf8);
        var client = new CmpClient(new InProcessCmpTransport((_, _) => Task.FromResult(bytes)), ResponseCheckTests.MacOptions(new ScriptedCmpServer()));
        var e = await Assert.ThrowsAsync<CmpException>(() => client.InitialEnrollAsync(ResponseCheckTests.Template(), Ct));
        Assert.Equal(CmpFailureReason.SenderNotDirectoryName, e.Reason);
        Assert.Null(Record.Exception(() => FuzzTargets.ClientResponse([0x00, .. bytes])));
    }

    /// <summary>
    /// F6 (fuzz/client): a MAC-protected response whose protection BIT STRING has unused bits: the MAC check
    /// called GetOctets first, which threw IOException. Now decoding refuses it (MalformedResponse).
    /// </summary>
    [Fact]
    public async Task Protection_bit_string_with_unused_bits_is_MalformedResponse()
    {
        var server = new ScriptedCmpServer
        {
            Mutate = d => d.AfterProtection = m => new PkiMessage(m.Header, m.Body, new DerBitString(m.Protection.GetOctets(), 5), m.GetExtraCerts()),
        };
        var e = await Assert.ThrowsAsync<CmpException>(() => ResponseCheckTests.Client(server).InitialEnrollAsync(ResponseCheckTests.Template(), Ct));
        Assert.Equal(CmpFailureReason.MalformedResponse, e.Reason);
    }

    /// <summary>
    /// F7 (fuzz/server: a signature-protected request whose extraCerts held a certificate with a corrupt
    /// SubjectKeyIdentifier extension made the server fail internally with CryptographicException; the
    /// client shares SenderCertificateValidator). A candidate with the sender's subject and a corrupt SKID
    /// comes first in extraCerts: it is skipped and the real signer is found.
    /// </summary>
    [Fact]
    public async Task Candidate_with_a_corrupt_subject_key_identifier_is_skipped()
    {
        var server = new ScriptedCmpServer(signResponses: true);
        using var bogusKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(server.Signer.Certificate.SubjectName, bogusKey, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509Extension("2.5.29.14", [0x04, 0x7F, 0x01], false)); // OCTET STRING claiming 127 bytes
        using var bogus = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var realSkid = server.Signer.Certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.ToArray();
        server.Mutate = d =>
        {
            d.Header = d.Header with { SenderKid = realSkid };
            d.AfterProtection = m => new PkiMessage(m.Header, m.Body, m.Protection,
                [Certificates.ToCmp(bogus), .. m.GetExtraCerts() ?? []]);
        };
        var result = await ResponseCheckTests.Client(server).InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        Assert.NotNull(result.Certificate);
    }

    /// <summary>
    /// F8 (fuzz/client, unprotected-errors mode): an unprotected ip whose CertResponse does not parse; the
    /// check for "a single rejected response may be unprotected" threw ArgumentException. Now: MissingProtection.
    /// </summary>
    [Fact]
    public async Task Unprotected_ip_with_a_malformed_CertResponse_is_MissingProtection()
    {
        var body = Asn1TaggedObject.GetInstance(Asn1Sequence.GetInstance(Convert.FromBase64String(IpWithOctetStringStatus))[1]);
        var server = new ScriptedCmpServer
        {
            Mutate = d => { d.Body = new PkiBody(body.TagNo, body.GetExplicitBaseObject()); d.Protection = null; },
        };
        var options = ResponseCheckTests.MacOptions(server) with { UnprotectedErrors = true };
        var e = await Assert.ThrowsAsync<CmpException>(() => ResponseCheckTests.Client(server, options).InitialEnrollAsync(ResponseCheckTests.Template(), Ct));
        Assert.Equal(CmpFailureReason.MissingProtection, e.Reason);
    }

    /// <summary>
    /// F9 (fuzz/client): the new certificate's signatureAlgorithm is RSASSA-PSS with NULL parameters; building
    /// the certConf's certHash threw ArgumentException. Now: MalformedResponse.
    /// </summary>
    [Fact]
    public async Task New_certificate_with_unreadable_signature_algorithm_is_MalformedResponse()
    {
        var server = new ScriptedCmpServer();
        server.Mutate = d =>
        {
            if (d.RequestType != BodyType.Ir)
            {
                return;
            }
            var cert = X509CertificateStructure.GetInstance(ScriptedCmpServer.CertificateOf(d.Body).RawData);
            var pssWithNull = new AlgorithmIdentifier(new DerObjectIdentifier("1.2.840.113549.1.1.10"), DerNull.Instance);
            // Both signature fields (the TBS one, which .NET reports, and the outer one) say RSASSA-PSS with NULL.
            var tbs = Asn1Sequence.GetInstance(cert.TbsCertificate.ToAsn1Object()).ToArray();
            tbs[2] = pssWithNull; // [0] version, serialNumber, signature, ...
            var odd = X509CertificateLoader.LoadCertificate(new DerSequence(new DerSequence(tbs), pssWithNull, cert.Signature).GetEncoded(Asn1Encodable.Der));
            d.Body = ScriptedCmpServer.CertRep(PkiBody.TYPE_INIT_REP, 0, PkiStatus.Accepted, odd);
        };
        var e = await Assert.ThrowsAsync<CmpException>(() => ResponseCheckTests.Client(server).InitialEnrollAsync(ResponseCheckTests.Template(), Ct));
        Assert.Equal(CmpFailureReason.MalformedResponse, e.Reason);
    }
}
