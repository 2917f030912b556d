namespace CmpKit.Interop.Tests.Infrastructure;

/// <summary>
/// Well-known folders: the repository root and the shared test data that lives beside it
/// (<c>&lt;root&gt;/../shared</c>, read-only, never copied into the repository).
/// </summary>
public static class RepoPaths
{
    /// <summary>Environment variable that overrides <see cref="SharedDir"/> (e.g. for git worktrees).</summary>
    public const string SharedDirVariable = "CMPKIT_SHARED_DIR";

    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The folder that contains <c>CmpKit.slnx</c>, found by walking up from the test binaries.</summary>
    public static string Root => s_root.Value;

    /// <summary>
    /// <c>&lt;root&gt;/../shared</c>, or the folder named by <c>CMPKIT_SHARED_DIR</c> when that is set
    /// (a worktree such as <c>/work/wt/x</c> has no <c>shared</c> folder beside it).
    /// </summary>
    public static string SharedDir
    {
        get
        {
            string? overridden = Environment.GetEnvironmentVariable(SharedDirVariable);
            return Path.GetFullPath(string.IsNullOrWhiteSpace(overridden)
                ? Path.Combine(Root, "..", "shared")
                : overridden);
        }
    }

    /// <summary>True when <see cref="SharedDir"/> exists.</summary>
    public static bool SharedExists => Directory.Exists(SharedDir);

    /// <summary>OpenSSL's CMP-over-HTTP test suite data (CSV files, Mock/).</summary>
    public static string OpenSslTestsDir => Path.Combine(SharedDir, "openssl-cmp-tests");

    /// <summary>OpenSSL's mock-server credentials and configuration (server.cnf, test.cnf).</summary>
    public static string MockDir => Path.Combine(OpenSslTestsDir, "Mock");

    /// <summary>Captured CMP messages from several implementations.</summary>
    public static string VectorsDir => Path.Combine(SharedDir, "vectors");

    /// <summary>Skips the current test when the shared test data is not present.</summary>
    public static void RequireShared()
    {
        if (!SharedExists)
        {
            Assert.Skip("../shared (test data from other projects) is not present next to the repository");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CmpKit.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException(
            $"No folder containing CmpKit.slnx above '{AppContext.BaseDirectory}'.");
    }
}
