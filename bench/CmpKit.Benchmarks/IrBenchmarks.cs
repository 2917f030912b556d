using BenchmarkDotNet.Attributes;

namespace CmpKit.Benchmarks;

/// <summary>
/// Building and protecting an ir as CmpClient does before sending it (<see cref="ClientPath.BuildIr"/>:
/// export the new key's SubjectPublicKeyInfo, CertTemplate and CertRequest, POP signature, header with fresh
/// transactionID and senderNonce, protection, extraCerts, DER encoding).
/// </summary>
/// <remarks>
/// <para>The floor, read off the code path (RequestBuilder.CertificateRequest, MessageProtector.Protect):</para>
/// <list type="bullet">
/// <item>EcP256, Rsa2048: 2 signatures: the POP over the DER CertRequest with the new key
/// (RequestBuilder.SignaturePop), and the protection over ProtectedPart with the client's key
/// (SignatureProtectionSpec.Compute).</item>
/// <item>Pbm: 1 signature (the POP with the new EC P-256 key) and 1 PasswordBasedMac over ProtectedPart
/// (MacProtectionSpec.Compute: 500 SHA-256 iterations for the base key, then HMAC-SHA256).</item>
/// </list>
/// </remarks>
[MemoryDiagnoser]
public class IrBenchmarks : CaseBase
{
    private ClientPath _path = null!;

    /// <inheritdoc />
    protected override void SetupCase()
    {
        _path = new ClientPath(Scenario);
        _path.CheckMirrorsCmpClient().GetAwaiter().GetResult();
    }

    /// <summary>The floor: the signatures (and MAC) an ir needs, with the same keys over the same bytes.</summary>
    [Benchmark(Baseline = true)]
    public int Floor()
    {
        var pop = Ops.Sign(Ops.NewKey, Ops.PopInput);
        var protection = Scenario.IsMac ? Ops.Pbm(Ops.IrPart) : Ops.Sign(Ops.ClientKey, Ops.IrPart);
        return pop.Length + protection.Length;
    }

    /// <summary>CmpKit: build, protect and encode one ir.</summary>
    [Benchmark]
    public byte[] BuildAndProtectIr() => _path.BuildIr().Der;
}
