using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Xml.Linq;
using CmpKit.Interop.Tests.Infrastructure;

namespace CmpKit.Interop.Tests;

/// <summary>
/// The dotnet tool as a user gets it: the packages are made from the sources with the commands README.md gives
/// (<c>dotnet pack</c>, <c>-r linux-x64</c>, <c>-r any</c>), into a temporary folder and with their own build
/// output (<c>--artifacts-path</c>), and <c>dotnet tool install</c> installs from there. On linux-x64 the
/// installed <c>cmpkit</c> must be the NativeAOT executable and the framework-dependent build must be there for
/// other platforms; both enroll against OpenSSL's mock server.
/// </summary>
public sealed class ToolPackageTests
{
    private const int TestTimeoutMs = 900_000;
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);
    private const string Secret = "pass:tool package secret";

    [Fact(Timeout = TestTimeoutMs)]
    public async Task Packed_tool_installs_the_NativeAOT_build_and_enrolls()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            Assert.Skip($"the NativeAOT package of the tool is built for linux-x64; this is {RuntimeInformation.RuntimeIdentifier}");
        }
        if (OpenSsl.FindOnPath("clang") is null)
        {
            Assert.Skip("NativeAOT links with clang, which is not on PATH (CI installs it; locally: apt-get install clang)");
        }
        OpenSsl.RequireOpenSsl();
        var ct = TestContext.Current.CancellationToken;
        using var pki = new TestPki();
        string work = pki.PathFor("tool");
        string packages = Path.Combine(work, "packages");

        foreach (string[] rid in new[] { Array.Empty<string>(), ["-r", "linux-x64"], ["-r", "any"] })
        {
            var pack = await Dotnet(["pack", Path.Combine(RepoPaths.Root, "src", "CmpKit.Cli"), "-c", "Release", .. rid,
                "--artifacts-path", Path.Combine(work, "artifacts"), "-o", packages, "-nologo"], work, PackTimeout, ct);
            Assert.True(pack.ExitCode == 0, $"dotnet pack {string.Join(' ', rid)} failed:\n{pack}");
        }

        // The top-level package names the two others; the NativeAOT one carries no debug symbols.
        var settings = ReadToolSettings(Path.Combine(packages, "CmpKit.Cli.1.0.0.nupkg"), "tools/any/any/DotnetToolSettings.xml");
        var named = settings.Descendants("RuntimeIdentifierPackage")
            .Select(e => ((string?)e.Attribute("RuntimeIdentifier"), (string?)e.Attribute("Id"))).Order().ToList();
        Assert.Equal([("any", "CmpKit.Cli.any"), ("linux-x64", "CmpKit.Cli.linux-x64")], named);
        using (var native = ZipFile.OpenRead(Path.Combine(packages, "CmpKit.Cli.linux-x64.1.0.0.nupkg")))
        {
            var files = native.Entries.Select(e => e.FullName).Where(n => n.StartsWith("tools/", StringComparison.Ordinal)).ToList();
            Assert.Contains("tools/any/linux-x64/CmpKit.Cli", files);
            Assert.DoesNotContain(files, n => n.EndsWith(".dbg", StringComparison.Ordinal) || n.EndsWith(".dll", StringComparison.Ordinal));
            Assert.DoesNotContain("tools/any/linux-x64/cmpkit", files); // the command runs CmpKit.Cli; no second copy
        }

        // Installed as users install it (a NuGet cache of its own, so nothing older is taken from ~/.nuget).
        string toolPath = Path.Combine(work, "tools");
        var install = await Dotnet(["tool", "install", "--tool-path", toolPath, "--add-source", packages, "CmpKit.Cli"], work, PackTimeout, ct,
            new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(work, "nuget") });
        Assert.True(install.ExitCode == 0, $"dotnet tool install failed:\n{install}");
        string command = Path.Combine(toolPath, "cmpkit");
        string executable = File.ResolveLinkTarget(command, returnFinalTarget: true)?.FullName ?? command;
        Assert.Contains($"{Path.DirectorySeparatorChar}cmpkit.cli.linux-x64{Path.DirectorySeparatorChar}", executable, StringComparison.Ordinal);
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(executable).AsSpan(0, 4).ToArray());
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(executable)!, "CmpKit.Cli.dll")), "the NativeAOT tool needs no assemblies beside it");

        // Both builds enroll against OpenSSL's mock server.
        var (key, keyPath) = pki.CreateKeyFile("new");
        var enrolled = pki.Issue(pki.Intermediate, "CN=tool package", "enrolled", key: key);
        await using var server = await OpenSslMockServer.StartAsync(
            ["-srv_ref", "server-ref", "-srv_secret", Secret, "-rsp_cert", enrolled.CertPath], pki.Directory, ct);
        List<string> Enroll(string certOut) =>
        [
            "-config", "", "-server", server.Url(), "-cmd", "ir", "-ref", "client-ref", "-secret", Secret,
            "-recipient", pki.Server.OpenSslSubject, "-newkey", keyPath, "-subject", enrolled.OpenSslSubject, "-certout", certOut,
        ];
        var nativeRun = await ChildProcess.RunAsync(command, Enroll("native.pem"), pki.Directory, ClientTimeout, ct);
        Assert.True(nativeRun.ExitCode == 0, $"the installed NativeAOT cmpkit failed:\n{nativeRun}\n{server.Diagnostics()}");
        Assert.Equal(enrolled.Certificate.RawData, PemCertificate(pki.PathFor("native.pem")));

        string portable = Path.Combine(work, "any");
        ZipFile.ExtractToDirectory(Path.Combine(packages, "CmpKit.Cli.any.1.0.0.nupkg"), portable);
        var anySettings = XDocument.Load(Path.Combine(portable, "tools", "net10.0", "any", "DotnetToolSettings.xml"));
        Assert.Equal("dotnet", (string?)anySettings.Descendants("Command").Single().Attribute("Runner"));
        var portableRun = await ChildProcess.RunAsync(CmpKitCli.DotnetPath,
            [Path.Combine(portable, "tools", "net10.0", "any", "CmpKit.Cli.dll"), .. Enroll("portable.pem")], pki.Directory, ClientTimeout, ct);
        Assert.True(portableRun.ExitCode == 0, $"the framework-dependent cmpkit failed:\n{portableRun}\n{server.Diagnostics()}");
        Assert.Equal(enrolled.Certificate.RawData, PemCertificate(pki.PathFor("portable.pem")));
    }

    // dotnet with the variables `dotnet test` sets for its own MSBuild removed, so that the child runs its own.
    private static Task<ProcessResult> Dotnet(IEnumerable<string> args, string workingDir, TimeSpan timeout, CancellationToken ct,
        Dictionary<string, string?>? environment = null)
    {
        environment ??= [];
        foreach (string name in Environment.GetEnvironmentVariables().Keys.Cast<string>()
                     .Where(n => n.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)))
        {
            environment[name] = null;
        }
        Directory.CreateDirectory(workingDir);
        return ChildProcess.RunAsync(CmpKitCli.DotnetPath, args, workingDir, timeout, ct, environment);
    }

    private static XDocument ReadToolSettings(string package, string entry)
    {
        using var zip = ZipFile.OpenRead(package);
        using var stream = (zip.GetEntry(entry) ?? throw new InvalidOperationException($"{package} has no {entry}")).Open();
        return XDocument.Load(stream);
    }

    private static byte[] PemCertificate(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(path));
        return certificate.RawData;
    }
}
