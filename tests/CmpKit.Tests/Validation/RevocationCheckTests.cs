using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Tests.Support;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Tests.Validation;

/// <summary>C34 (what an rr carries) and C35 (every rule for the rp), each broken once.</summary>
public class RevocationCheckTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static (ScriptedCmpServer Server, X509Certificate2 Cert) Setup(Func<PkiMessage, PkiBody>? rp = null)
    {
        var server = new ScriptedCmpServer { RrAnswer = rp };
        return (server, TestPki.IssueWithKey(server.Ca, "CN=to revoke").Certificate);
    }

    private static RevDetails SentDetails(ScriptedCmpServer server) =>
        RevReqContent.GetInstance(server.Received[0].Body.Content).ToRevDetailsArray().Single();

    private static async Task<CmpException> FailsWith(CmpFailureReason reason, ScriptedCmpServer server, X509Certificate2 cert)
    {
        var e = await Assert.ThrowsAsync<CmpException>(() => ResponseCheckTests.Client(server).RevokeAsync(cert, null, Ct));
        Assert.Equal(reason, e.Reason);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public async Task Revoke_certificate_sends_issuer_serial_and_reason()
    {
        var (server, cert) = Setup();
        var result = await ResponseCheckTests.Client(server).RevokeAsync(cert, X509RevocationReason.Superseded, Ct);
        Assert.Equal(PkiStatus.Accepted, result.Status.Status);
        Assert.Empty(result.Warnings);
        Assert.Equal([BodyType.Rr], server.Received.Select(m => (BodyType)m.Body.Type));
        var details = SentDetails(server);
        Assert.Equal(cert.IssuerName.RawData, details.CertDetails.Issuer.GetEncoded(Asn1Encodable.Der));
        Assert.Equal(new BigInteger(cert.SerialNumberBytes.Span, isUnsigned: true, isBigEndian: true).ToString(),
            details.CertDetails.SerialNumber.Value.ToString());
        var reason = details.CrlEntryDetails.GetExtension(X509Extensions.ReasonCode);
        Assert.False(reason.IsCritical);
        Assert.Equal(4, DerEnumerated.GetInstance(reason.GetParsedValue()).IntValueExact);
        // sender: the certificate's subject (MAC protection, no client certificate); recipient: its issuer.
        Assert.Equal(cert.SubjectName.RawData, Names.DirectoryName(server.Received[0].Header.Sender)!.GetEncoded(Asn1Encodable.Der));
        Assert.Equal(cert.IssuerName.RawData, Names.DirectoryName(server.Received[0].Header.Recipient)!.GetEncoded(Asn1Encodable.Der));
    }

    [Fact]
    public async Task Revoke_with_signature_credentials_is_sent_by_the_client_certificate()
    {
        var (server, cert) = Setup();
        server.SignResponses = true;
        var client = TestPki.IssueWithKey(server.Ca, "CN=Client");
        var options = ResponseCheckTests.MacOptions(server) with
        {
            MacCredentials = null,
            SignatureCredentials = new CmpSignatureCredentials(client.Certificate, client.Key),
        };
        await ResponseCheckTests.Client(server, options).RevokeAsync(cert, null, Ct);
        var header = server.Received[0].Header;
        Assert.Equal(client.Certificate.SubjectName.RawData, Names.DirectoryName(header.Sender)!.GetEncoded(Asn1Encodable.Der));
        Assert.NotNull(server.Received[0].Protection);
        Assert.Equal(client.Certificate, Certificates.ToDotNet(server.Received[0].GetExtraCerts()[0]));
    }

    [Fact]
    public async Task Revoke_without_reason_sends_no_crl_entry_details()
    {
        var (server, cert) = Setup();
        await ResponseCheckTests.Client(server).RevokeAsync(cert, null, Ct);
        Assert.Null(SentDetails(server).CrlEntryDetails);
    }

    [Fact]
    public async Task Revoke_by_issuer_and_serial()
    {
        var (server, _) = Setup();
        await ResponseCheckTests.Client(server).RevokeAsync(new X500DistinguishedName("CN=Some CA"), new BigInteger(0x1234_5678), X509RevocationReason.CessationOfOperation, Ct);
        var details = SentDetails(server);
        Assert.Equal(new X500DistinguishedName("CN=Some CA").RawData, details.CertDetails.Issuer.GetEncoded(Asn1Encodable.Der));
        Assert.Equal(0x1234_5678, details.CertDetails.SerialNumber.IntValueExact);
    }

    [Fact]
    public async Task Revoke_the_key_of_a_csr_sends_subject_and_public_key()
    {
        var (server, _) = Setup();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=csr subject", key, HashAlgorithmName.SHA256).CreateSigningRequest();
        await ResponseCheckTests.Client(server).RevokePkcs10KeyAsync(csr, X509RevocationReason.KeyCompromise, Ct);
        var template = SentDetails(server).CertDetails;
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), template.PublicKey.GetEncoded(Asn1Encodable.Der));
        Assert.Equal(new X500DistinguishedName("CN=csr subject").RawData, template.Subject.GetEncoded(Asn1Encodable.Der));
        Assert.Null(template.SerialNumber);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(-1)]
    public async Task C34_reason_codes_outside_0_to_10_or_7_are_refused_before_sending(int code)
    {
        var (server, cert) = Setup();
        var e = await Assert.ThrowsAsync<CmpException>(() => ResponseCheckTests.Client(server).RevokeAsync(cert, (X509RevocationReason)code, Ct));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
        Assert.Empty(server.Received);
    }

    [Fact]
    public async Task C34_negative_serial_is_refused()
    {
        var (server, _) = Setup();
        var e = await Assert.ThrowsAsync<CmpException>(() => ResponseCheckTests.Client(server).RevokeAsync(new X500DistinguishedName("CN=CA"), BigInteger.MinusOne, null, Ct));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public Task C35_not_exactly_one_status(int count)
    {
        var (server, cert) = Setup(_ => ScriptedCmpServer.Rp(PkiStatus.Accepted, statusCount: count));
        return FailsWith(CmpFailureReason.InvalidRevocationResponse, server, cert);
    }

    [Fact]
    public async Task C35_rejection_fails_with_the_server_status()
    {
        var (server, cert) = Setup(_ => ScriptedCmpServer.Rp(PkiStatus.Rejection, PkiFailureInfo.BadCertId));
        var e = await FailsWith(CmpFailureReason.RequestRejected, server, cert);
        Assert.Equal(PkiFailureInfo.BadCertId, e.ServerStatus!.FailureInfo);
    }

    [Theory]
    [InlineData(PkiStatus.RevocationWarning)]
    [InlineData(PkiStatus.RevocationNotification)]
    public async Task C35_revocation_warning_and_notification_succeed_with_an_already_revoked_warning(PkiStatus status)
    {
        var (server, cert) = Setup(_ => ScriptedCmpServer.Rp(status));
        var result = await ResponseCheckTests.Client(server).RevokeAsync(cert, null, Ct);
        Assert.Equal(status, result.Status.Status);
        Assert.Contains("already revoked", Assert.Single(result.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task C35_granted_with_mods_succeeds_with_a_warning()
    {
        var (server, cert) = Setup(_ => ScriptedCmpServer.Rp(PkiStatus.GrantedWithMods));
        var result = await ResponseCheckTests.Client(server).RevokeAsync(cert, null, Ct);
        Assert.Single(result.Warnings);
    }

    [Theory]
    [InlineData(PkiStatus.KeyUpdateWarning)]
    [InlineData((PkiStatus)9)]
    public Task C35_key_update_warning_or_unknown_status_fails(PkiStatus status)
    {
        var (server, cert) = Setup(_ => ScriptedCmpServer.Rp(status));
        return FailsWith(CmpFailureReason.UnexpectedStatus, server, cert);
    }

    [Fact]
    public async Task C35_waiting_rp_starts_polling()
    {
        var (server, cert) = Setup(_ => ScriptedCmpServer.Rp(PkiStatus.Waiting));
        server.Mutate = d =>
        {
            if (d.RequestType == BodyType.PollReq)
            {
                d.Body = ScriptedCmpServer.Rp(PkiStatus.Accepted);
            }
        };
        var result = await ResponseCheckTests.Client(server).RevokeAsync(cert, null, Ct);
        Assert.Equal(PkiStatus.Accepted, result.Status.Status);
        Assert.Equal([BodyType.Rr, BodyType.PollReq], server.Received.Select(m => (BodyType)m.Body.Type));
    }

    [Fact]
    public async Task C35_rev_certs_naming_the_certificate_pass()
    {
        var (server, cert) = Setup();
        server.RrAnswer = _ => ScriptedCmpServer.Rp(PkiStatus.Accepted, revCerts: [(server.Ca.Certificate, cert.SerialNumberBytes.ToArray())]);
        var result = await ResponseCheckTests.Client(server).RevokeAsync(cert, null, Ct);
        Assert.Equal(PkiStatus.Accepted, result.Status.Status);
    }

    [Fact]
    public async Task C35_rev_certs_with_another_serial()
    {
        var (server, cert) = Setup();
        server.RrAnswer = _ => ScriptedCmpServer.Rp(PkiStatus.Accepted, revCerts: [(server.Ca.Certificate, [0x01, 0x02])]);
        await FailsWith(CmpFailureReason.RevokedCertificateMismatch, server, cert);
    }

    [Fact]
    public async Task C35_rev_certs_with_another_issuer()
    {
        var (server, cert) = Setup();
        var other = TestPki.CreateRoot("CN=Other CA").Certificate;
        server.RrAnswer = _ => ScriptedCmpServer.Rp(PkiStatus.Accepted, revCerts: [(other, cert.SerialNumberBytes.ToArray())]);
        await FailsWith(CmpFailureReason.RevokedCertificateMismatch, server, cert);
    }

    [Fact]
    public async Task C35_two_rev_certs()
    {
        var (server, cert) = Setup();
        var entry = (server.Ca.Certificate, cert.SerialNumberBytes.ToArray());
        server.RrAnswer = _ => ScriptedCmpServer.Rp(PkiStatus.Accepted, revCerts: [entry, entry]);
        await FailsWith(CmpFailureReason.RevokedCertificateMismatch, server, cert);
    }

    [Fact]
    public async Task C35_empty_rev_certs_counts_as_absent_with_a_warning()
    {
        // OpenSSL 3.0's mock server answers rr with an empty revCerts SEQUENCE (docs/checks.md, C35)
        var (server, cert) = Setup();
        server.RrAnswer = _ => ScriptedCmpServer.Rp(PkiStatus.Accepted, revCerts: []);
        var result = await ResponseCheckTests.Client(server).RevokeAsync(cert, null, Ct);
        Assert.Equal(PkiStatus.Accepted, result.Status.Status);
        Assert.Contains(result.Warnings, w => w.Contains("revCerts is an empty list", StringComparison.Ordinal));
    }

    [Fact]
    public async Task C35_empty_rev_certs_does_not_hide_the_status()
    {
        var (server, cert) = Setup();
        server.RrAnswer = _ => ScriptedCmpServer.Rp(PkiStatus.Rejection, PkiFailureInfo.BadCertId, revCerts: []);
        var e = await FailsWith(CmpFailureReason.RequestRejected, server, cert);
        Assert.Equal(PkiStatus.Rejection, e.ServerStatus!.Status);

        var (server2, cert2) = Setup();
        server2.RrAnswer = _ => ScriptedCmpServer.Rp(PkiStatus.KeyUpdateWarning, revCerts: []);
        await FailsWith(CmpFailureReason.UnexpectedStatus, server2, cert2);
    }

    [Fact]
    public async Task C35_crls_with_exactly_one_crl_pass_and_two_fail()
    {
        var (server, cert) = Setup();
        var crl = GeneralMessageCheckTests.Crl(server.Ca);
        server.RrAnswer = _ => ScriptedCmpServer.Rp(PkiStatus.Accepted, crls: [crl]);
        await ResponseCheckTests.Client(server).RevokeAsync(cert, null, Ct);

        var (server2, cert2) = Setup();
        server2.RrAnswer = _ => ScriptedCmpServer.Rp(PkiStatus.Accepted, crls: [crl, crl]);
        await FailsWith(CmpFailureReason.InvalidRevocationResponse, server2, cert2);
    }

    [Fact]
    public async Task C08_unprotected_rejection_rp_only_with_unprotected_errors()
    {
        var (server, cert) = Setup(_ => ScriptedCmpServer.Rp(PkiStatus.Rejection));
        server.Mutate = d => d.Protection = null;
        await FailsWith(CmpFailureReason.MissingProtection, server, cert);
        var e = await Assert.ThrowsAsync<CmpException>(() =>
            ResponseCheckTests.Client(server, ResponseCheckTests.MacOptions(server) with { UnprotectedErrors = true }).RevokeAsync(cert, null, Ct));
        Assert.Equal(CmpFailureReason.RequestRejected, e.Reason);
    }
}
