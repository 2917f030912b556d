using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using CmpKit.Cli;
using CmpKit.Cli.Commands;
using CmpKit.Cli.Options;
using CmpKit.Client;
using CmpKit.Tests.Support;
using CmpKit.Transport;

namespace CmpKit.Tests.Server.Http;

/// <summary><c>cmpkit -port</c> in process: the ACCEPT line, one log line per message, stopping, and argument errors.</summary>
public partial class ServerCommandTests
{
    private const int TimeoutMs = 30_000;

    [Theory]
    [InlineData("0", "127.0.0.1", 0)]
    [InlineData("8080", "127.0.0.1", 8080)]
    [InlineData("0.0.0.0:81", "0.0.0.0", 81)]
    [InlineData("[::1]:0", "::1", 0)]
    [InlineData("localhost:5000", "127.0.0.1", 5000)]
    public void Port_takes_a_port_or_an_address_and_port(string text, string address, int port)
    {
        var (a, p) = ServerCommand.ParsePort(text);

        Assert.Equal(IPAddress.Parse(address), a);
        Assert.Equal(port, p);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("70000")]
    [InlineData("-1")]
    [InlineData("example.com:80")]
    public void Bad_ports_are_one_line_errors(string text)
    {
        var e = Assert.Throws<CliException>(() => ServerCommand.ParsePort(text));
        Assert.StartsWith("-port:", e.Message, StringComparison.Ordinal);
    }

    [Theory(Timeout = TimeoutMs)]
    [InlineData(new[] { "-port", "0" }, "-srv_secret or -srv_cert")]
    [InlineData(new[] { "-port", "0", "-srv_secret", "pass:" }, "must not be empty")]
    [InlineData(new[] { "-port", "0", "-srv_secret", "pass:x", "-use_mock_srv" }, "-use_mock_srv")]
    public async Task Missing_or_conflicting_options_fail_with_one_line(string[] args, string expected)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var exit = await Program.RunAsync(["-config", "", .. args], stdout, stderr, TestContext.Current.CancellationToken);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout.ToString());
        var line = Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), l => !l.Contains("warning", StringComparison.Ordinal));
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact(Timeout = TimeoutMs)]
    public async Task Serves_until_cancelled_printing_ACCEPT_and_one_line_per_message()
    {
        var ct = TestContext.Current.CancellationToken;
        var stdout = new LineWriter();
        var stderr = new LineWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var run = Program.RunAsync(["-config", "", "-port", "0", "-srv_secret", "pass:cli secret"], stdout, stderr, stop.Token);
        var accept = await stdout.WaitForAsync(AcceptLine(), TimeSpan.FromSeconds(15), ct);
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), accept.Groups["pid"].Value);
        var port = int.Parse(accept.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var client = new CmpClient(new HttpCmpTransport(http, new Uri($"http://127.0.0.1:{port}/pkix/")),
            new CmpClientOptions { MacCredentials = new CmpMacCredentials(Encoding.UTF8.GetBytes("cli secret"), "r"u8.ToArray()) });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = await client.InitialEnrollAsync(new CertificateRequestTemplate { NewKey = key, Subject = new X500DistinguishedName("CN=cli") }, ct);
        Assert.Equal("CN=cli", result.Certificate.Subject);

        stop.Cancel();
        Assert.Equal(0, await run);
        var log = stderr.ToString();
        Assert.Matches(@"cmpkit: info: 127\.0\.0\.1:\d+ ir -> ip: accepted \(\d+ ms, transactionID [0-9a-f]+\)", log);
        Assert.Matches(@"cmpkit: info: 127\.0\.0\.1:\d+ certConf -> pkiconf", log);
        Assert.Contains("stopped after 2 messages", log, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^ACCEPT 127\.0\.0\.1:(?<port>\d+) PID=(?<pid>\d+)$")]
    private static partial Regex AcceptLine();
}
