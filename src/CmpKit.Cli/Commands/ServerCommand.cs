using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using CmpKit.Cli.Options;
using CmpKit.Server;
using CmpKit.Server.Http;
using Microsoft.Extensions.Logging;

namespace CmpKit.Cli.Commands;

/// <summary>
/// `cmpkit -port N ...`: the mock CA (OpenSSL's mock-server options, mapped by <see cref="MockServerSetup"/>)
/// served over HTTP, as `openssl cmp -port` does. Prints <c>ACCEPT host:port PID=n</c> on stdout once it
/// accepts connections, logs one line per message to stderr, and runs until SIGTERM/SIGINT, the caller's
/// token, or <c>-max_msgs</c> messages.
/// </summary>
/// <remarks>
/// Beyond OpenSSL 3.0: <c>-port</c> also takes <c>host:port</c> (e.g. <c>0.0.0.0:8080</c>, <c>[::1]:0</c>) to
/// choose the bind address (default 127.0.0.1), and <c>-path</c> chooses the path served (default
/// <c>pkix/</c>; other paths get 404).
/// </remarks>
internal sealed class ServerCommand
{
    private const string DefaultPath = "pkix/";

    private readonly ArgumentReader _r;
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly int _verbosity;
    private readonly ILogger _logger;

    public ServerCommand(CmpArguments args, TextWriter stdout, TextWriter stderr)
    {
        _r = new ArgumentReader(args);
        _out = stdout;
        _err = stderr;
        _verbosity = args.GetInt("verbosity") ?? 6;
        if (_verbosity is < 0 or > 8)
        {
            throw new CliException("-verbosity: must be between 0 and 8");
        }
        _logger = new ConsoleLogger(stderr, _verbosity);
    }

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var (address, port) = ParsePort(_r.String("port")!);
        if (_r.Flag("use_mock_srv"))
        {
            throw new CliException("cannot use both -port and -use_mock_srv");
        }
        // As openssl cmp: the server must be able to authenticate itself.
        if (!_r.IsSet("srv_secret") && !_r.IsSet("srv_cert"))
        {
            throw new CliException("server credentials (-srv_secret or -srv_cert with -srv_key) must be given for -port");
        }
        if (_r.IsSet("srv_secret") && _r.SecretBytes("srv_secret") is { Length: 0 })
        {
            throw new CliException("-srv_secret: the shared secret must not be empty");
        }
        if (_r.IsSet("srv_cert") != _r.IsSet("srv_key"))
        {
            throw new CliException("must give both -srv_cert and -srv_key options or neither");
        }
        if (_r.IsSet("cmd"))
        {
            _logger.LogWarning("-cmd is ignored when serving as mock server (-port)");
        }

        // The engine's own per-message lines are debug detail here; one summary line per message is logged below.
        var engineLogger = new ConsoleLogger(_err, _verbosity >= 7 ? _verbosity : Math.Min(_verbosity, 4));
        var setup = MockServerSetup.Create(_r, engineLogger);
        var server = setup.Server;
        var maxMessages = server.Options.MaxMessages;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var options = new CmpHttpOptions
        {
            OnExchange = e =>
            {
                _logger.LogInformation("{Remote} {Request} -> {Response}{Status} ({Elapsed} ms, transactionID {Tid})",
                    e.Remote, e.RequestType, e.ResponseType, e.Status.Length > 0 ? ": " + e.Status : "",
                    ((long)e.Elapsed.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), e.TransactionId);
                if (maxMessages > 0 && e.MessageCount >= maxMessages)
                {
                    _logger.LogInformation("handled {Count} messages (-max_msgs); stopping", e.MessageCount);
                    stop.Cancel();
                }
            },
        };
        var path = "/" + (_r.String("path") ?? DefaultPath).TrimStart('/');
        await using var host = new CmpHttpHost(server, address, port, path, options);
        try
        {
            await host.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new CliException($"-port: cannot listen on {Format(address, port)}: {e.Message}", e);
        }

        using var sigterm = Register(PosixSignal.SIGTERM, stop);
        using var sigint = Register(PosixSignal.SIGINT, stop);
        if (server.CertificateAuthority is { } ca && server.Options.RspCert is null)
        {
            _logger.LogInformation("issuing certificates with CA '{Ca}'", ca.Certificate.Subject);
        }
        _logger.LogInformation("serving CMP on {Uri}", host.Uri);
        // The line scripts and tests wait for, in openssl cmp's format; flushed at once.
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ACCEPT {Format(address, host.Port)} PID={Environment.ProcessId}"));
        _out.Flush();

        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await host.StopAsync(grace.Token).ConfigureAwait(false);
        _logger.LogInformation("mock server stopped after {Count} messages", server.MessageCount);
        return 0;
    }

    private static PosixSignalRegistration Register(PosixSignal signal, CancellationTokenSource stop) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true; // we stop gracefully ourselves
            stop.Cancel();
        });

    /// <summary>OpenSSL's <c>-port N</c>, or (an extension) <c>host:N</c> / <c>[v6]:N</c>.</summary>
    internal static (IPAddress Address, int Port) ParsePort(string text)
    {
        var address = IPAddress.Loopback;
        var portText = text.Trim();
        var colon = portText.LastIndexOf(':');
        if (colon >= 0)
        {
            var host = portText[..colon].Trim('[', ']');
            portText = portText[(colon + 1)..];
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.Length == 0)
            {
                address = IPAddress.Loopback;
            }
            else if (!IPAddress.TryParse(host, out address!))
            {
                throw new CliException($"-port: '{host}' is not an IP address to listen on");
            }
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            throw new CliException($"-port: '{text}' is not a port number (0..65535; 0 picks a free port)");
        }
        return (address, port);
    }

    private static string Format(IPAddress address, int port) =>
        (address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString())
        + ":" + port.ToString(CultureInfo.InvariantCulture);
}
