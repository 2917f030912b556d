namespace CmpKit.Tests.Cli;

/// <summary>Locates OpenSSL's CMP test data in ../shared (read in place, never copied).</summary>
internal static class SharedTestData
{
    /// <summary>
    /// Full path of a file in OpenSSL's Mock data, found relative to the repository (../shared, or
    /// next to the parent of a worktree), or skips the test if the shared data is absent.
    /// </summary>
    public static string Mock(string file) => CliRun.Mock(file);

    /// <summary>Path of the openssl binary, or skips.</summary>
    public static string OpenSsl()
    {
        foreach (string candidate in new[] { "/usr/bin/openssl", "/usr/local/bin/openssl" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Skip("openssl binary not installed (looked in /usr/bin and /usr/local/bin)");
        return null!;
    }
}

/// <summary>A temporary directory deleted at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("cmpkit-cli-test-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string content)
    {
        string p = File(name);
        System.IO.File.WriteAllText(p, content);
        return p;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
