using System.Reflection;
using System.Runtime.InteropServices;

namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>
/// Runs our CLI (<c>dotnet CmpKit.Cli.dll ...</c>) as a child process, with the same result shape as
/// <see cref="OpenSsl.RunAsync"/> so one argument list can be run against both clients.
/// </summary>
public static class CmpKitCli
{
    private static readonly Lazy<string> s_dll = new(FindDll);
    private static readonly Lazy<string> s_dotnet = new(FindDotnet);

    /// <summary>
    /// Path of <c>CmpKit.Cli.dll</c>: next to the test binaries (the project reference copies it),
    /// else in src/CmpKit.Cli/bin/&lt;configuration&gt;/net10.0/.
    /// </summary>
    /// <exception cref="FileNotFoundException">The CLI has not been built.</exception>
    public static string DllPath => s_dll.Value;

    /// <summary>The <c>dotnet</c> host used to run the CLI.</summary>
    public static string DotnetPath => s_dotnet.Value;

    /// <summary>Runs <c>dotnet CmpKit.Cli.dll &lt;args&gt;</c>; see <see cref="OpenSsl.RunAsync"/> for the semantics.</summary>
    /// <exception cref="FileNotFoundException">The CLI has not been built.</exception>
    public static Task<ProcessResult> RunAsync(
        IEnumerable<string> args, string workingDir, TimeSpan timeout, CancellationToken cancellationToken) =>
        ChildProcess.RunAsync(DotnetPath, new[] { DllPath }.Concat(args), workingDir, timeout, cancellationToken);

    private static string FindDll()
    {
        string nextToTests = Path.Combine(AppContext.BaseDirectory, "CmpKit.Cli.dll");
        if (File.Exists(nextToTests))
        {
            return nextToTests;
        }

        string configuration = typeof(CmpKitCli).Assembly
            .GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        string inCliBin = Path.Combine(RepoPaths.Root, "src", "CmpKit.Cli", "bin", configuration, "net10.0", "CmpKit.Cli.dll");
        if (File.Exists(inCliBin))
        {
            return inCliBin;
        }

        throw new FileNotFoundException(
            $"CmpKit.Cli.dll not found at '{nextToTests}' nor '{inCliBin}'. Build the solution first: dotnet build CmpKit.slnx -c {configuration}");
    }

    private static string FindDotnet()
    {
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";

        // Set by the dotnet CLI for the processes it starts (dotnet test, dotnet run).
        string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath))
        {
            return hostPath;
        }

        // The runtime we run on: <dotnet root>/shared/Microsoft.NETCore.App/<version>/
        string runtimeDir = RuntimeEnvironment.GetRuntimeDirectory();
        string fromRuntime = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", "..", exe));
        if (File.Exists(fromRuntime))
        {
            return fromRuntime;
        }

        return OpenSsl.FindOnPath("dotnet")
               ?? throw new FileNotFoundException("The dotnet host was found neither via DOTNET_HOST_PATH, nor beside the runtime, nor on PATH.");
    }
}
