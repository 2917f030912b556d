using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CmpKit.Server.Http;

/// <summary>
/// A stand-alone HTTP server (Kestrel) for one <see cref="CmpServer"/>: CMP over HTTP (RFC 9811) on one
/// address, port and path. Port 0 picks a free port; <see cref="Port"/> tells which after
/// <see cref="StartAsync"/>. Keep-alive and <c>Connection: close</c> are honoured as HTTP/1.1 (and 1.0) define.
/// </summary>
public sealed class CmpHttpHost : IAsyncDisposable
{
    private readonly CmpServer _server;
    private WebApplication? _app;
    private int _stopped;

    /// <summary>Creates the host; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <param name="server">The CMP engine.</param>
    /// <param name="address">The address to listen on (default 127.0.0.1).</param>
    /// <param name="port">The TCP port; 0 picks a free one.</param>
    /// <param name="path">The path answered (default <c>/pkix/</c>); other paths get 404.</param>
    /// <param name="options">Limits and hooks of the endpoint.</param>
    /// <exception cref="ArgumentOutOfRangeException">The port is not 0..65535.</exception>
    public CmpHttpHost(CmpServer server, IPAddress? address = null, int port = 0, string path = "/pkix/", CmpHttpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        _server = server;
        Address = address ?? IPAddress.Loopback;
        RequestedPort = port;
        var trimmed = (path ?? "").Trim('/');
        Path = trimmed.Length == 0 ? "/" : "/" + trimmed + "/";
        Options = options ?? new CmpHttpOptions();
    }

    /// <summary>The address listened on.</summary>
    public IPAddress Address { get; }

    /// <summary>The port asked for (0: any free port).</summary>
    public int RequestedPort { get; }

    /// <summary>The path answered, with leading and trailing slash (or just <c>/</c>).</summary>
    public string Path { get; }

    /// <summary>The endpoint's limits and hooks.</summary>
    public CmpHttpOptions Options { get; }

    /// <summary>The port actually listened on; 0 before <see cref="StartAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>The URL clients send to, e.g. <c>http://127.0.0.1:41234/pkix/</c>; valid after <see cref="StartAsync"/>.</summary>
    public Uri Uri => new(string.Create(CultureInfo.InvariantCulture,
        $"http://{(Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + Address + "]" : Address.ToString())}:{Port}{Path}"));

    /// <summary>Binds the socket and starts accepting connections.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    /// <exception cref="IOException">The address or port cannot be bound (e.g. in use).</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("the host is already started");
        }
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = Options.MaxRequestSize;
            k.Limits.RequestHeadersTimeout = Options.RequestTimeout;
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            k.Listen(Address, RequestedPort);
        });
        var app = builder.Build();
        app.UseRouting();
        app.MapCmp(Path, _server, Options);
        _app = app;
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var a in addresses)
        {
            if (Uri.TryCreate(a, UriKind.Absolute, out var u))
            {
                Port = u.Port;
                break;
            }
        }
    }

    /// <summary>Stops accepting connections and lets running requests finish (at most <paramref name="cancellationToken"/>'s time).</summary>
    /// <param name="cancellationToken">Ends the graceful shutdown early.</param>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_app is null || Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the host (with a five-second grace period) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is null)
        {
            return;
        }
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await StopAsync(grace.Token).ConfigureAwait(false);
        }
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
