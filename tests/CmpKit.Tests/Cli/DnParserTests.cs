using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Cli.Options;

namespace CmpKit.Tests.Cli;

public class DnParserTests
{
    // (oid, universal tag, value) per RDN
    private static List<List<(string Oid, UniversalTagNumber Tag, string Value)>> Decode(X500DistinguishedName dn)
    {
        var result = new List<List<(string, UniversalTagNumber, string)>>();
        var seq = new AsnReader(dn.RawData, AsnEncodingRules.DER).ReadSequence();
        while (seq.HasData)
        {
            var set = seq.ReadSetOf();
            var rdn = new List<(string, UniversalTagNumber, string)>();
            while (set.HasData)
            {
                var atv = set.ReadSequence();
                string oid = atv.ReadObjectIdentifier();
                var tag = (UniversalTagNumber)atv.PeekTag().TagValue;
                rdn.Add((oid, tag, atv.ReadCharacterString(tag)));
            }

            result.Add(rdn);
        }

        return result;
    }

    [Fact]
    public void OpenSslDefaultSubject()
    {
        var dn = DnParser.Parse("/C=AU/ST=Some-State/O=Internet Widgits Pty Ltd/CN=leaf");

        var rdns = Decode(dn);
        Assert.Equal(4, rdns.Count);
        Assert.Equal(("2.5.4.6", UniversalTagNumber.PrintableString, "AU"), rdns[0].Single());
        Assert.Equal(("2.5.4.8", UniversalTagNumber.UTF8String, "Some-State"), rdns[1].Single());
        Assert.Equal(("2.5.4.10", UniversalTagNumber.UTF8String, "Internet Widgits Pty Ltd"), rdns[2].Single());
        Assert.Equal(("2.5.4.3", UniversalTagNumber.UTF8String, "leaf"), rdns[3].Single());
        Assert.Contains("CN=leaf", dn.Name);
        Assert.Contains("O=Internet Widgits Pty Ltd", dn.Name);
    }

    [Fact]
    public void MultiValuedRdn()
    {
        var rdns = Decode(DnParser.Parse("/DC=org/CN=Joe+UID=jd42/O=x"));

        Assert.Equal(3, rdns.Count);
        Assert.Equal(2, rdns[1].Count);
        Assert.Contains(("2.5.4.3", UniversalTagNumber.UTF8String, "Joe"), rdns[1]);
        Assert.Contains(("0.9.2342.19200300.100.1.1", UniversalTagNumber.UTF8String, "jd42"), rdns[1]);
        Assert.Equal(("0.9.2342.19200300.100.1.25", UniversalTagNumber.IA5String, "org"), rdns[0].Single());
    }

    [Fact]
    public void Escapes()
    {
        var rdns = Decode(DnParser.Parse(@"/CN=a\/b\+c\\d\=e/O=x\+y"));

        Assert.Equal("a/b+c\\d=e", rdns[0].Single().Value);
        Assert.Equal("x+y", rdns[1].Single().Value);
    }

    [Fact]
    public void UnescapedPlusStartsAnotherAttribute()
    {
        var e = Assert.Throws<CliException>(() => DnParser.Parse("/O=x+y"));

        Assert.Equal("missing '=' after attribute type 'y' in DN '/O=x+y'", e.Message);
    }

    [Fact]
    public void LongNamesAndOids()
    {
        var rdns = Decode(DnParser.Parse("/countryName=DE/commonName=n/2.5.4.5=123/1.2.3.4=any/emailAddress=a@b.example/dnQualifier=q"));

        Assert.Equal(("2.5.4.6", UniversalTagNumber.PrintableString, "DE"), rdns[0].Single());
        Assert.Equal(("2.5.4.3", UniversalTagNumber.UTF8String, "n"), rdns[1].Single());
        Assert.Equal(("2.5.4.5", UniversalTagNumber.PrintableString, "123"), rdns[2].Single());
        Assert.Equal(("1.2.3.4", UniversalTagNumber.UTF8String, "any"), rdns[3].Single());
        Assert.Equal(("1.2.840.113549.1.9.1", UniversalTagNumber.IA5String, "a@b.example"), rdns[4].Single());
        Assert.Equal(("2.5.4.46", UniversalTagNumber.PrintableString, "q"), rdns[5].Single());
    }

    [Fact]
    public void EmptyValueIsSkippedWithWarning()
    {
        var warnings = new List<string>();

        var rdns = Decode(DnParser.Parse("/CN=/O=org/OU=", warnings));

        Assert.Equal(("2.5.4.10", UniversalTagNumber.UTF8String, "org"), rdns.Single().Single());
        Assert.Equal(2, warnings.Count);
        Assert.Contains("'CN'", warnings[0]);
    }

    [Fact]
    public void SlashAloneIsEmptyName()
    {
        Assert.Empty(Decode(DnParser.Parse("/")));
    }

    [Theory]
    [InlineData("CN=x", "must have the form /type0=value0/type1=value1/...")]
    [InlineData("", "must have the form")]
    [InlineData("/CN", "missing '=' after attribute type 'CN'")]
    [InlineData("/CN=x/O", "missing '=' after attribute type 'O'")]
    [InlineData("/XYZ=x", "unknown attribute type 'XYZ'")]
    [InlineData("/cn=x", "unknown attribute type 'cn'")]
    [InlineData("/1.2.=x", "unknown attribute type '1.2.'")]
    [InlineData("/CN=x\\", "escape character at end of DN")]
    [InlineData("/C=AUS", "value of 'C' in DN '/C=AUS' must be 2 characters long")]
    [InlineData("/C=Ä1", "not allowed in a PrintableString")]
    [InlineData("/emailAddress=jö@example.org", "not allowed in an IA5String")]
    public void Errors(string dn, string expected)
    {
        var e = Assert.Throws<CliException>(() => DnParser.Parse(dn));

        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void CommonNameLengthLimit()
    {
        Assert.NotNull(DnParser.Parse("/CN=" + new string('x', 64)));
        Assert.Contains("longer than 64", Assert.Throws<CliException>(() => DnParser.Parse("/CN=" + new string('x', 65))).Message);
    }

    [Theory]
    [InlineData("/C=AU/ST=Some-State/O=Internet Widgits Pty Ltd/CN=leaf")]
    [InlineData("/CN=Joe+UID=jd42+O=Org/OU=z+CN=y")]
    [InlineData("/DC=com/DC=example/emailAddress=a@b.example/serialNumber=1234/CN=x\\/y")]
    [InlineData("/CN=Grüße/O=Ünïcödé 日本")]
    [InlineData("/2.5.4.3=byoid/dnQualifier=abc/GN=Given/SN=Sur/title=Dr/street=Main St 1/postalCode=12345")]
    [InlineData("/CN=/O=skipped CN")]
    public void SameEncodingAsOpenSslReq(string subject)
    {
        using var dir = new TempDir();
        OpenSslProcess.Run(dir.Path, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-days", "1", "-utf8", "-subj", subject);
        using var cert = X509CertificateLoader.LoadCertificateFromFile(dir.File("c.pem"));

        var dn = DnParser.Parse(subject);

        Assert.Equal(Convert.ToHexString(cert.SubjectName.RawData), Convert.ToHexString(dn.RawData));
    }
}
