using BenchmarkDotNet.Attributes;
using CmpKit.Client;
using CmpKit.Server;
using CmpKit.Transport;

namespace CmpKit.Benchmarks;

/// <summary>
/// A whole ir + certConf transaction (ir/ip/certConf/pkiConf) with <see cref="CmpClient.InitialEnrollAsync"/>
/// against CmpServer with MockCertificateAuthority through <see cref="InProcessCmpTransport"/>: client and
/// server work of one transaction, no network. Every enrollment certifies the same pre-generated key (key
/// generation is not part of the transaction); the CA really issues a new certificate each time.
/// </summary>
/// <remarks>
/// <para>
/// The floor counts the operations both sides perform, read off the code path. Signature cases
/// (EcP256, Rsa2048), 6 signatures, 5 verifications, 2 hashes. Certification paths of the client's and the
/// server's certificates are validated in the first transaction and then remembered while valid
/// (ValidatedPathCache on both sides, and the server's table of validated signers), so they add no
/// verification to later transactions:
/// </para>
/// <list type="number">
/// <item>client, ir: POP signature with the new key (RequestBuilder.SignaturePop); protection signature with
/// the client key (MessageProtector.Protect).</item>
/// <item>server, ir: protection verified with the client certificate from extraCerts (CmpServer.CheckSignature);
/// POP verified (RequestReader.ReadCertRequest); certificate issued: one CA signature
/// (MockCertificateAuthority.IssueEncoded); ip protected: one server signature.</item>
/// <item>client, ip: protection verified with the server certificate (C18).</item>
/// <item>client, certConf: certHash (SHA-256 of the new certificate); protection signature with the client key.</item>
/// <item>server, certConf: protection verified; certHash compared (SHA-256); pkiConf protected: one server signature.</item>
/// <item>client, pkiConf: protection verified.</item>
/// </list>
/// <para>
/// Pbm: 2 PasswordBasedMacs and 6 HMACs: the base key of the ir's salt is derived by the client (to protect
/// the ir) and by the server (to check it); the client keeps that salt for the certConf (CmpClient's
/// Transaction) and CmpServer answers with the request's salt (MacProtectionSpec.Answering), so the ip,
/// certConf and pkiConf are protected and checked with the key both sides already have (PbmKeyMemo): an
/// HMAC each. Also 2 signatures (the POP, the CA issuing the certificate), 1 verification (the POP, by the
/// server), 2 hashes (certHash on both sides). No chain is built: MAC-protected responses carry no
/// certificates and the client has no trust anchors.
/// </para>
/// <para>
/// Not counted: random numbers (transactionID, nonces, salts, serial numbers) and the hashing inside
/// signatures (part of each signature operation), the chain of the result (EnrollmentResult.Chain is built
/// only when read; the benchmark does not read it), decoding certificates (neither the mock CA nor the
/// client parses the new certificate into an X509Certificate2 any more; the client decodes it with the message),
/// and making the POP key from the request's SubjectPublicKeyInfo (Protection/SubjectPublicKeys.cs, ~10 us). The
/// in-process server keeps issued certificates for revocation (up to 100,000) and its last 1,000 transactions;
/// the benchmark starts a new CmpServer every 1,000 transactions so that the tables do not grow over the run.
/// </para>
/// </remarks>
[MemoryDiagnoser]
public class TransactionBenchmarks : CaseBase
{
    private CmpServer _server = null!;
    private CmpClient _client = null!;
    private CertificateRequestTemplate _template = null!;
    private int _count;

    /// <inheritdoc />
    protected override void SetupCase()
    {
        _server = Scenario.NewServer();
        _client = new CmpClient(new InProcessCmpTransport((request, ct) => _server.HandleAsync(request, ct)), Scenario.ClientOptions);
        _template = Scenario.NewTemplate();
    }

    /// <summary>The floor: every signature, verification, MAC and hash of one transaction, client and server side.</summary>
    [Benchmark(Baseline = true)]
    public int Floor()
    {
        var o = Ops;
        int n = 0;
        if (Scenario.IsMac)
        {
            n += o.Sign(o.NewKey, o.PopInput).Length;      // client: POP
            n += o.Pbm(o.IrPart).Length;                    // client: ir protection
            n += o.Pbm(o.IrPart).Length;                    // server: ir verification
            n += o.VerifyPop() ? 1 : 0;                     // server: POP
            n += o.IssueCertificate().Length;               // server: CA signs the certificate
            n += o.PbmWithKnownKey(o.IpPart).Length;        // server: ip protection (the ir's salt and key)
            n += o.PbmWithKnownKey(o.IpPart).Length;        // client: ip verification (its ir's key)
            n += o.CertHash().Length;                       // client: certHash
            n += o.PbmWithKnownKey(o.CertConfPart).Length;  // client: certConf protection (the ir's salt and key)
            n += o.PbmWithKnownKey(o.CertConfPart).Length;  // server: certConf verification (the ir's key)
            n += o.CertHash().Length;                       // server: certHash check
            n += o.PbmWithKnownKey(o.PkiConfPart).Length;   // server: pkiConf protection (the same salt and key)
            n += o.PbmWithKnownKey(o.PkiConfPart).Length;   // client: pkiConf verification (the same key)
            return n;
        }
        n += o.Sign(o.NewKey, o.PopInput).Length;                               // client: POP
        n += o.Sign(o.ClientKey, o.IrPart).Length;                              // client: ir protection
        n += o.Verify(o.ClientPublic, o.IrPart, o.IrSignature) ? 1 : 0;         // server: ir protection
        n += o.VerifyPop() ? 1 : 0;                                             // server: POP
        n += o.IssueCertificate().Length;                                       // server: CA signs the certificate
        n += o.Sign(o.ServerKey, o.IpPart).Length;                              // server: ip protection
        n += o.Verify(o.ServerPublic, o.IpPart, o.IpSignature) ? 1 : 0;         // client: ip protection
        n += o.CertHash().Length;                                               // client: certHash
        n += o.Sign(o.ClientKey, o.CertConfPart).Length;                        // client: certConf protection
        n += o.Verify(o.ClientPublic, o.CertConfPart, o.CertConfSignature) ? 1 : 0; // server: certConf protection
        n += o.CertHash().Length;                                               // server: certHash check
        n += o.Sign(o.ServerKey, o.PkiConfPart).Length;                         // server: pkiConf protection
        n += o.Verify(o.ServerPublic, o.PkiConfPart, o.PkiConfSignature) ? 1 : 0; // client: pkiConf protection
        return n;
    }

    /// <summary>CmpKit: one ir + certConf transaction, client and in-process server.</summary>
    [Benchmark]
    public async Task<EnrollmentResult> IrCertConf()
    {
        if (++_count % 1000 == 0)
        {
            _server = Scenario.NewServer(); // bound the server's tables (issued certificates, transactions)
        }
        return await _client.InitialEnrollAsync(_template).ConfigureAwait(false);
    }
}
