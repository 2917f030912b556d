using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Cli;
using CmpKit.Tests.Support;

namespace CmpKit.Tests.Cli;

/// <summary>The outcome of one in-process cmpkit run.</summary>
internal sealed record CliResult(int Exit, string Out, string Err)
{
    public string[] ErrLines => Err.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Lines that are neither log output (info/debug) nor warnings: the error lines.</summary>
    public string[] ErrorLines => ErrLines
        .Where(l => !l.StartsWith("cmpkit: info: ", StringComparison.Ordinal)
                    && !l.StartsWith("cmpkit: debug: ", StringComparison.Ordinal)
                    && !l.StartsWith("cmpkit: warning: ", StringComparison.Ordinal))
        .ToArray();

    public override string ToString() => $"exit {Exit}; stderr:{Environment.NewLine}{Err}";
}

/// <summary>Runs the whole cmpkit CLI in process (<see cref="Program.RunAsync"/>) and checks its outcome.</summary>
internal static class CliRun
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = await Program.RunAsync(args, stdout, stderr, TestContext.Current.CancellationToken);
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Exit 0; every stderr line is a cmpkit log line, none an error.</summary>
    public static void AssertSuccess(CliResult r)
    {
        Assert.True(r.Exit == 0, r.ToString());
        Assert.True(r.ErrorLines.Length == 0, r.ToString());
    }

    /// <summary>
    /// Exit 1 and exactly one error line on stderr starting with "cmpkit: " (log lines at the default
    /// verbosity may precede it), no stack trace, no secret. Returns the error line.
    /// </summary>
    public static string AssertOneError(CliResult r, params string[] secrets)
    {
        Assert.True(r.Exit == 1, r.ToString());
        Assert.All(r.ErrLines, l => Assert.StartsWith("cmpkit: ", l));
        Assert.True(r.ErrorLines.Length == 1, "expected exactly one error line; " + r);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Err, StringComparison.Ordinal);
        foreach (var s in secrets)
        {
            Assert.DoesNotContain(s, r.Err + r.Out, StringComparison.Ordinal);
        }
        return r.ErrorLines[0];
    }

    /// <summary>The first certificate of a PEM file.</summary>
    public static X509Certificate2 LoadPem(string path) => X509Certificate2.CreateFromPem(File.ReadAllText(path));

    /// <summary>All certificates of a PEM file, in order.</summary>
    public static X509Certificate2Collection LoadPemAll(string path)
    {
        var c = new X509Certificate2Collection();
        c.ImportFromPemFile(path);
        return c;
    }

    /// <summary>
    /// A path in OpenSSL's Mock test data, read in place; skips when absent. The data lives in
    /// ../shared next to the repository root (<see cref="SharedData.Dir"/>); a git worktree kept one
    /// level further down (e.g. wt/NAME next to the main clone) finds it next to its parent.
    /// </summary>
    public static string Mock(string file)
    {
        string[] candidates =
        [
            Path.Combine(SharedData.OpenSslTests, "Mock"),
            Path.GetFullPath(Path.Combine(SharedData.RepoRoot, "..", "..", "shared", "openssl-cmp-tests", "Mock")),
        ];
        foreach (var dir in candidates)
        {
            var path = Path.Combine(dir, file);
            if (File.Exists(path))
            {
                return path;
            }
        }
        Assert.Skip($"OpenSSL's Mock test data is not present: no {file} in {string.Join(" or ", candidates)}");
        return null!;
    }
}

/// <summary>A root CA, a server (responder) and a client certificate made with .NET, written as PEM files into a temp dir.</summary>
internal sealed class TestPkiFiles
{
    public TestPkiFiles(TempDir dir)
    {
        Root = TestPki.CreateRoot("CN=CLI Test Root");
        Server = TestPki.IssueWithKey(Root, "CN=CLI Test Server");
        Client = TestPki.IssueWithKey(Root, "CN=CLI Test Client");
        RootPem = dir.Write("root.pem", Root.Certificate.ExportCertificatePem());
        ServerPem = dir.Write("server.pem", Server.Certificate.ExportCertificatePem());
        ServerKey = dir.Write("server.key", Server.Key.ExportPkcs8PrivateKeyPem());
        ClientPem = dir.Write("client.pem", Client.Certificate.ExportCertificatePem());
        ClientKey = dir.Write("client.key", Client.Key.ExportPkcs8PrivateKeyPem());
        var other = TestPki.CreateRoot("CN=Some Other Root");
        OtherRootPem = dir.Write("other-root.pem", other.Certificate.ExportCertificatePem());
    }

    public TestPki.Issued Root { get; }
    public TestPki.Issued Server { get; }
    public TestPki.Issued Client { get; }
    public string RootPem { get; }
    public string ServerPem { get; }
    public string ServerKey { get; }
    public string ClientPem { get; }
    public string ClientKey { get; }
    public string OtherRootPem { get; }
}
