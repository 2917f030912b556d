using System.Text;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Tests.Support;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Messages;

/// <summary>Every real CMP message in ../shared/vectors parses (or fails with CmpException) and verifies as the table says.</summary>
public class VectorTests
{
    public static TheoryData<string> Rows()
    {
        var data = new TheoryData<string>();
        var table = Path.Combine(SharedData.Vectors, "expected-parse-results.tsv");
        if (!File.Exists(table))
        {
            data.Add("(no ../shared)");
            return data;
        }
        foreach (var line in File.ReadLines(table))
        {
            if (line.Length > 0)
            {
                data.Add(line.Split('\t')[0]);
            }
        }
        return data;
    }

    private static string[] Row(string file) =>
        File.ReadLines(Path.Combine(SharedData.Vectors, "expected-parse-results.tsv")).Select(l => l.Split('\t')).First(r => r[0] == file);

    [Theory]
    [MemberData(nameof(Rows))]
    public void Parses_and_verifies_as_recorded(string file)
    {
        SharedData.Require();
        var row = Row(file);
        var bytes = Load(Path.Combine(SharedData.Vectors, file));
        if (row[1] == "PARSE-FAIL")
        {
            var e = Assert.Throws<CmpException>(() => PkiMessageCodec.Decode(bytes));
            Assert.True(e.Reason is CmpFailureReason.MalformedResponse or CmpFailureReason.UnknownBodyType, e.Reason.ToString());
            return;
        }
        var message = PkiMessageCodec.Decode(bytes);
        // The same structure as BouncyCastle's own decoding of the whole message (Decode takes extraCerts apart).
        Assert.Equal(PkiMessage.GetInstance(Asn1Object.FromByteArray(bytes)).GetEncoded(Asn1Encodable.Der), message.GetEncoded(Asn1Encodable.Der));
        Assert.Equal(row[1], BodyTypes.Name(message.Body.Type), ignoreCase: true);
        Assert.Equal(row[2], "pvno=" + message.Header.Pvno.Value);
        var verification = row[^1];
        if (verification.Contains("VERIFIED pw='", StringComparison.Ordinal))
        {
            var pw = verification[(verification.IndexOf("pw='", StringComparison.Ordinal) + 4)..^1];
            Assert.True(ProtectionVerifier.VerifyMac(message, Encoding.UTF8.GetBytes(pw), 1_000_000), "MAC must verify with the recorded secret");
            Assert.False(ProtectionVerifier.VerifyMac(message, Encoding.UTF8.GetBytes(pw + "x"), 1_000_000), "MAC must not verify with another secret");
        }
        else if (verification == "sigVerify(extraCerts[0])=True")
        {
            var signer = Certificates.ToDotNet(message.GetExtraCerts()[0])!;
            Assert.True(ProtectionVerifier.VerifySignature(message, signer));
        }
    }

    /// <summary>DER as it is; .pem files (some with '#' annotation lines) as their base64 lines.</summary>
    internal static byte[] Load(string path)
    {
        if (!path.EndsWith(".pem", StringComparison.Ordinal))
        {
            return File.ReadAllBytes(path);
        }
        var b64 = new StringBuilder();
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith("-----", StringComparison.Ordinal)
                || !line.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
            {
                continue;
            }
            b64.Append(line);
        }
        return Convert.FromBase64String(b64.ToString());
    }

    [Fact]
    public void Trailing_bytes_after_a_message_are_rejected()
    {
        SharedData.Require();
        var bytes = File.ReadAllBytes(Path.Combine(SharedData.Vectors, "openssl-3.0.19-generated/ir_pbm_ip.der"));
        var e = Assert.Throws<CmpException>(() => PkiMessageCodec.Decode([.. bytes, 0x00]));
        Assert.Equal(CmpFailureReason.MalformedResponse, e.Reason);
    }
}
