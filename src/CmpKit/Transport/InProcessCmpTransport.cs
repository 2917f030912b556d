namespace CmpKit.Transport;

/// <summary>A transport that hands each request to a function in the same process (e.g. a mock CA).</summary>
public sealed class InProcessCmpTransport : ICmpTransport
{
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, Task<byte[]>> _handler;

    /// <summary>Creates the transport.</summary>
    /// <param name="handler">Receives the DER request and returns the DER response.</param>
    public InProcessCmpTransport(Func<ReadOnlyMemory<byte>, CancellationToken, Task<byte[]>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handler = handler;
    }

    /// <inheritdoc />
    public Task<byte[]> ExchangeAsync(ReadOnlyMemory<byte> request, CmpExchangeInfo info, CancellationToken cancellationToken) =>
        _handler(request, cancellationToken);
}
