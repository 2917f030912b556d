using System.Security.Cryptography.X509Certificates;
using CmpKit.Messages;
using CmpKit.Protection;
using CmpKit.Transport;
using CmpKit.Validation;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.X509;

namespace CmpKit.Client;

// The one pipeline every transaction goes through: build -> protect -> send -> validate -> poll.
public sealed partial class CmpClient
{
    /// <summary>sender and recipient of the requests of one transaction (RFC 9810, section 5.1.1).</summary>
    internal sealed record Parties(GeneralName Sender, GeneralName Recipient);

    /// <summary>
    /// One transaction kind (certificate request, rr, genm): what the first request is and what to do
    /// with the final response. Polling (C22, C31-C33) is the pipeline's, the same for all.
    /// </summary>
    internal abstract class Operation
    {
        protected Operation(CmpClient client)
        {
            Client = client;
            Tx = new Transaction(client);
        }

        public CmpClient Client { get; }
        public Transaction Tx { get; }
        public Parties Parties { get; protected init; } = null!;
        public bool Started { get; set; }
        /// <summary>Whether polling has started (a second waiting status is then C33).</summary>
        public bool Polled { get; set; }
        /// <summary>When the server first said waiting (for <see cref="CmpClientOptions.MaxPollingDuration"/>).</summary>
        public DateTimeOffset PollingSince { get; set; }
        /// <summary>The name of the response the first request asks for (ip, cp, kup, rp, genp), for log lines while polling.</summary>
        public string ExpectedResponse { get; set; } = "response";
        /// <summary>The certReqId pollReqs ask for.</summary>
        public long PollCertReqId { get; set; } = -1;

        /// <summary>The certReqId to poll for after an error message with status waiting (-1 for non-certificate requests).</summary>
        public virtual long WaitingErrorCertReqId => -1;

        /// <summary>Whether the first request expects more messages (HTTP keep-alive, C4).</summary>
        public virtual bool FirstExpectsMore => false;

        /// <summary>generalInfo for the first request only (implicitConfirm, certProfile).</summary>
        public virtual IReadOnlyList<InfoTypeAndValue> FirstGeneralInfo => [];

        /// <summary>Builds the body of the first request.</summary>
        public abstract PkiBody BuildRequest();

        /// <summary>
        /// Handles a response that is neither a pollRep nor an error message with status waiting:
        /// true when the transaction is done, false when it says waiting (then <see cref="PollCertReqId"/> is set).
        /// </summary>
        public abstract Task<bool> HandleFinalAsync(PkiMessage response, CancellationToken ct);
    }

    /// <summary>An operation with a result.</summary>
    internal abstract class Operation<T> : Operation
    {
        protected Operation(CmpClient client) : base(client)
        {
        }

        public T? Result { get; protected set; }
    }

    /// <summary>The blocking form: steps until done, waiting checkAfter (capped by the total timeout, C32) in between.</summary>
    private async Task<T> RunAsync<T>(Operation<T> op, CancellationToken ct)
    {
        try
        {
            while (await StepAsync(op, ct).ConfigureAwait(false) is TimeSpan wait)
            {
                _logger.LogInformation("CMP server says waiting: polling for the {Response} again in {Seconds} s{Left}",
                    op.ExpectedResponse, (int)Math.Ceiling(wait.TotalSeconds), TimeLeft(op));
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                }
            }
            return op.Result!;
        }
        catch (CmpException e)
        {
            e.TransactionId ??= op.Tx.State.TransactionId;
            _logger.LogDebug("CMP transaction failed: {Reason}", e.Reason);
            throw;
        }
    }

    private string TimeLeft(Operation op) => op.Tx.Deadline is DateTimeOffset deadline
        ? $" ({Math.Max(0, (int)Math.Ceiling((deadline - _time.GetUtcNow()).TotalSeconds))} s left of the total timeout)"
        : "";

    /// <summary>
    /// One step of a transaction, never sleeping: the first request (or one pollReq when polling), then
    /// the final response's handling. Returns null when done, else how long to wait before the next
    /// step (RFC 9810, section 5.3.22 delayed delivery; C22, C31, C32, C33).
    /// </summary>
    private async Task<TimeSpan?> StepAsync(Operation op, CancellationToken ct)
    {
        var tx = op.Tx;
        PkiMessage response;
        if (!op.Started)
        {
            // 1.-4. build, protect, send, validate (C1-C20)
            op.Started = true;
            var first = op.BuildRequest();
            op.ExpectedResponse = Transaction.ResponseName(first.Type);
            response = await tx.ExchangeAsync(first, op.Parties, op.FirstExpectsMore, ct, generalInfo: op.FirstGeneralInfo).ConfigureAwait(false);
        }
        else
        {
            response = await tx.ExchangeAsync(RequestBuilder.PollReq(op.PollCertReqId), op.Parties, expectMore: true, ct).ConfigureAwait(false);
            if (response.Body.Type == (int)BodyType.PollRep)
            {
                return NextCheck(op, response);
            }
        }
        while (true)
        {
            // 5. the final response, or waiting (C22: status waiting, or an error message with status waiting)
            bool waiting;
            if (BodyChecks.IsWaitingError(response))
            {
                op.PollCertReqId = op.WaitingErrorCertReqId;
                waiting = true;
            }
            else
            {
                waiting = !await op.HandleFinalAsync(response, ct).ConfigureAwait(false);
            }
            if (!waiting)
            {
                return null;
            }
            if (op.Polled)
            {
                await SecondWaitingAsync(op, ct).ConfigureAwait(false); // C33
            }
            op.Polled = true;
            op.PollingSince = _time.GetUtcNow();
            tx.State.PollingStartNonce = tx.State.LastSenderNonce;
            response = await tx.ExchangeAsync(RequestBuilder.PollReq(op.PollCertReqId), op.Parties, expectMore: true, ct).ConfigureAwait(false);
            if (response.Body.Type == (int)BodyType.PollRep)
            {
                return NextCheck(op, response);
            }
            // else: the final response; its type is checked by the operation (C25)
        }
    }

    /// <summary>C31, C32: the pollRep's checkAfter, capped by what is left of the total timeout and of the polling limit.</summary>
    private TimeSpan NextCheck(Operation op, PkiMessage pollRep)
    {
        var wait = BodyChecks.PollRep(pollRep, op.PollCertReqId, _policy); // C31
        if (_options.MaxPollingDuration is { } maxPolling && maxPolling > TimeSpan.Zero)
        {
            var left = op.PollingSince + maxPolling - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new CmpException(CmpFailureReason.TotalTimeout,
                    $"the server still says waiting after the polling limit of {maxPolling.TotalSeconds:0.###} s (MaxPollingDuration)");
            }
            if (wait > left)
            {
                wait = left; // one last poll when the limit ends
            }
        }
        if (op.Tx.Deadline is DateTimeOffset deadline)
        {
            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new CmpException(CmpFailureReason.TotalTimeout, "the total timeout ended while polling");
            }
            if (wait > left)
            {
                wait = left; // C32: one last poll at the deadline
            }
        }
        return wait;
    }

    /// <summary>C33 / C37: a second waiting status; tell the server, then fail.</summary>
    private static async Task SecondWaitingAsync(Operation op, CancellationToken ct)
    {
        var error = RequestBuilder.Error(PkiStatus.Rejection, PkiFailureInfo.BadRequest, "second waiting status during polling");
        try
        {
            await op.Tx.SendErrorAsync(error, op.Parties, ct).ConfigureAwait(false);
        }
        catch (CmpException)
        {
            // The error message is a courtesy; the transaction fails either way.
        }
        throw new CmpException(CmpFailureReason.UnexpectedWaiting, "the server answered 'waiting' again after polling had ended");
    }

    /// <summary>
    /// sender and recipient for requests that are not certificate requests (rr, genm), as OpenSSL
    /// chooses them: sender = the client certificate's subject, else the reference certificate's, else
    /// <paramref name="subject"/>, else NULL-DN (then MAC protection needs a reference); recipient =
    /// the option, else the pinned server certificate's subject, else <paramref name="issuer"/>, else
    /// the issuer of the reference or client certificate, else NULL-DN.
    /// </summary>
    private Parties PartiesFor(X509Certificate2? reference, X500DistinguishedName? subject, X500DistinguishedName? issuer)
    {
        var clientCert = _options.SignatureCredentials?.Certificate;
        var sender = clientCert?.SubjectName ?? reference?.SubjectName ?? subject;
        if (sender is null && _protection is MacProtectionSpec { SenderKid: null })
        {
            throw new CmpException(CmpFailureReason.InvalidOptions,
                "with MAC protection and no sender name, a reference (senderKID) is needed to identify the sender");
        }
        var recipient = _options.Recipient ?? _options.ServerCertificate?.SubjectName ?? issuer ?? reference?.IssuerName ?? clientCert?.IssuerName;
        return new Parties(sender is null ? Names.NullDn : Names.ToGeneralName(sender), Names.ToGeneralName(recipient));
    }

    /// <summary>One transaction: its state, deadline, and the send/receive pipeline every message goes through.</summary>
    internal sealed class Transaction
    {
        private readonly CmpClient _client;
        // With MAC protection, the transaction's later requests keep the salt of its first one: the base key is
        // then derived once per transaction (hundreds of hash operations per message otherwise), and by a
        // server that answers with the request's salt (CmpServer does) not again either. The MAC key is as
        // hard to guess as with a new salt per message: each guess of the secret still costs the iterations.
        private ProtectionSpec? _protection;

        public Transaction(CmpClient client)
        {
            _client = client;
            if (client._options.TotalTimeout is { } total && total > TimeSpan.Zero)
            {
                Deadline = client._time.GetUtcNow() + total;
            }
        }

        public TransactionState State { get; } = new();
        public DateTimeOffset? Deadline { get; }
        public List<X509Certificate2> CaPubs { get; set; } = [];

        /// <summary>Builds, protects and sends one request; returns the response after C1-C20 passed.</summary>
        public async Task<PkiMessage> ExchangeAsync(PkiBody body, Parties parties, bool expectMore,
            CancellationToken ct, int pvno = 2, IReadOnlyList<InfoTypeAndValue>? generalInfo = null)
        {
            var message = Build(body, parties, pvno, generalInfo ?? []);
            var bytes = PkiMessageCodec.Encode(message);
            var o = _client._options;
            _client._logger.LogDebug("CMP sending {Type} ({Length} bytes)", BodyTypes.Name(body.Type), bytes.Length);

            var (timeout, isTotal) = NextTimeout();
            using var timeoutCts = timeout is TimeSpan t ? new CancellationTokenSource(t, _client._time) : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
            byte[] responseBytes;
            bool answersOther = false;
            try
            {
                if (_client._transport is ICmpReplayTransport replay)
                {
                    // message files (-reqin, -rspin): the response may answer another request than this one
                    (responseBytes, answersOther) = await replay.ExchangeMessagesAsync(bytes, new CmpExchangeInfo(expectMore), linked.Token).ConfigureAwait(false);
                }
                else
                {
                    responseBytes = await _client._transport.ExchangeAsync(bytes, new CmpExchangeInfo(expectMore), linked.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                // C3: which of the two timeouts ran out. (HttpClient.Timeout ends here too.)
                throw isTotal
                    ? new CmpException(CmpFailureReason.TotalTimeout, $"the total timeout of {o.TotalTimeout!.Value.TotalSeconds:0.###} s ended while waiting for the {ResponseName(body.Type)}", innerException: e)
                    : new CmpException(CmpFailureReason.MessageTimeout, $"no {ResponseName(body.Type)} arrived within {(timeout ?? TimeSpan.Zero).TotalSeconds:0.###} s", innerException: e);
            }
            var response = PkiMessageCodec.Decode(responseBytes); // C1, C10
            _client._logger.LogDebug("CMP received {Type} ({Length} bytes)", BodyTypes.Name(response.Body.Type), responseBytes.Length);
            if (answersOther)
            {
                // As OpenSSL's CLI for -rspin and -reqin: a replayed response cannot carry our fresh
                // transactionID and nonce, so they are taken from it instead of checked (C11, C12 relaxed).
                State.AdoptIdentifiers(response.Header.TransactionID?.GetOctets(), response.Header.RecipNonce?.GetOctets());
                _client._logger.LogDebug("CMP response from a message file or to a request from a file: transactionID and recipNonce adopted, not checked");
            }
            var validatedBefore = State.ValidatedSender;
            ResponseValidator.Validate(response, State, _client._policy); // C5-C20
            if (State.ValidatedSender is { } sender && !ReferenceEquals(sender, validatedBefore))
            {
                o.ServerCertificateValidated?.Invoke(sender);
            }
            return response;
        }

        /// <summary>Sends an error message (C37) and accepts whatever comes back (pkiConf expected).</summary>
        public async Task SendErrorAsync(PkiBody error, Parties parties, CancellationToken ct)
        {
            var response = await ExchangeAsync(error, parties, expectMore: false, ct).ConfigureAwait(false);
            BodyChecks.ExpectBody(response, BodyType.PkiConf);
        }

        private (TimeSpan? Timeout, bool IsTotal) NextTimeout()
        {
            var o = _client._options;
            TimeSpan? msg = o.MessageTimeout is { } m && m > TimeSpan.Zero ? m : null;
            if (Deadline is not DateTimeOffset deadline)
            {
                return (msg, false);
            }
            var left = deadline - _client._time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new CmpException(CmpFailureReason.TotalTimeout, "the total timeout of the transaction has ended");
            }
            // C3: the per-message timeout is capped by what is left of the total.
            return msg is TimeSpan mm && mm < left ? (mm, false) : (left, true);
        }

        public static string ResponseName(int requestType) => requestType switch
        {
            (int)BodyType.Ir => "ip",
            (int)BodyType.Cr or (int)BodyType.P10cr => "cp",
            (int)BodyType.Kur => "kup",
            (int)BodyType.CertConf or (int)BodyType.Error => "pkiConf",
            (int)BodyType.PollReq => "pollRep",
            (int)BodyType.Rr => "rp",
            (int)BodyType.Genm => "genp",
            _ => "response",
        };

        private PkiMessage Build(PkiBody body, Parties parties, int pvno, IReadOnlyList<InfoTypeAndValue> generalInfo)
        {
            var fields = new HeaderFields
            {
                Pvno = pvno,
                Sender = parties.Sender,
                Recipient = parties.Recipient,
                MessageTime = _client._time.GetUtcNow(),
                TransactionId = State.TransactionId,
                SenderNonce = State.NextSenderNonce(),
                RecipNonce = State.RecipNonce,
                // the operation's (first request only), then the caller's on every message (as OpenSSL's -geninfo)
                GeneralInfo = [.. generalInfo, .. _client._generalInfo],
            };
            var protection = _protection ?? _client._protection;
            var message = MessageProtector.Protect(fields, body, protection, _client._options.ExtraCertificates);
            if (_protection is null && protection is MacProtectionSpec mac)
            {
                _protection = mac.Answering(message.Header.ProtectionAlg);
            }
            return message;
        }
    }}
