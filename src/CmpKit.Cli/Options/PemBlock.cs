using System.Text;

namespace CmpKit.Cli.Options;

/// <summary>
/// One <c>-----BEGIN LABEL-----</c> ... <c>-----END LABEL-----</c> block of a PEM file,
/// including RFC 1421 headers (<c>Proc-Type</c>, <c>DEK-Info</c>) that .NET's PemEncoding does
/// not accept. Text outside blocks (e.g. <c>openssl x509 -text</c> output) is ignored.
/// </summary>
internal sealed record PemBlock(string Label, IReadOnlyDictionary<string, string> Headers, byte[] Data)
{
    private const string Begin = "-----BEGIN ";
    private const string End = "-----END ";
    private const string Dashes = "-----";

    /// <summary>True if the bytes look like PEM text (contain a BEGIN line).</summary>
    public static bool LooksLikePem(byte[] content) =>
        content.AsSpan().IndexOf("-----BEGIN "u8) >= 0;

    /// <summary>All well-formed blocks in file order.</summary>
    /// <exception cref="FormatException">a block has no END line or bad base64.</exception>
    public static List<PemBlock> ReadAll(string text)
    {
        var blocks = new List<PemBlock>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (!line.StartsWith(Begin, StringComparison.Ordinal) || !line.EndsWith(Dashes, StringComparison.Ordinal) || line.Length < Begin.Length + Dashes.Length)
            {
                continue;
            }

            string label = line[Begin.Length..^Dashes.Length];
            string endLine = End + label + Dashes;
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var base64 = new StringBuilder();
            bool inHeaders = true;
            bool ended = false;
            for (i++; i < lines.Length; i++)
            {
                string l = lines[i].Trim();
                if (l == endLine)
                {
                    ended = true;
                    break;
                }

                int colon = l.IndexOf(':', StringComparison.Ordinal);
                if (inHeaders && colon > 0)
                {
                    headers[l[..colon].Trim()] = l[(colon + 1)..].Trim();
                    continue;
                }

                inHeaders = false;
                base64.Append(l);
            }

            if (!ended)
            {
                throw new FormatException($"PEM block '{label}' has no END line");
            }

            blocks.Add(new PemBlock(label, headers, Convert.FromBase64String(base64.ToString())));
        }

        return blocks;
    }
}
