using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;

namespace CmpKit.Benchmarks;

/// <summary>
/// Parsing and validating an ip for a fixed request state, as CmpClient does before it confirms
/// (<see cref="ClientPath.DecodeAndValidateIp"/>): DER decoding (C1, C10), ResponseValidator (sender,
/// protection, pvno, transactionID, recipNonce, extraCerts: C5-C20), the body checks (C21-C26) and the
/// key check (C28). The ip is a real one from CmpServer (mock CA), captured once in setup for an ir built
/// by <see cref="ClientPath.BuildIr"/>.
/// </summary>
/// <remarks>
/// <para>The floor, read off the code path (ProtectionChecks.Validate, SenderCertificateValidator.Validate):</para>
/// <list type="bullet">
/// <item>EcP256, Rsa2048: 1 verification: the ip's protection with the server certificate found in
/// extraCerts (C18, ProtectionVerifier.VerifySignature). The server certificate's path (C20) was validated
/// with an X509Chain when the first ip came and is remembered while valid (ValidatedPathCache), so no
/// signature on it is verified again in this loop, as in a client's second and later transactions.</item>
/// <item>Pbm: 1 HMAC over the ip's ProtectedPart (C14, ProtectionVerifier.VerifyMac): CmpServer protects the
/// ip with the ir's salt, and the client derived that base key when it protected the ir (PbmKeyMemo), as in
/// every transaction with CmpServer (a server that picks a new salt costs one PasswordBasedMac more: the
/// figure of the ir's floor).</item>
/// </list>
/// </remarks>
[MemoryDiagnoser]
public class IpBenchmarks : CaseBase
{
    private ClientPath _path = null!;
    private ClientPath.Request _request;
    private byte[] _ip = null!;

    /// <inheritdoc />
    protected override void SetupCase()
    {
        _path = new ClientPath(Scenario);
        _request = _path.BuildIr();
        _ip = Scenario.NewServer().HandleAsync(_request.Der).GetAwaiter().GetResult();
        _ = _path.DecodeAndValidateIp(_ip, _request); // fails setup if the captured ip is not a valid answer
    }

    /// <summary>The floor: the verifications (or MAC) an ip needs, with the same keys over the same bytes.</summary>
    [Benchmark(Baseline = true)]
    public bool Floor() => Scenario.IsMac
        ? Ops.PbmWithKnownKey(Ops.IpPart).Length > 0
        : Ops.Verify(Ops.ServerPublic, Ops.IpPart, Ops.IpSignature);

    /// <summary>CmpKit: decode and validate the ip; returns the new certificate.</summary>
    [Benchmark]
    public byte[] DecodeAndValidateIp() => _path.DecodeAndValidateIp(_ip, _request);
}
