using System.Security.Cryptography;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Tests.Support;
using CmpKit.Tests.Validation;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Tests.Client;

/// <summary>generalInfo ITAVs from the options (OpenSSL's -geninfo) and the certProfile ITAV (RFC 9483, section 3.1).</summary>
public class GeneralInfoTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static IReadOnlyList<InfoTypeAndValue> GeneralInfo(PkiMessage m) => m.Header.GetGeneralInfo() ?? [];

    [Fact]
    public async Task Geninfo_itavs_go_into_every_message_of_the_transaction()
    {
        var server = new ScriptedCmpServer();
        var options = ResponseCheckTests.MacOptions(server) with
        {
            GeneralInfo = [CmpInfoTypeAndValue.Integer("1.2.3.4", 56789), CmpInfoTypeAndValue.Utf8String("1.2.3.5", "hello")],
        };
        await ResponseCheckTests.Client(server, options).InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        Assert.Equal(2, server.Received.Count);
        foreach (var m in server.Received)
        {
            var info = GeneralInfo(m);
            Assert.Equal(56789, DerInteger.GetInstance(info.Single(i => i.InfoType.Id == "1.2.3.4").InfoValue).IntValueExact);
            Assert.Equal("hello", DerUtf8String.GetInstance(info.Single(i => i.InfoType.Id == "1.2.3.5").InfoValue).GetString());
        }
    }

    [Fact]
    public async Task Implicit_confirm_and_geninfo_together_in_the_first_request()
    {
        var server = new ScriptedCmpServer { GrantImplicitConfirm = true };
        var options = ResponseCheckTests.MacOptions(server) with { ImplicitConfirm = true, GeneralInfo = [CmpInfoTypeAndValue.Integer("1.2.3.4", 1)] };
        var result = await ResponseCheckTests.Client(server, options).InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        Assert.True(result.ImplicitlyConfirmed);
        Assert.Equal([CmpObjectIdentifiers.it_implicitConfirm.Id, "1.2.3.4"], GeneralInfo(server.Received[0]).Select(i => i.InfoType.Id));
    }

    [Fact]
    public async Task Cert_profile_goes_into_the_first_request_only()
    {
        var server = new ScriptedCmpServer();
        var options = ResponseCheckTests.MacOptions(server) with { CertificateProfile = "tls-server" };
        await ResponseCheckTests.Client(server, options).InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        var profile = GeneralInfo(server.Received[0]).Single(i => i.InfoType.Id == "1.3.6.1.5.5.7.4.21");
        var names = Asn1Sequence.GetInstance(profile.InfoValue);
        Assert.Equal("tls-server", DerUtf8String.GetInstance(Assert.Single(names)).GetString());
        Assert.Empty(GeneralInfo(server.Received[1])); // certConf
    }

    [Fact]
    public async Task Cert_profile_goes_into_a_genm()
    {
        var server = new ScriptedCmpServer();
        var options = ResponseCheckTests.MacOptions(server) with { CertificateProfile = "device" };
        await ResponseCheckTests.Client(server, options).GeneralMessageAsync([], Ct);
        Assert.Contains(GeneralInfo(server.Received[0]), i => i.InfoType.Id == "1.3.6.1.5.5.7.4.21");
    }

    [Fact]
    public void Invalid_geninfo_value_is_refused_when_the_client_is_created()
    {
        var server = new ScriptedCmpServer();
        var options = ResponseCheckTests.MacOptions(server) with { GeneralInfo = [new CmpInfoTypeAndValue(new Oid("1.2.3"), new byte[] { 0x02 })] };
        var e = Assert.Throws<CmpException>(() => ResponseCheckTests.Client(server, options));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
    }
}
