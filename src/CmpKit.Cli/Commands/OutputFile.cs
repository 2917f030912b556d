namespace CmpKit.Cli.Commands;

/// <summary>
/// Writes the files the CLI produces (-certout, -chainout, -extracertsout, ...) by overwriting them in
/// place and cutting off what is left of a longer old content, instead of truncating them to zero first.
/// With -repeat, or in scripts that renew into the same file, the new content has the same length as the
/// old one: then no disk block is freed and allocated again. Truncating to zero frees the blocks (on a
/// file system mounted with "discard", a synchronous discard request to the device) and makes ext4 write
/// the file back when it is closed; that was about a fifth of the client's CPU per kept-alive enrollment
/// (docs/performance.md). The file ends up with exactly the new bytes, as with File.WriteAllBytes.
/// </summary>
internal static class OutputFile
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>, creating or overwriting it.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be written.</exception>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, bufferSize: 0);
        stream.Write(content);
        // Only an old content longer than the new one leaves anything behind. Pipes cannot seek, and
        // devices such as /dev/null report no length beyond what was written: nothing to cut there.
        if (stream.CanSeek && stream.Length > content.Length)
        {
            stream.SetLength(content.Length);
        }
    }
}
