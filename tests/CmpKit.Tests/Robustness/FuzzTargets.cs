using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CmpKit.Client;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Server;
using CmpKit.Transport;
using CmpKit.Validation;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1.Cmp;

namespace CmpKit.Fuzzing;

/// <summary>
/// The bodies of the three fuzz targets (fuzz/CmpKit.Fuzz runs them under AFL++; FuzzSmokeTests runs
/// them over the seed corpus in CI). Each returns normally for any input the library handles as
/// designed and throws <see cref="FuzzFindingException"/> (or lets an unexpected exception escape)
/// for a finding: an exception type other than <see cref="CmpException"/> out of the library, or a
/// server that throws or fails internally.
/// </summary>
internal static class FuzzTargets
{
    /// <summary>The targets by name (as fuzz/run.sh spells them).</summary>
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["decode"] = DecodeMessage,
        ["client"] = ClientResponse,
        ["server"] = ServerRequest,
    };

    // ---------------------------------------------------------------- (a) decoding

    /// <summary>(a) PkiMessageCodec.Decode, then every reader of the library that looks at the header and the body.</summary>
    public static void DecodeMessage(byte[] data)
    {
        PkiMessage message;
        try
        {
            message = PkiMessageCodec.Decode(data);
        }
        catch (CmpException)
        {
            return;
        }
        Expect(() => _ = RequestReader.MessageTime(message.Header));
        Expect(() => _ = RequestReader.AsksImplicitConfirm(message.Header));
        Expect(() => _ = GeneralMessages.ReadGeneralInfo(message.Header));
        Expect(() => _ = StatusInfos.ReadFreeText(message.Header.FreeText));
        Expect(() => _ = Certificates.ToDotNet(message.GetExtraCerts()));
        var body = message.Body;
        switch ((BodyType)body.Type)
        {
            case BodyType.Ir or BodyType.Cr or BodyType.Kur:
                Expect(() => _ = RequestReader.ReadCertRequest(body));
                break;
            case BodyType.P10cr:
                Expect(() => _ = RequestReader.ReadP10(body));
                break;
            case BodyType.Ip or BodyType.Cp or BodyType.Kup:
                // What the client does with an ip/cp/kup (CmpClient.Enrollment HandleFinalAsync).
                Expect(() =>
                {
                    var rep = CertRepMessage.GetInstance(body.Content);
                    var response = BodyChecks.SingleCertResponse(rep, null);
                    if (!BodyChecks.StatusAllowsCertificate(response, BodyType.Ir, out _))
                    {
                        _ = Certificates.ToDotNet(rep.GetCAPubs());
                        _ = BodyChecks.NewCertificate(response, false, out _).Parsed;
                    }
                });
                break;
            case BodyType.Rr:
                Expect(() => _ = ServerBodies.ReadRevocationRequest(body));
                break;
            case BodyType.Rp:
                Expect(() => _ = RevocationMessages.ReadRp(body));
                break;
            case BodyType.Genm:
                Expect(() => _ = ServerBodies.ReadGeneralMessage(body));
                break;
            case BodyType.Genp:
                Expect(() => _ = GeneralMessages.ReadGenp(body));
                break;
            case BodyType.Error:
                Expect(() => _ = RequestReader.ReadError(body));
                Expect(() => _ = BodyChecks.IsWaitingError(message));
                break;
            case BodyType.CertConf:
                Expect(() => _ = RequestReader.ReadCertConf(body));
                break;
            case BodyType.PollReq:
                Expect(() => _ = RequestReader.ReadPollReq(body));
                break;
            case BodyType.PollRep:
                Expect(() => _ = BodyChecks.PollRep(message, 0, new VerificationPolicy()));
                break;
        }
    }

    // ---------------------------------------------------------------- (b) client

    private static readonly byte[] Secret = "fuzz-secret"u8.ToArray();
    private static readonly ECDsa ClientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly Lazy<X509Certificate2> RevokedCertificate = new(() =>
    {
        var req = new CertificateRequest("CN=fuzz revoked", ClientKey, HashAlgorithmName.SHA256);
        return req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    });

    /// <summary>
    /// (b) The client's processing of a response for a fixed request state. The first byte selects
    /// the operation (bits 0-1: ir, genm, rr, ir with implicitConfirm), whether the response bytes
    /// are sent as they are or re-headed (bit 2: decoded, given the request's transactionID and
    /// recipNonce and MAC-protected with the client's secret, so the fuzzer reaches the body checks),
    /// and whether unprotected errors are allowed (bit 3). The rest is the response to the first
    /// request; later requests (certConf, pollReq, error) get the same response re-headed again, at
    /// most four exchanges in all. Any exception other than CmpException is a finding.
    /// </summary>
    public static void ClientResponse(byte[] data)
    {
        if (data.Length < 2)
        {
            return;
        }
        int mode = data[0];
        var response = data.AsMemory(1);
        int exchanges = 0;
        var transport = new InProcessCmpTransport((request, _) =>
        {
            if (++exchanges > 4)
            {
                throw new CmpException(CmpFailureReason.ConnectionFailed, "fuzz: exchange limit");
            }
            return Task.FromResult((mode & 4) != 0 ? Reheaded(request, response) : response.ToArray());
        });
        var options = new CmpClientOptions
        {
            MacCredentials = new CmpMacCredentials(Secret, "fuzzref"u8.ToArray()) { IterationCount = 100 },
            UnprotectedErrors = (mode & 8) != 0,
            ImplicitConfirm = (mode & 3) == 3,
            MessageTimeout = null,
            TotalTimeout = null,
            MaxCheckAfter = TimeSpan.FromSeconds(30),
        };
        var client = new CmpClient(transport, options, timeProvider: new InstantTimeProvider());
        try
        {
            Task work = (mode & 3) switch
            {
                1 => client.GeneralMessageAsync([new CmpInfoTypeAndValue(new Oid("1.3.6.1.5.5.7.4.17"))]),
                2 => client.RevokeAsync(RevokedCertificate.Value),
                _ => client.InitialEnrollAsync(new CertificateRequestTemplate { NewKey = ClientKey, Subject = new X500DistinguishedName("CN=fuzz") }),
            };
            if (!work.Wait(TimeSpan.FromSeconds(20)))
            {
                throw new FuzzFindingException("the client did not finish within 20 s");
            }
        }
        catch (AggregateException e) when (e.InnerExceptions is [CmpException])
        {
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            throw new FuzzFindingException($"the client threw {e.InnerException!.GetType().FullName}: {e.InnerException.Message}", e.InnerException);
        }
    }

    /// <summary>
    /// The fuzzed response with the request's transactionID and recipNonce, MAC-protected with the
    /// client's secret; the bytes as they are when they do not decode.
    /// </summary>
    private static byte[] Reheaded(ReadOnlyMemory<byte> requestBytes, ReadOnlyMemory<byte> responseBytes)
    {
        PkiMessage fuzzed;
        try
        {
            fuzzed = PkiMessageCodec.Decode(responseBytes.Span);
        }
        catch (CmpException)
        {
            return responseBytes.ToArray();
        }
        var request = PkiMessageCodec.Decode(requestBytes.Span);
        var h = fuzzed.Header;
        var fields = new HeaderFields
        {
            Pvno = h.Pvno.Value.BitLength < 8 ? h.Pvno.Value.IntValue : 2,
            Sender = h.Sender,
            Recipient = h.Recipient,
            TransactionId = request.Header.TransactionID.GetOctets(),
            SenderNonce = h.SenderNonce?.GetOctets() ?? new byte[16],
            RecipNonce = request.Header.SenderNonce.GetOctets(),
            GeneralInfo = h.GetGeneralInfo() ?? [],
        };
        List<X509Certificate2> extraCerts;
        try
        {
            extraCerts = Certificates.ToDotNet(fuzzed.GetExtraCerts());
        }
        catch (CmpException)
        {
            extraCerts = [];
        }
        try
        {
            var protection = new MacProtectionSpec(Secret, "fuzzsrv"u8.ToArray(), HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 100, 16);
            return PkiMessageCodec.Encode(MessageProtector.Protect(fields, fuzzed.Body, protection, extraCerts));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            // BouncyCastle refuses to encode what it decoded: the harness's problem, not the client's.
            return responseBytes.ToArray();
        }
    }

    // ---------------------------------------------------------------- (c) server

    private static readonly Lazy<(CmpServer Server, FindingLogger Log)> Server = new(() =>
    {
        var log = new FindingLogger();
        var server = new CmpServer(new MockCaOptions { SrvSecret = Secret, SrvRef = "fuzzsrv"u8.ToArray(), MaxTransactions = 64 }, logger: log);
        return (server, log);
    });

    /// <summary>
    /// (c) CmpServer.HandleAsync: must never throw, must answer with one decodable PKIMessage, and
    /// must not get to its "internal error" path (logged with an exception). With bit 0 of the first
    /// byte set, the request is re-protected with the server's secret so the fuzzer gets past the
    /// protection check; with bit 1, the server sees the request twice (replay, transaction state).
    /// </summary>
    public static void ServerRequest(byte[] data)
    {
        if (data.Length < 2)
        {
            return;
        }
        int mode = data[0];
        var request = data.AsSpan(1).ToArray();
        if ((mode & 1) != 0)
        {
            request = ReprotectedRequest(request);
        }
        var (server, log) = Server.Value;
        for (int i = 0; i < ((mode & 2) != 0 ? 2 : 1); i++)
        {
            byte[] response;
            try
            {
                response = server.HandleAsync(request).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                throw new FuzzFindingException($"CmpServer.HandleAsync threw {e.GetType().FullName}: {e.Message}", e);
            }
            if (log.TakeFinding() is { } internalError)
            {
                throw new FuzzFindingException($"the server failed internally: {internalError.GetType().FullName}: {internalError.Message}", internalError);
            }
            try
            {
                _ = PkiMessageCodec.Decode(response);
            }
            catch (CmpException e)
            {
                throw new FuzzFindingException("the server's response does not decode: " + e.Message, e);
            }
        }
    }

    private static byte[] ReprotectedRequest(byte[] bytes)
    {
        PkiMessage m;
        try
        {
            m = PkiMessageCodec.Decode(bytes);
        }
        catch (CmpException)
        {
            return bytes;
        }
        var h = m.Header;
        try
        {
            var fields = new HeaderFields
            {
                Pvno = h.Pvno.Value.BitLength < 8 ? h.Pvno.Value.IntValue : 2,
                Sender = h.Sender,
                Recipient = h.Recipient,
                TransactionId = h.TransactionID?.GetOctets() ?? new byte[16],
                SenderNonce = h.SenderNonce?.GetOctets() ?? new byte[16],
                RecipNonce = h.RecipNonce?.GetOctets(),
                MessageTime = DateTimeOffset.UtcNow,
                GeneralInfo = h.GetGeneralInfo() ?? [],
            };
            var protection = new MacProtectionSpec(Secret, "fuzzref"u8.ToArray(), HashAlgorithmName.SHA256, HashAlgorithmName.SHA256, 100, 16);
            return PkiMessageCodec.Encode(MessageProtector.Protect(fields, m.Body, protection, Certificates.ToDotNet(m.GetExtraCerts())));
        }
        catch (Exception e) when (e is CmpException or ArgumentException or InvalidOperationException or IOException)
        {
            return bytes;
        }
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>Runs a reader: a CmpException is the designed answer to bad input; anything else escapes as a finding.</summary>
    private static void Expect(Action read)
    {
        try
        {
            read();
        }
        catch (CmpException)
        {
        }
        catch (Exception e)
        {
            throw new FuzzFindingException($"{e.GetType().FullName} escaped: {e.Message}", e);
        }
    }

    /// <summary>Records errors the server logs with an exception (its "internal error" path).</summary>
    private sealed class FindingLogger : ILogger
    {
        private Exception? _finding;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error && exception is not null)
            {
                Interlocked.CompareExchange(ref _finding, exception, null);
            }
        }

        public Exception? TakeFinding() => Interlocked.Exchange(ref _finding, null);
    }

    /// <summary>A clock whose timers fire at once and move the clock forward by their due time (no sleeping while polling).</summary>
    private sealed class InstantTimeProvider : TimeProvider
    {
        private long _ticks = DateTimeOffset.UtcNow.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Interlocked.Add(ref _ticks, Math.Max(0, dueTime.Ticks));
                ThreadPool.UnsafeQueueUserWorkItem(_ => callback(state), null);
            }
            return new NoTimer();
        }

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}

/// <summary>A fuzz target's verdict that the input found a bug.</summary>
internal sealed class FuzzFindingException(string message, Exception? inner = null) : Exception(message, inner);
