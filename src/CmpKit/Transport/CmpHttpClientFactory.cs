using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace CmpKit.Transport;

/// <summary>
/// TLS for CMP over HTTPS (RFC 9811, section 3.5; OpenSSL's -tls_* options): whom to trust for the
/// server's certificate, which host name it must carry, and the client's own TLS certificate.
/// </summary>
public sealed class CmpTlsOptions
{
    /// <summary>
    /// Trust anchors for the server's TLS certificate (OpenSSL's -tls_trusted); the chain is built with
    /// these as the only roots (custom root trust). Empty: the system's trust store.
    /// </summary>
    public X509Certificate2Collection TrustAnchors { get; init; } = [];

    /// <summary>Intermediate certificates that may help build the server's chain (OpenSSL's -untrusted).</summary>
    public X509Certificate2Collection UntrustedCertificates { get; init; } = [];

    /// <summary>
    /// The DNS name or IP address the server certificate must match (OpenSSL's -tls_host); null: the
    /// host of the server URI.
    /// </summary>
    public string? HostName { get; init; }

    /// <summary>
    /// Accept any server certificate without validation. OpenSSL's CLI does this when -tls_used is given
    /// without -tls_trusted (with a warning); it gives no protection against an active attacker.
    /// </summary>
    public bool AcceptAnyServerCertificate { get; init; }

    /// <summary>The client's TLS certificate with its private key (OpenSSL's -tls_cert and -tls_key), or null for none.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>Certificates sent with the client certificate to complete its chain (OpenSSL's -tls_extra and the rest of -tls_cert).</summary>
    public X509Certificate2Collection ClientCertificateChain { get; init; } = [];
}

/// <summary>
/// How requests reach the server through an HTTP proxy (OpenSSL's -proxy and -no_proxy, and the
/// environment variables http_proxy, https_proxy and no_proxy).
/// </summary>
public sealed class CmpProxyOptions
{
    /// <summary>The proxy, e.g. http://proxy.example:8080; null for a direct connection.</summary>
    public Uri? Proxy { get; init; }

    /// <summary>Server host names and addresses reached directly, not through the proxy (exact, case-insensitive).</summary>
    public IReadOnlyList<string> NoProxy { get; init; } = [];

    /// <summary>
    /// The proxy OpenSSL would use for <paramref name="server"/>: <paramref name="proxy"/> if given, else
    /// the environment's <c>http_proxy</c> (or <c>HTTP_PROXY</c>) without TLS, <c>https_proxy</c> (or
    /// <c>HTTPS_PROXY</c>) with TLS; none when the server's host is in <paramref name="noProxy"/> (else
    /// <c>no_proxy</c>, <c>NO_PROXY</c>), a list separated by commas and/or whitespace. A proxy given as
    /// host[:port] gets the scheme http:// and the port 80 (443 with https://); any path is ignored.
    /// </summary>
    /// <param name="server">The CMP server's URI.</param>
    /// <param name="proxy">The proxy option, or null for the environment's.</param>
    /// <param name="noProxy">The no-proxy option, or null for the environment's.</param>
    /// <param name="environment">Reads an environment variable (default <see cref="Environment.GetEnvironmentVariable(string)"/>).</param>
    /// <returns>The options.</returns>
    /// <exception cref="CmpException">The proxy is not a valid host[:port] (InvalidOptions).</exception>
    public static CmpProxyOptions FromOpenSslConventions(Uri server, string? proxy, string? noProxy, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        environment ??= Environment.GetEnvironmentVariable;
        bool tls = server.Scheme == Uri.UriSchemeHttps;
        proxy ??= tls ? environment("https_proxy") ?? environment("HTTPS_PROXY") : environment("http_proxy") ?? environment("HTTP_PROXY");
        noProxy ??= environment("no_proxy") ?? environment("NO_PROXY");
        var bypass = (noProxy ?? "").Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (string.IsNullOrWhiteSpace(proxy) || bypass.Any(h => string.Equals(h, server.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)))
        {
            return new CmpProxyOptions { NoProxy = bypass };
        }
        var text = proxy.Trim();
        var scheme = "http";
        if (text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            scheme = "https";
        }
        var rest = text.Contains("://", StringComparison.Ordinal) ? text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..] : text;
        rest = rest.Split('/', 2)[0];
        if (rest.Contains('@', StringComparison.Ordinal))
        {
            rest = rest[(rest.LastIndexOf('@') + 1)..]; // userinfo is ignored, as in OpenSSL
        }
        if (!Uri.TryCreate("http://" + rest, UriKind.Absolute, out var hostPort) || hostPort.Host.Length == 0)
        {
            throw new CmpException(CmpFailureReason.InvalidOptions, $"the proxy '{proxy}' is not [http[s]://]host[:port]");
        }
        int port = hostPort.IsDefaultPort && !rest.EndsWith(":80", StringComparison.Ordinal) ? (scheme == "https" ? 443 : 80) : hostPort.Port;
        // The proxy is always spoken to in plain HTTP (CONNECT for https servers), as OpenSSL does.
        return new CmpProxyOptions { Proxy = new UriBuilder("http", hostPort.Host, port).Uri, NoProxy = bypass };
    }
}

/// <summary>
/// Makes the <see cref="SocketsHttpHandler"/> for an <see cref="HttpClient"/> that <see cref="HttpCmpTransport"/>
/// uses: no redirects, TLS per <see cref="CmpTlsOptions"/>, proxy per <see cref="CmpProxyOptions"/>.
/// </summary>
public static class CmpHttpClientFactory
{
    /// <summary>Creates a handler; the caller owns it (wrap it in an <see cref="HttpClient"/> with an infinite timeout: the CMP client enforces its own).</summary>
    /// <param name="tls">TLS settings for https:// servers; null for the system's defaults.</param>
    /// <param name="proxy">Proxy settings; null for a direct connection (the system proxy is never used implicitly).</param>
    /// <param name="connectTimeout">The TCP (and proxy) connect timeout; default 30 seconds.</param>
    /// <returns>The handler.</returns>
    public static SocketsHttpHandler CreateHandler(CmpTlsOptions? tls = null, CmpProxyOptions? proxy = null, TimeSpan? connectTimeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(30),
            UseProxy = proxy?.Proxy is not null,
        };
        if (proxy?.Proxy is { } p)
        {
            handler.Proxy = new WebProxy(p) { BypassProxyOnLocal = false };
        }
        if (tls is not null)
        {
            handler.SslOptions = CreateSslOptions(tls);
        }
        return handler;
    }

    /// <summary>The client's TLS settings: server certificate validation and the client certificate (with its chain).</summary>
    /// <param name="tls">The TLS options.</param>
    /// <returns>Options for <see cref="SslStream"/> (the target host is filled in per connection by <see cref="SocketsHttpHandler"/>).</returns>
    public static SslClientAuthenticationOptions CreateSslOptions(CmpTlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        var options = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = CreateServerCertificateValidator(tls),
        };
        if (tls.ClientCertificate is { } clientCert)
        {
            if (!clientCert.HasPrivateKey)
            {
                throw new CmpException(CmpFailureReason.InvalidOptions, "the TLS client certificate has no private key");
            }
            options.ClientCertificateContext = SslStreamCertificateContext.Create(clientCert, tls.ClientCertificateChain, offline: true);
        }
        return options;
    }

    /// <summary>
    /// Validates the server's TLS certificate: a chain to <see cref="CmpTlsOptions.TrustAnchors"/> (custom
    /// root trust; the system store when empty), and the host name (<see cref="CmpTlsOptions.HostName"/>,
    /// else the name connected to) in its subject alternative names.
    /// </summary>
    /// <param name="tls">The TLS options.</param>
    /// <returns>The callback.</returns>
    public static RemoteCertificateValidationCallback CreateServerCertificateValidator(CmpTlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        return (sender, certificate, chain, errors) =>
        {
            if (tls.AcceptAnyServerCertificate)
            {
                return true;
            }
            if (certificate is null)
            {
                return false;
            }
            using var leaf = new X509Certificate2(certificate);
            var host = tls.HostName ?? (sender as SslStream)?.TargetHostName;
            if (host is null || !leaf.MatchesHostname(host.Trim('[', ']'), allowWildcards: true, allowCommonName: false))
            {
                return false;
            }
            if (tls.TrustAnchors.Count == 0)
            {
                return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None
                    && (tls.HostName is not null || errors == SslPolicyErrors.None);
            }
            using var x = new X509Chain();
            x.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            x.ChainPolicy.CustomTrustStore.AddRange(tls.TrustAnchors);
            x.ChainPolicy.ExtraStore.AddRange(tls.UntrustedCertificates);
            if (chain is not null)
            {
                foreach (var element in chain.ChainElements)
                {
                    x.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
            x.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            x.ChainPolicy.DisableCertificateDownloads = true;
            x.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")); // serverAuth, if EKU is present
            return x.Build(leaf);
        };
    }
}
