using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace CmpKit.OpenSslSuite;

/// <summary>One test row: where it is, what it expects, and the client's argv (without -server).</summary>
/// <param name="Aspect">The aspect (the CSV file name without test_ and .csv).</param>
/// <param name="Line">1-based line number in the CSV file.</param>
/// <param name="Title">Column 1, trimmed.</param>
/// <param name="ExpectSuccess">Column 0 (or the configured column): 1 = must exit 0, 0 = must fail.</param>
/// <param name="Argv">The client's arguments, as the harness's shell would pass them.</param>
public sealed record SuiteRow(string Aspect, int Line, string Title, bool ExpectSuccess, IReadOnlyList<string> Argv)
{
    /// <summary>How the row is named in output and in expected-failures.txt: <c>aspect:line title</c>.</summary>
    public string Id => $"{Aspect}:{Line} {Title}";
}

/// <summary>
/// Reads test_&lt;aspect&gt;.csv into rows exactly as OpenSSL's harness (80-test_cmp_http.t,
/// master) does in load_tests: placeholders, the words it inserts after <c>-section,,</c>
/// (-no_proxy for a loopback server, -proxy, the default -certout, -config/-section), dropping
/// blank fields and BLANK, and the sh quoting round trip (<see cref="ShellWords"/>).
/// </summary>
public static partial class SuiteCsv
{
    /// <summary>The aspect of a file named test_&lt;aspect&gt;.csv, or null for other names.</summary>
    public static string? AspectOf(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith("test_", StringComparison.Ordinal) && name.EndsWith(".csv", StringComparison.Ordinal) && name.Length > 9
            ? name[5..^4]
            : null;
    }

    /// <summary>Loads the rows of one aspect.</summary>
    /// <param name="csvPath">The CSV file.</param>
    /// <param name="aspect">Its aspect.</param>
    /// <param name="config">[Mock] + [aspect] values with the started server's host and port filled in.</param>
    /// <param name="resultDir">Absolute path substituted for _RESULT_DIR.</param>
    /// <param name="testConfigArg">What -section,, turns into as the -config value (../Mock/test.cnf).</param>
    /// <param name="proxy">The harness's -proxy value: $http_proxy without scheme, or empty.</param>
    /// <param name="noProxy">$no_proxy, or null.</param>
    /// <param name="dropped">Rows the harness drops without counting them (with the reason).</param>
    public static List<SuiteRow> Load(
        string csvPath, string aspect, TestConfig config, string resultDir, string testConfigArg,
        string proxy, string? noProxy, List<string> dropped)
    {
        string V(string key) => config[key] ?? "";
        string serverHost = V("server_host");
        int column = int.TryParse(V("column"), out int c) ? c : 0;
        int serverTls = int.TryParse(V("server_tls"), out int t) ? t : 0;
        var rows = new List<SuiteRow>();
        int lineNo = 0;
        foreach (string raw in File.ReadLines(csvPath))
        {
            lineNo++;
            string line = raw.TrimEnd('\r', '\n')
                .Replace("_CA_DN", V("ca_dn"), StringComparison.Ordinal)
                .Replace("_SERVER_DN", config["server_dn"] ?? V("ca_dn"), StringComparison.Ordinal)
                .Replace("_SERVER_HOST", serverHost, StringComparison.Ordinal)
                .Replace("_SERVER_PORT", V("server_port"), StringComparison.Ordinal)
                .Replace("_SERVER_TLS", V("server_tls"), StringComparison.Ordinal)
                .Replace("_SERVER_PATH", V("server_path"), StringComparison.Ordinal)
                .Replace("_SERVER_CERT", V("server_cert"), StringComparison.Ordinal)
                .Replace("_KUR_PORT", V("kur_port"), StringComparison.Ordinal)
                .Replace("_PBM_PORT", V("pbm_port"), StringComparison.Ordinal)
                .Replace("_PBM_REF", V("pbm_ref"), StringComparison.Ordinal)
                .Replace("_PBM_SECRET", V("pbm_secret"), StringComparison.Ordinal)
                .Replace("_RESULT_DIR", resultDir, StringComparison.Ordinal);

            string? why = null;
            if (serverTls == 0 && TlsUsed().IsMatch(line))
            {
                why = "uses -tls_used but the server has no TLS port";
            }

            string serverPlain = serverHost.StartsWith('[') && serverHost.EndsWith(']') ? serverHost[1..^1] : serverHost;
            string? rowNoProxy = noProxy;
            Match explicitNoProxy = NoProxyOption().Match(line);
            if (explicitNoProxy.Success)
            {
                rowNoProxy = explicitNoProxy.Groups[1].Value;
            }
            else if (serverPlain is "127.0.0.1" or "::1")
            {
                line = ReplaceFirst(line, "-section,,", $"-section,,-no_proxy,{serverPlain},");
            }

            if (ProxyOption().IsMatch(line))
            {
                if (!string.IsNullOrEmpty(noProxy) && rowNoProxy is not null && rowNoProxy.Contains(serverPlain, StringComparison.Ordinal))
                {
                    why ??= "uses -proxy while no_proxy covers the server";
                }
            }
            else
            {
                line = ReplaceFirst(line, "-section,,", $"-section,,-proxy,{(proxy.Length == 0 ? "<EMPTY>" : proxy)},");
            }

            if (aspect != "commands" || EnrollmentCmd().IsMatch(line))
            {
                line = ReplaceFirst(line, "-section,,", $"-section,,-certout,{resultDir}/test.cert.pem,");
            }

            line = ReplaceFirst(line, "-section,,", $"-config,{testConfigArg},-section,Mock {aspect},");

            List<string> fields = line.Split(',')
                .Where(f => f.Any(ch => !char.IsWhiteSpace(ch)))
                .Select(f => f == "<EMPTY>" ? "" : f.Trim())
                .Select(f => f.Length >= 4 && f.StartsWith("\"\"", StringComparison.Ordinal) && f.EndsWith("\"\"", StringComparison.Ordinal) ? f[1..^1] : f)
                .ToList();
            if (fields.Count <= column || fields[column] is not ("0" or "1"))
            {
                continue; // not a test row (header, comment, TODO, blank line)
            }

            string title = fields.Count > 1 ? fields[1] : "";
            if (why is null && IPv6Server().IsMatch(line) && !HaveIPv6())
            {
                why = "needs IPv6, which this machine lacks";
            }

            if (why is not null)
            {
                dropped.Add($"{aspect}:{lineNo} {title}: {why} (the harness drops such rows)");
                continue;
            }

            List<string> argFields = fields.Skip(2).Where(f => f != "BLANK").ToList();
            rows.Add(new SuiteRow(aspect, lineNo, title, fields[column] == "1", ShellWords.ToArgv(argFields)));
        }

        return rows;
    }

    private static string ReplaceFirst(string s, string what, string with)
    {
        int i = s.IndexOf(what, StringComparison.Ordinal);
        return i < 0 ? s : string.Concat(s.AsSpan(0, i), with, s.AsSpan(i + what.Length));
    }

    private static bool HaveIPv6()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@",\s*-tls_used\s*,")]
    private static partial Regex TlsUsed();

    [GeneratedRegex(@",\s*-no_proxy\s*,(.*?)(,|$)")]
    private static partial Regex NoProxyOption();

    [GeneratedRegex(@",\s*-proxy\s*,")]
    private static partial Regex ProxyOption();

    [GeneratedRegex(@",\s*-cmd\s*,\s*(ir|cr|p10cr|kur)\s*,")]
    private static partial Regex EnrollmentCmd();

    [GeneratedRegex(@"-server,\[.*:.*\]")]
    private static partial Regex IPv6Server();
}
