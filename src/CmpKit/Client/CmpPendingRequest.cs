using System.Diagnostics.CodeAnalysis;

namespace CmpKit.Client;

/// <summary>
/// A certificate request the server has not answered yet (delayed delivery, RFC 9810, section 5.3.22):
/// the state of the non-blocking form (OpenSSL's OSSL_CMP_try_certreq). The caller holds it, waits at
/// least <see cref="CheckAfter"/>, and then calls <see cref="CmpClient.ContinueRequestAsync"/> with it,
/// or ends the transaction with <see cref="CmpClient.AbortRequestAsync"/>. One call at a time; once the
/// transaction has ended (result, failure or abort) it cannot be used again.
/// </summary>
public sealed class CmpPendingRequest
{
    private const int Waiting = 0, Busy = 1, Ended = 2;
    private int _state = Busy;

    internal CmpPendingRequest(CmpClient client, CmpClient.Operation operation, CertificateRequestKind kind)
    {
        Client = client;
        Operation = operation;
        Kind = kind;
    }

    internal CmpClient Client { get; }
    internal CmpClient.Operation Operation { get; }

    /// <summary>The kind of certificate request.</summary>
    public CertificateRequestKind Kind { get; }

    /// <summary>The transactionID of the pending transaction.</summary>
    public ReadOnlyMemory<byte> TransactionId => Operation.Tx.State.TransactionId;

    /// <summary>How long the server asked the client to wait before polling again (the pollRep's checkAfter, capped by what is left of the total timeout).</summary>
    public TimeSpan CheckAfter { get; private set; }

    /// <summary>When the client should poll again: the time of the pollRep plus <see cref="CheckAfter"/>.</summary>
    public DateTimeOffset NextPollTime { get; private set; }

    /// <summary>Whether the request is still waiting for the caller to continue or abort it.</summary>
    public bool IsPending => Volatile.Read(ref _state) == Waiting;

    /// <summary>Whether the transaction has ended (result, failure or abort).</summary>
    public bool HasEnded => Volatile.Read(ref _state) == Ended;

    internal void Enter()
    {
        var previous = Interlocked.CompareExchange(ref _state, Busy, Waiting);
        if (previous != Waiting)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions,
                previous == Busy ? "the pending request is being continued or aborted by another call" : "the pending request's transaction has already ended",
                transactionId: TransactionId);
        }
    }

    internal void Wait(TimeSpan checkAfter, DateTimeOffset next)
    {
        CheckAfter = checkAfter;
        NextPollTime = next;
        Volatile.Write(ref _state, Waiting);
    }

    internal void End() => Volatile.Write(ref _state, Ended);
}

/// <summary>The outcome of one step of the non-blocking certificate request: the result, or a pending request.</summary>
public sealed class CmpRequestProgress
{
    internal CmpRequestProgress(EnrollmentResult result) => Result = result;

    internal CmpRequestProgress(CmpPendingRequest pending) => Pending = pending;

    /// <summary>The result, when the transaction has completed.</summary>
    public EnrollmentResult? Result { get; }

    /// <summary>The pending request, when the server asked the client to check back later.</summary>
    public CmpPendingRequest? Pending { get; }

    /// <summary>Whether the server asked the client to check back later (then <see cref="Pending"/> is set, else <see cref="Result"/>).</summary>
    [MemberNotNullWhen(true, nameof(Pending))]
    [MemberNotNullWhen(false, nameof(Result))]
    public bool IsPending => Pending is not null;
}
