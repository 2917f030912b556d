using System.Security.Cryptography;
using System.Text;
using CmpKit.Cli;
using CmpKit.Cli.Options;
using CmpKit.Client;
using CmpKit.Tests.Support;
using CmpKit.Transport;
using static CmpKit.Tests.Cli.CliRun;

namespace CmpKit.Tests.Cli;

/// <summary>
/// Secrets on failure paths (issue 6, "Limits"): the values of -secret, -srv_secret, -keypass, -newkeypass and
/// -srv_keypass, and the private keys' PEM and base64, never appear in the CLI's stdout or stderr at the highest
/// verbosity, nor in the messages of the exceptions behind them, in client and in server (-port) mode.
/// </summary>
public partial class CliBadInputTests
{
    private const string KeyPass = "Key-Pass-Not-For-Logs-31";
    private const string NewKeyPass = "New-Key-Pass-Not-For-Logs-57";
    private const string WrongPass = "Wrong-Pass-Not-For-Logs-88";
    private const string ServerSecret = "Server-Secret-Not-For-Logs-64";

    /// <summary>
    /// What must never be printed about <paramref name="key"/>: pieces of its PEM file's lines, and of its PKCS#8
    /// and private scalar in base64 and hex; pieces that encode only structure (the same for any P-256 key,
    /// e.g. the algorithm identifiers at the start) are left out, so that a public key or a header may be printed.
    /// </summary>
    private static IEnumerable<string> KeyMaterial(ECDsa key, string pemFileText)
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var structure = string.Join("\n", Pieces(other, other.ExportPkcs8PrivateKeyPem()).Concat(Pieces(other,
            other.ExportEncryptedPkcs8PrivateKeyPem("x", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)))));
        return Pieces(key, pemFileText).Where(p => !structure.Contains(p, StringComparison.Ordinal)).Distinct();
    }

    private static IEnumerable<string> Pieces(ECDsa key, string pemFileText)
    {
        foreach (var line in pemFileText.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            for (int i = 0; !line.StartsWith("-----", StringComparison.Ordinal) && i + 16 <= line.Length; i += 16)
            {
                yield return line.Substring(i, 16);
            }
        }
        var pkcs8 = Convert.ToBase64String(key.ExportPkcs8PrivateKey());
        for (int i = 0; i + 16 <= pkcs8.Length; i += 16)
        {
            yield return pkcs8.Substring(i, 16);
        }
        var d = key.ExportParameters(true).D!;
        yield return Convert.ToHexString(d)[..24];
        yield return Convert.ToHexString(d).ToLowerInvariant()[..24];
        yield return Convert.ToBase64String(d)[..24];
    }

    private static void AssertNothingLeaks(CliResult r, IEnumerable<string> secrets)
    {
        var output = r.Out + r.Err;
        foreach (var s in secrets)
        {
            Assert.False(output.Contains(s, StringComparison.Ordinal), $"'{s}' appears in the output:\n{r}");
        }
    }

    private sealed record Keys(ECDsa Client, string ClientFile, string ClientPem, ECDsa New, string NewFile, string NewPem, string[] AllSecrets);

    /// <summary>The client's and a new key, PEM-encrypted with their pass phrases, and every secret of the runs below.</summary>
    private static Keys WriteKeys(TempDir dir, TestPkiFiles pki)
    {
        var pbe = new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000);
        var client = (ECDsa)pki.Client.Key;
        var clientPem = client.ExportEncryptedPkcs8PrivateKeyPem(KeyPass, pbe);
        var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var newPem = newKey.ExportEncryptedPkcs8PrivateKeyPem(NewKeyPass, pbe);
        var secrets = new[] { Secret, ServerSecret, KeyPass, NewKeyPass, WrongPass }
            .Concat(KeyMaterial(client, clientPem)).Concat(KeyMaterial(client, client.ExportPkcs8PrivateKeyPem()))
            .Concat(KeyMaterial(newKey, newPem)).Concat(KeyMaterial(newKey, newKey.ExportPkcs8PrivateKeyPem()))
            .Concat(KeyMaterial((ECDsa)pki.Server.Key, File.ReadAllText(pki.ServerKey)))
            .ToArray();
        return new Keys(client, dir.Write("client-enc.key", clientPem), clientPem, newKey, dir.Write("new-enc.key", newPem), newPem, secrets);
    }

    /// <summary>A signature-protected cr against the in-process mock, with encrypted client and new keys.</summary>
    private static List<string> SignedBase(TempDir dir, TestPkiFiles pki, Keys keys) =>
    [
        "-use_mock_srv", "-srv_cert", pki.ServerPem, "-srv_key", pki.ServerKey, "-srv_trusted", pki.RootPem, "-srv_secret", "pass:" + ServerSecret,
        "-cmd", "cr", "-cert", pki.ClientPem, "-key", keys.ClientFile, "-keypass", "pass:" + KeyPass, "-trusted", pki.RootPem,
        "-newkey", keys.NewFile, "-newkeypass", "pass:" + NewKeyPass, "-subject", "/CN=secret keeper", "-certout", dir.File("c.pem"),
        "-verbosity", "8",
    ];

    private static List<string> Replace(List<string> args, string option, string value)
    {
        var copy = new List<string>(args);
        copy[copy.IndexOf(option) + 1] = value;
        return copy;
    }

    private static List<string> Without(List<string> args, string option)
    {
        var copy = new List<string>(args);
        copy.RemoveRange(copy.IndexOf(option), 2);
        return copy;
    }

    [Fact]
    public async Task SecretsNeverLoggedEvenAtTraceVerbosity_on_success_and_failure_paths()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        var keys = WriteKeys(dir, pki);
        var signed = SignedBase(dir, pki, keys);
        var mac = Base(dir).Concat(["-verbosity", "8"]).ToList();

        // The baselines succeed: the keys were read with their pass phrases, the secrets were used.
        var ok = await RunAsync([.. signed]);
        AssertSuccess(ok);
        AssertNothingLeaks(ok, keys.AllSecrets);
        var okMac = await RunAsync([.. mac]);
        AssertSuccess(okMac);
        AssertNothingLeaks(okMac, keys.AllSecrets);

        var failures = new (string Case, List<string> Args, string Expected)[]
        {
            ("wrong client secret", Replace(mac, "-secret", "pass:" + WrongPass), "InvalidMac"),
            ("wrong server secret", Replace(mac, "-srv_secret", "pass:" + ServerSecret), "InvalidMac"),
            ("server rejection", [.. mac, "-pkistatus", "2", "-failure", "2", "-statusstring", "no"], "RequestRejected"),
            ("server error message", [.. mac, "-send_error"], "ServerError"),
            ("wrong -keypass", Replace(signed, "-keypass", "pass:" + WrongPass), "cannot load CMP client private key"),
            ("no -keypass for an encrypted key", Without(signed, "-keypass"), "a pass phrase is needed"),
            ("wrong -newkeypass", Replace(signed, "-newkeypass", "pass:" + WrongPass), "cannot load new private key"),
            ("-newkeypass from a missing file", Replace(signed, "-newkeypass", "file:" + dir.File("no-such-pass.txt")), "cannot read pass phrase"),
            ("wrong -srv_keypass", [.. Replace(signed, "-srv_key", dir.Write("srv-enc.key",
                ((ECDsa)pki.Server.Key).ExportEncryptedPkcs8PrivateKeyPem(KeyPass, new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)))),
                "-srv_keypass", "pass:" + WrongPass], "cannot load mock server private key"),
            ("damaged client key PEM", Without(Replace(signed, "-key", dir.Write("damaged.key", Damage(keys.Client.ExportPkcs8PrivateKeyPem()))), "-keypass"), "malformed PEM"),
        };
        foreach (var (name, args, expected) in failures)
        {
            var r = await RunAsync([.. args]);
            var line = AssertOneError(r);
            Assert.True(line.Contains(expected, StringComparison.Ordinal), $"{name}: '{line}' does not name {expected}");
            AssertNothingLeaks(r, keys.AllSecrets);
        }
    }

    /// <summary>A PEM whose base64 body has one character changed in the middle, so that it no longer decodes as a key.</summary>
    private static string Damage(string pem)
    {
        var lines = pem.Split('\n');
        var middle = lines.Length / 2;
        lines[middle] = "!!" + lines[middle][2..];
        return string.Join('\n', lines);
    }

    [Fact]
    public void Key_loading_exceptions_carry_no_pass_phrase_or_key_material()
    {
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        var keys = WriteKeys(dir, pki);

        var wrongPass = Assert.Throws<CliException>(() => CredentialLoader.LoadPrivateKey(keys.ClientFile, WrongPass, "client key"));
        var noPass = Assert.Throws<CliException>(() => CredentialLoader.LoadPrivateKey(keys.NewFile, null, "new key"));
        var damaged = Assert.Throws<CliException>(() => CredentialLoader.LoadPrivateKey(
            dir.Write("damaged.key", Damage(keys.Client.ExportPkcs8PrivateKeyPem())), null, "client key"));

        // The detector has teeth: each encoding of a key is caught.
        foreach (var leak in new[] { keys.ClientPem, keys.Client.ExportPkcs8PrivateKeyPem(), keys.NewPem,
                     Convert.ToBase64String(keys.New.ExportPkcs8PrivateKey()), Convert.ToHexString(keys.New.ExportParameters(true).D!) })
        {
            Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertNothingLeaks(new CliResult(1, "", "cmpkit: " + leak), keys.AllSecrets));
        }
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertNothingLeaks(new CliResult(1, "", "cmpkit: " + KeyPass), keys.AllSecrets));
        AssertNothingLeaks(new CliResult(0, keys.New.ExportSubjectPublicKeyInfoPem(), ""), keys.AllSecrets); // a public key may be printed

        foreach (var e in new Exception[] { wrongPass, noPass, damaged })
        {
            // ToString: the message, the type and message of every inner exception, and stack traces.
            var text = e.ToString();
            foreach (var s in keys.AllSecrets)
            {
                Assert.False(text.Contains(s, StringComparison.Ordinal), $"'{s}' appears in {text}");
            }
        }
    }

    [Fact]
    public async Task Server_mode_logs_no_secret_or_key_at_trace_verbosity()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        var pki = new TestPkiFiles(dir);
        var keys = WriteKeys(dir, pki);
        var serverKeyEnc = dir.Write("srv-enc.key", ((ECDsa)pki.Server.Key).ExportEncryptedPkcs8PrivateKeyPem(KeyPass,
            new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)));
        using var stdout = new LineWriter();
        using var stderr = new LineWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var run = Program.RunAsync(["-config", "", "-port", "0", "-srv_secret", "pass:" + ServerSecret, "-srv_ref", "r",
            "-srv_cert", pki.ServerPem, "-srv_key", serverKeyEnc, "-srv_keypass", "pass:" + KeyPass, "-srv_trusted", pki.RootPem,
            "-verbosity", "8"], stdout, stderr, stop.Token);
        var port = int.Parse((await stdout.WaitForAsync(new System.Text.RegularExpressions.Regex(@"ACCEPT 127\.0\.0\.1:(\d+) PID="), TimeSpan.FromSeconds(15), ct)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var uri = new Uri($"http://127.0.0.1:{port}/pkix/");
        using var http = new HttpClient(CmpHttpClientFactory.CreateHandler());
        using var newKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var template = new CertificateRequestTemplate { NewKey = newKey, Subject = new System.Security.Cryptography.X509Certificates.X500DistinguishedName("CN=srv") };

        // Right secret, wrong secret, signature with the client certificate, and garbage.
        await new CmpClient(new HttpCmpTransport(http, uri), new CmpClientOptions { MacCredentials = new CmpMacCredentials(Encoding.UTF8.GetBytes(ServerSecret), "c"u8.ToArray()) })
            .InitialEnrollAsync(template, ct);
        var wrong = await Assert.ThrowsAsync<CmpException>(() => new CmpClient(new HttpCmpTransport(http, uri),
            new CmpClientOptions { MacCredentials = new CmpMacCredentials(Encoding.UTF8.GetBytes(WrongPass), "c"u8.ToArray()) }).InitialEnrollAsync(template, ct));
        await new CmpClient(new HttpCmpTransport(http, uri), new CmpClientOptions
        {
            SignatureCredentials = new CmpSignatureCredentials(pki.Client.Certificate, pki.Client.Key),
            TrustAnchors = [pki.Root.Certificate],
        }).EnrollAsync(template, ct);
        using (var garbage = new ByteArrayContent([0x30, 0x03, 0x02, 0x01]))
        {
            garbage.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(HttpCmpTransport.MediaType);
            (await http.PostAsync(uri, garbage, ct)).Dispose();
        }
        stop.Cancel();
        Assert.Equal(0, await run);

        var output = new CliResult(0, stdout.ToString(), stderr.ToString());
        Assert.Contains("ir -> ip", output.Err, StringComparison.Ordinal); // the log was written
        AssertNothingLeaks(output, keys.AllSecrets);
        Assert.DoesNotContain(WrongPass, wrong.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(ServerSecret, wrong.ToString(), StringComparison.Ordinal);

        // A wrong -srv_keypass: one line, no secret.
        var bad = await RunAsync(["-config", "", "-port", "0", "-srv_secret", "pass:" + ServerSecret, "-srv_cert", pki.ServerPem,
            "-srv_key", serverKeyEnc, "-srv_keypass", "pass:" + WrongPass, "-verbosity", "8"]);
        Assert.Contains("cannot load mock server private key", AssertOneError(bad), StringComparison.Ordinal);
        AssertNothingLeaks(bad, keys.AllSecrets);
    }
}
