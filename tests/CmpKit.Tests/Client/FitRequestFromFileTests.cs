using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Tests.Support;
using CmpKit.Tests.Validation;
using CmpKit.Transport;

namespace CmpKit.Tests.Client;

/// <summary>
/// <see cref="CmpClient.FitRequestFromFile"/> (OpenSSL's -reqin, -reqin_new_tid): a saved request gets the
/// running transaction's recipNonce (and with a new tid its transactionID) and is protected again; an
/// unchanged one is sent as read.
/// </summary>
public class FitRequestFromFileTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    /// <summary>The requests of one ir transaction (ir, certConf) against the scripted server.</summary>
    private static async Task<List<byte[]>> TransactionAsync(ScriptedCmpServer server)
    {
        var sent = new List<byte[]>();
        var transport = new InProcessCmpTransport((req, ct) =>
        {
            sent.Add(req.ToArray());
            return server.HandleAsync(req, ct);
        });
        await new CmpClient(transport, ResponseCheckTests.MacOptions(server)).InitialEnrollAsync(ResponseCheckTests.Template(), Ct);
        return sent;
    }

    private static Org.BouncyCastle.Asn1.Cmp.PkiMessage Decode(byte[] der) => PkiMessageCodec.Decode(der);

    [Fact]
    public async Task A_first_request_keeps_its_nonces_and_bytes_unless_a_new_tid_is_asked_for()
    {
        var server = new ScriptedCmpServer();
        var saved = await TransactionAsync(server);
        var now = await TransactionAsync(server);
        var client = ResponseCheckTests.Client(server);

        Assert.Equal(saved[0], client.FitRequestFromFile(saved[0], now[0], newTransactionId: false));

        var fitted = Decode(client.FitRequestFromFile(saved[0], now[0], newTransactionId: true));
        Assert.Equal(Decode(now[0]).Header.TransactionID.GetOctets(), fitted.Header.TransactionID.GetOctets());
        Assert.Equal(Decode(saved[0]).Header.SenderNonce.GetOctets(), fitted.Header.SenderNonce.GetOctets());
        Assert.Equal(Decode(saved[0]).Body.GetEncoded(), fitted.Body.GetEncoded());
        Assert.True(ProtectionVerifier.VerifyMac(fitted, ScriptedCmpServer.DefaultSecret, 100_000)); // protected again
    }

    [Fact]
    public async Task A_later_request_gets_the_running_recipNonce_and_is_protected_again()
    {
        var server = new ScriptedCmpServer();
        var saved = await TransactionAsync(server);
        var now = await TransactionAsync(server);
        var client = ResponseCheckTests.Client(server);

        var fitted = Decode(client.FitRequestFromFile(saved[1], now[1], newTransactionId: false));
        Assert.Equal(Decode(now[1]).Header.RecipNonce.GetOctets(), fitted.Header.RecipNonce.GetOctets());
        Assert.Equal(Decode(saved[1]).Header.TransactionID.GetOctets(), fitted.Header.TransactionID.GetOctets()); // old tid kept
        Assert.True(ProtectionVerifier.VerifyMac(fitted, ScriptedCmpServer.DefaultSecret, 100_000));
        Assert.False(ProtectionVerifier.VerifyMac(fitted, "other"u8, 100_000));
    }

    [Fact]
    public async Task An_unprotected_request_stays_unprotected_and_junk_is_refused()
    {
        var server = new ScriptedCmpServer();
        var saved = await TransactionAsync(server);
        var now = await TransactionAsync(server);
        var client = ResponseCheckTests.Client(server);
        var m = Decode(saved[1]);
        var unprotected = PkiMessageCodec.Encode(new Org.BouncyCastle.Asn1.Cmp.PkiMessage(m.Header, m.Body, null, null));

        var fitted = Decode(client.FitRequestFromFile(unprotected, now[1], newTransactionId: false));
        Assert.Null(fitted.Protection);
        Assert.Equal(Decode(now[1]).Header.RecipNonce.GetOctets(), fitted.Header.RecipNonce.GetOctets());

        var e = Assert.Throws<CmpException>(() => client.FitRequestFromFile("junk"u8.ToArray(), now[1], newTransactionId: false));
        Assert.Equal(CmpFailureReason.InvalidOptions, e.Reason);
    }
}
