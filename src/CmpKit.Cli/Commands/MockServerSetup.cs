using CmpKit.Cli.Options;
using CmpKit.Server;

namespace CmpKit.Cli.Commands;

/// <summary>
/// The embedded mock CA for -use_mock_srv, configured from OpenSSL's -srv_* and -rsp_* options.
/// With no server credentials at all it runs "ephemeral": a fresh CA and a random secret that the
/// client side shares.
/// </summary>
internal static class MockServerSetup
{
    internal sealed record Result(CmpServer Server, bool Ephemeral, byte[]? SharedSecret);

    private static readonly string[] ServerCredentialOptions = ["srv_ref", "srv_secret", "srv_cert", "srv_key", "srv_trusted"];

    public static Result Create(ArgumentReader r, Microsoft.Extensions.Logging.ILogger logger)
    {
        bool clientHasCredentials = r.IsSet("secret") || r.IsSet("cert") || r.IsSet("key") || r.Flag("unprotected_requests");
        bool serverHasCredentials = ServerCredentialOptions.Any(r.IsSet);
        byte[]? sharedSecret = null;
        var srvSecret = r.SecretBytes("srv_secret");
        if (!serverHasCredentials && !clientHasCredentials)
        {
            // Ephemeral: nothing configured on either side, so both share a random secret.
            sharedSecret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            srvSecret = sharedSecret;
        }
        else if (srvSecret is { Length: 0 })
        {
            throw new CliException("-srv_secret: the mock server's shared secret must not be empty");
        }
        else if (srvSecret is null && !r.IsSet("srv_cert") && r.SecretBytes("secret") is { Length: > 0 } clientSecret)
        {
            // In process, the server may as well know the client's secret.
            srvSecret = clientSecret;
        }

        var srvKey = r.PrivateKey("srv_key", "srv_keypass", "mock server private key");
        var options = new MockCaOptions
        {
            // (ReadOnlyMemory<byte>?) casts: a null byte[] would otherwise become an empty, non-null memory.
            SrvRef = r.String("srv_ref") is { } sref ? System.Text.Encoding.UTF8.GetBytes(sref) : (ReadOnlyMemory<byte>?)null,
            SrvSecret = srvSecret is null ? null : (ReadOnlyMemory<byte>?)srvSecret,
            SrvCert = r.Cert("srv_cert", "mock server certificate", "srv_keypass"),
            SrvKey = srvKey,
            SrvTrusted = r.Certs("srv_trusted", "mock server trusted certificates"),
            SrvUntrusted = r.Certs("srv_untrusted", "mock server untrusted certificates"),
            RefCert = r.Cert("ref_cert", "mock server reference certificate"),
            RspCert = r.Cert("rsp_cert", "certificate for the mock server to return"),
            RspKey = r.PrivateKey("rsp_key", "rsp_keypass", "key for the mock server to return"),
            RspExtraCerts = r.Certs("rsp_extracerts", "mock server extra certificates"),
            RspCaPubs = r.Certs("rsp_capubs", "mock server caPubs certificates"),
            RspCrl = r.String("rsp_crl") is { } crl ? CredentialLoader.LoadCrl(crl, "CRL to be returned by the mock server") : (ReadOnlyMemory<byte>?)null,
            RspNewWithNew = r.Cert("rsp_newwithnew", "newWithNew certificate for the mock server to return"),
            RspNewWithOld = r.Cert("rsp_newwithold", "newWithOld certificate for the mock server to return"),
            RspOldWithNew = r.Cert("rsp_oldwithnew", "oldWithNew certificate for the mock server to return"),
            NoCacheExtraCerts = r.Flag("no_cache_extracerts"),
            PollCount = r.Int("poll_count") ?? 0,
            CheckAfter = r.Int("check_after") ?? 1,
            GrantImplicitConfirm = r.Flag("grant_implicitconf"),
            PkiStatus = r.Int("pkistatus") ?? -1,
            Failure = r.Int("failure") ?? -1,
            FailureBits = r.Int("failurebits") ?? 0,
            StatusString = r.String("statusstring"),
            SendError = r.Flag("send_error"),
            SendUnprotected = r.Flag("send_unprotected"),
            SendUnprotectedErrors = r.Flag("send_unprot_err"),
            AcceptUnprotected = r.Flag("accept_unprotected"),
            AcceptUnprotectedErrors = r.Flag("accept_unprot_err"),
            AcceptRaVerified = r.Flag("accept_raverified"),
            NoCheckTime = r.Flag("no_check_time"),
            MaxMessages = r.Int("max_msgs") ?? 0,
        };
        try
        {
            return new Result(new CmpServer(options, logger: logger), sharedSecret is not null, sharedSecret);
        }
        catch (ArgumentException e)
        {
            throw new CliException("mock server: " + e.Message, e);
        }
    }
}
