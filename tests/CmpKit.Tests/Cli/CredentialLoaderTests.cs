using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Cli.Options;

namespace CmpKit.Tests.Cli;

public class CredentialLoaderTests
{
    private const string Secret = "Very-Secret-Pass";

    private static byte[] Spki(AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
        ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
        _ => throw new ArgumentException("unexpected key type"),
    };

    private static string Error(Action action)
    {
        var e = Assert.Throws<CliException>(action);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain(Secret, e.Message);
        Assert.DoesNotContain("12345x", e.Message);
        return e.Message;
    }

    // ---- OpenSSL's Mock credentials, read in place ----

    [Fact]
    public void PemChainOfThreeCertificates()
    {
        var certs = CredentialLoader.LoadCertificates(SharedTestData.Mock("signer.crt"));

        Assert.Equal(3, certs.Count);
        Assert.Equal("CN=leaf, O=Internet Widgits Pty Ltd, S=Some-State, C=AU", certs[0].Subject);
        Assert.Contains("CN=subinterCA", certs[1].Subject);
        Assert.Contains("CN=interCA", certs[2].Subject);
    }

    [Fact]
    public void FirstCertificateOfPemWithTextBeforeIt()
    {
        using var cert = CredentialLoader.LoadCertificate(SharedTestData.Mock("server.crt"));

        Assert.Equal("CN=server.example", cert.Subject);
    }

    [Fact]
    public void TraditionalRsaKeyMatchesItsCertificate()
    {
        using var key = CredentialLoader.LoadPrivateKey(SharedTestData.Mock("signer.key"));
        using var cert = CredentialLoader.LoadCertificate(SharedTestData.Mock("signer.crt"));

        var rsa = Assert.IsAssignableFrom<RSA>(key);
        Assert.Equal(cert.GetRSAPublicKey()!.ExportSubjectPublicKeyInfo(), rsa.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Pkcs8KeyMatchesServerCertificate()
    {
        using var key = CredentialLoader.LoadPrivateKey(SharedTestData.Mock("server.key"));
        using var cert = CredentialLoader.LoadCertificate(SharedTestData.Mock("server.crt"));

        Assert.Equal(cert.GetRSAPublicKey()!.ExportSubjectPublicKeyInfo(), Spki(key));
    }

    [Fact]
    public void EncryptedPkcs8WithPassphrase()
    {
        using var key = CredentialLoader.LoadPrivateKey(SharedTestData.Mock("new_pass_12345.key"), "12345");
        using var plain = CredentialLoader.LoadPrivateKey(SharedTestData.Mock("new.key"));

        Assert.Equal(Spki(plain), Spki(key));
    }

    [Fact]
    public void EncryptedPkcs8WrongOrMissingPassphrase()
    {
        string path = SharedTestData.Mock("new_pass_12345.key");

        Assert.Equal($"cannot load private key from '{path}': cannot decrypt the key (wrong pass phrase?)",
            Error(() => CredentialLoader.LoadPrivateKey(path, "12345x")));
        Assert.Equal($"cannot load private key from '{path}': the key is encrypted; a pass phrase is needed",
            Error(() => CredentialLoader.LoadPrivateKey(path, null)));
    }

    [Fact]
    public void Pkcs12AsKeyAndAsCertificate()
    {
        string p12 = SharedTestData.Mock("signer.p12");

        using var key = CredentialLoader.LoadPrivateKey(p12, "12345");
        using var cert = CredentialLoader.LoadCertificate(p12, "12345");
        var all = CredentialLoader.LoadCertificates(p12, "12345");
        using var plain = CredentialLoader.LoadPrivateKey(SharedTestData.Mock("signer.key"));

        Assert.Equal(Spki(plain), Spki(key));
        Assert.True(cert.HasPrivateKey);
        Assert.Contains("CN=leaf", cert.Subject);
        Assert.True(all.Count >= 2);
        Assert.True(all[0].HasPrivateKey);
    }

    [Fact]
    public void Pkcs12WrongPassphrase()
    {
        string p12 = SharedTestData.Mock("signer.p12");

        Assert.Equal($"cannot load CMP client private key from '{p12}': cannot decrypt the PKCS#12 file (wrong pass phrase?)",
            Error(() => CredentialLoader.LoadPrivateKey(p12, "12345x", "CMP client private key")));
        Assert.Contains("cannot decrypt the PKCS#12 file", Error(() => CredentialLoader.LoadCertificate(p12, ":12345")));
    }

    [Fact]
    public void PublicKeyFile()
    {
        using var pub = CredentialLoader.LoadPublicKey(SharedTestData.Mock("new_pub.key"));
        using var priv = CredentialLoader.LoadPrivateKey(SharedTestData.Mock("new.key"));

        Assert.Equal(Spki(priv), Spki(pub));
    }

    [Fact]
    public void PublicKeyFromPrivateKeyFile()
    {
        using var pub = CredentialLoader.LoadPublicKey(SharedTestData.Mock("signer.key"));
        using var cert = CredentialLoader.LoadCertificate(SharedTestData.Mock("signer.crt"));

        Assert.Equal(cert.GetRSAPublicKey()!.ExportSubjectPublicKeyInfo(), Spki(pub));
    }

    [Theory]
    [InlineData("random.bin", "not a certificate in PEM, DER or PKCS#12 format")]
    [InlineData("empty.txt", "file is empty")]
    [InlineData("csr.pem", "no certificate found in the PEM file")]
    [InlineData("signer.key", "no certificate found in the PEM file")]
    [InlineData("12345.txt", "not a certificate in PEM, DER or PKCS#12 format")]
    public void NotACertificate(string file, string reason)
    {
        string path = SharedTestData.Mock(file);

        Assert.Equal($"cannot load certificate from '{path}': {reason}", Error(() => CredentialLoader.LoadCertificate(path)));
    }

    [Theory]
    [InlineData("random.bin", "not a private key in PEM, DER or PKCS#12 format")]
    [InlineData("empty.txt", "file is empty")]
    [InlineData("server.crt", "no private key found in the PEM file")]
    [InlineData("new_pub.key", "no private key found in the PEM file")]
    public void NotAPrivateKey(string file, string reason)
    {
        string path = SharedTestData.Mock(file);

        Assert.Equal($"cannot load private key from '{path}': {reason}", Error(() => CredentialLoader.LoadPrivateKey(path)));
    }

    [Fact]
    public void MissingFile()
    {
        using var dir = new TempDir();
        string path = dir.File("nope.pem");

        Assert.Equal($"cannot load certificate from '{path}': file not found", Error(() => CredentialLoader.LoadCertificate(path)));
        Assert.Equal($"cannot load private key from '{path}': file not found", Error(() => CredentialLoader.LoadPrivateKey(path)));
    }

    [Fact]
    public void CertificateList()
    {
        var certs = CredentialLoader.LoadCertificateList($"{SharedTestData.Mock("server.crt")}, {SharedTestData.Mock("signer.crt")}");

        Assert.Equal(4, certs.Count);
        Assert.Equal("CN=server.example", certs[0].Subject);
    }

    [Fact]
    public void TruncatedPem()
    {
        using var dir = new TempDir();
        string path = dir.Write("bad.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n");

        Assert.StartsWith($"cannot load certificate from '{path}': malformed PEM", Error(() => CredentialLoader.LoadCertificate(path)));
    }

    // ---- credentials generated here with the installed openssl ----

    [Fact]
    public void GeneratedEcKeysInAllFormats()
    {
        using var dir = new TempDir();
        OpenSslProcess.Run(dir.Path, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.pem");
        OpenSslProcess.Run(dir.Path, "pkey", "-in", "ec.pem", "-out", "ec8.pem");
        OpenSslProcess.Run(dir.Path, "pkey", "-in", "ec.pem", "-outform", "DER", "-out", "ec8.der");
        OpenSslProcess.Run(dir.Path, "ec", "-in", "ec.pem", "-outform", "DER", "-out", "ec_trad.der");
        OpenSslProcess.Run(dir.Path, "ec", "-in", "ec.pem", "-aes128", "-passout", "pass:" + Secret, "-out", "ec_enc.pem");
        OpenSslProcess.Run(dir.Path, "pkcs8", "-topk8", "-in", "ec.pem", "-outform", "DER", "-passout", "pass:" + Secret, "-out", "ec_enc8.der");
        OpenSslProcess.Run(dir.Path, "pkey", "-in", "ec.pem", "-pubout", "-outform", "DER", "-out", "ec_pub.der");
        OpenSslProcess.Run(dir.Path, "req", "-x509", "-key", "ec.pem", "-subj", "/CN=ec", "-days", "1", "-out", "ec_cert.pem");
        OpenSslProcess.Run(dir.Path, "x509", "-in", "ec_cert.pem", "-outform", "DER", "-out", "ec_cert.der");
        OpenSslProcess.Run(dir.Path, "pkcs12", "-export", "-inkey", "ec.pem", "-in", "ec_cert.pem", "-passout", "pass:" + Secret, "-out", "ec.p12");
        Assert.Contains("Proc-Type: 4,ENCRYPTED", File.ReadAllText(dir.File("ec_enc.pem")));

        using var reference = CredentialLoader.LoadPrivateKey(dir.File("ec.pem"));
        Assert.IsAssignableFrom<ECDsa>(reference);
        byte[] expected = Spki(reference);

        foreach (var (file, pass) in new[]
                 {
                     ("ec8.pem", (string?)null), ("ec8.der", null), ("ec_trad.der", null), ("ec_enc.pem", Secret),
                     ("ec_enc8.der", Secret), ("ec.p12", Secret),
                 })
        {
            using var key = CredentialLoader.LoadPrivateKey(dir.File(file), pass);
            Assert.True(expected.AsSpan().SequenceEqual(Spki(key)), $"{file} gave another key");
        }

        using var pub = CredentialLoader.LoadPublicKey(dir.File("ec_pub.der"));
        Assert.Equal(expected, Spki(pub));
        using var derCert = CredentialLoader.LoadCertificate(dir.File("ec_cert.der"));
        Assert.Equal("CN=ec", derCert.Subject);
        using var p12Cert = CredentialLoader.LoadCertificate(dir.File("ec.p12"), Secret, hint: CredentialFormat.Pkcs12);
        Assert.Equal("CN=ec", p12Cert.Subject);

        Assert.Contains("cannot decrypt the key (wrong pass phrase?)", Error(() => CredentialLoader.LoadPrivateKey(dir.File("ec_enc.pem"), "12345x")));
        Assert.Contains("a pass phrase is needed", Error(() => CredentialLoader.LoadPrivateKey(dir.File("ec_enc.pem"))));
        Assert.Contains("wrong pass phrase", Error(() => CredentialLoader.LoadPrivateKey(dir.File("ec_enc8.der"), "12345x")));
    }

    [Theory]
    [InlineData("-aes256")]
    [InlineData("-aes192")]
    [InlineData("-des3")]
    public void GeneratedEncryptedTraditionalRsaPem(string cipher)
    {
        using var dir = new TempDir();
        OpenSslProcess.Run(dir.Path, "rsa", "-in", SharedTestData.Mock("signer.key"), cipher, "-passout", "pass:" + Secret,
            "-traditional", "-out", "enc.pem");
        string pem = File.ReadAllText(dir.File("enc.pem"));
        Assert.Contains("BEGIN RSA PRIVATE KEY", pem);
        Assert.Contains("DEK-Info:", pem);

        using var key = CredentialLoader.LoadPrivateKey(dir.File("enc.pem"), Secret);
        using var plain = CredentialLoader.LoadPrivateKey(SharedTestData.Mock("signer.key"));

        Assert.Equal(Spki(plain), Spki(key));
        Assert.Contains("wrong pass phrase", Error(() => CredentialLoader.LoadPrivateKey(dir.File("enc.pem"), "12345x")));
    }

    [Fact]
    public void GeneratedRsaPublicKeyFormats()
    {
        using var dir = new TempDir();
        OpenSslProcess.Run(dir.Path, "rsa", "-in", SharedTestData.Mock("signer.key"), "-RSAPublicKey_out", "-out", "pkcs1.pem");
        OpenSslProcess.Run(dir.Path, "rsa", "-in", SharedTestData.Mock("signer.key"), "-RSAPublicKey_out", "-outform", "DER", "-out", "pkcs1.der");
        OpenSslProcess.Run(dir.Path, "rsa", "-in", SharedTestData.Mock("signer.key"), "-outform", "DER", "-out", "trad.der");
        using var plain = CredentialLoader.LoadPrivateKey(SharedTestData.Mock("signer.key"));

        using var pem = CredentialLoader.LoadPublicKey(dir.File("pkcs1.pem"));
        using var der = CredentialLoader.LoadPublicKey(dir.File("pkcs1.der"));
        using var trad = CredentialLoader.LoadPrivateKey(dir.File("trad.der"));

        Assert.Equal(Spki(plain), Spki(pem));
        Assert.Equal(Spki(plain), Spki(der));
        Assert.Equal(Spki(plain), Spki(trad));
    }

    [Fact]
    public void GeneratedEd25519IsUnsupportedKeyType()
    {
        using var dir = new TempDir();
        OpenSslProcess.Run(dir.Path, "genpkey", "-algorithm", "ed25519", "-out", "ed.pem");
        OpenSslProcess.Run(dir.Path, "pkey", "-in", "ed.pem", "-pubout", "-out", "ed_pub.pem");

        Assert.EndsWith("unsupported key type Ed25519; only RSA and EC keys are supported", Error(() => CredentialLoader.LoadPrivateKey(dir.File("ed.pem"))));
        Assert.EndsWith("unsupported key type Ed25519; only RSA and EC keys are supported", Error(() => CredentialLoader.LoadPublicKey(dir.File("ed_pub.pem"))));
    }

    [Theory]
    [InlineData("-v2", "aes128", "-v2prf", "hmacWithSHA512")]
    [InlineData("-v2", "des3", "-v2prf", "hmacWithSHA1")]
    [InlineData("-v1", "PBE-SHA1-3DES", "-v2prf", "hmacWithSHA256")]   // PBES1: left to .NET's own import
    public void GeneratedEncryptedPkcs8Schemes(string v, string scheme, string prfOption, string prf)
    {
        using var dir = new TempDir();
        string[] args = v == "-v1"
            ? ["pkcs8", "-topk8", "-in", SharedTestData.Mock("signer.key"), v, scheme, "-passout", "pass:" + Secret, "-out", "k.pem"]
            : ["pkcs8", "-topk8", "-in", SharedTestData.Mock("signer.key"), v, scheme, prfOption, prf, "-passout", "pass:" + Secret, "-out", "k.pem"];
        OpenSslProcess.Run(dir.Path, args);
        using var plain = CredentialLoader.LoadPrivateKey(SharedTestData.Mock("signer.key"));

        using var key = CredentialLoader.LoadPrivateKey(dir.File("k.pem"), Secret);

        Assert.Equal(Spki(plain), Spki(key));
        Assert.Contains("cannot decrypt the key (wrong pass phrase?)", Error(() => CredentialLoader.LoadPrivateKey(dir.File("k.pem"), "12345x")));
    }

    [Fact]
    public void GeneratedEncryptedEd25519IsUnsupportedKeyTypeNotWrongPassphrase()
    {
        using var dir = new TempDir();
        OpenSslProcess.Run(dir.Path, "genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "pass:" + Secret, "-out", "ed.pem");

        Assert.EndsWith("unsupported key type Ed25519; only RSA and EC keys are supported",
            Error(() => CredentialLoader.LoadPrivateKey(dir.File("ed.pem"), Secret)));
    }

    [Theory]
    [InlineData("PEM", "Pem")]
    [InlineData("der", "Der")]
    [InlineData("P12", "Pkcs12")]
    [InlineData(null, "Auto")]
    public void FormatHints(string? value, string expected)
    {
        Assert.Equal(expected, CredentialFormatParser.Parse(value, "-keyform").ToString());
    }

    [Fact]
    public void BadFormatHint()
    {
        Assert.Equal("option -keyform: unknown format 'ENGINE' (use PEM, DER or P12)", Error(() => CredentialFormatParser.Parse("ENGINE", "-keyform")));
    }
}
