using BenchmarkDotNet.Attributes;

namespace CmpKit.Benchmarks;

/// <summary>
/// What every benchmark class shares: one case per <see cref="Protection"/>, its PKI and options, one real
/// transaction recorded in setup, and the <see cref="CryptoFloor"/> built from that transaction's bytes.
/// Each class has one <c>Floor</c> method (the baseline: BenchmarkDotNet's Ratio column is then the
/// multiple of the floor) and the CmpKit method(s) it bounds.
/// </summary>
public abstract class CaseBase
{
    /// <summary>The protection (and key type) of the case.</summary>
    [Params(Protection.EcP256, Protection.Rsa2048, Protection.Pbm)]
    public Protection Protection { get; set; }

    internal Scenario Scenario { get; private set; } = null!;
    internal CryptoFloor Ops { get; private set; } = null!;

    /// <summary>Creates the case: PKI, one recorded transaction, the floor, then the class's own setup.</summary>
    [GlobalSetup]
    public void Setup()
    {
        Scenario = Scenario.Create(Protection);
        var recorded = Scenario.RecordTransactionAsync().GetAwaiter().GetResult();
        Ops = new CryptoFloor(Scenario, recorded);
        SetupCase();
    }

    /// <summary>The class's own setup, after the case exists.</summary>
    protected virtual void SetupCase()
    {
    }
}
