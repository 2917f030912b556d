namespace CmpKit.Tests.Support;

/// <summary>Locates ../shared (test data from other projects) next to the repository root.</summary>
public static class SharedData
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>../shared next to the repository, or CMPKIT_SHARED_DIR where set (e.g. in a git worktree).</summary>
    public static string Dir => Environment.GetEnvironmentVariable("CMPKIT_SHARED_DIR") is { Length: > 0 } dir
        ? Path.GetFullPath(dir)
        : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Vectors => Path.Combine(Dir, "vectors");

    public static string OpenSslTests => Path.Combine(Dir, "openssl-cmp-tests");

    /// <summary>Skips the calling test when ../shared is absent (a user's own clone).</summary>
    public static void Require()
    {
        if (!Directory.Exists(Vectors))
        {
            Assert.Skip("../shared (test data from other projects) is not present next to the repository");
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CmpKit.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (CmpKit.slnx) above " + AppContext.BaseDirectory);
    }
}
