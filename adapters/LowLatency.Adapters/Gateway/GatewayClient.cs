using System.Diagnostics;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Gateway;

/// <summary>
/// What a .NET payment gateway links to talk to the engine over Aeron UDP: publishes SBE Transactions and Labels on the
/// inbound stream and receives the engine's Decisions, correlated with the sent transaction by txId through a preallocated
/// table. Sends are made from one application thread (they go on the wire at once); decisions arrive on the client's own
/// receive thread and go to <typeparamref name="TListener"/>. No allocation per message.
/// </summary>
public sealed class GatewayClient<TListener> : IDisposable
    where TListener : struct, IDecisionListener
{
    private readonly AeronUdpEndpoint _endpoint;
    private readonly UdpPublication _publication;
    private readonly byte[] _sendBuffer = new byte[256];
    private readonly Thread? _thread;
    private DecisionHandler _handler;
    private volatile bool _running = true;

    /// <summary>Binds the decision address and starts the receive thread; the inbound publication starts its SETUP at once.</summary>
    public GatewayClient(GatewayClientOptions options, TListener listener)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Pending = new PendingDecisions(options.PendingCapacity);
        Receiver = new AeronReceiver(new AeronReceiverOptions
        {
            StreamIds = [options.DecisionStreamId], MaxTermLength = 16 * 1024 * 1024, InitialWindowLength = options.DecisionWindowLength,
        });
        _endpoint = new AeronUdpEndpoint(new UdpEndpointOptions { Bind = options.Bind, Idle = options.Idle }, Receiver);
        _publication = _endpoint.AddPublication(new AeronPublicationOptions { StreamId = options.InboundStreamId, TermLength = options.TermLength, Mtu = options.Mtu }, options.Engine);
        _handler = new DecisionHandler(this, listener);
        if (options.OwnThread)
        {
            _thread = new Thread(Run) { Name = "gateway-aeron", IsBackground = true };
            _thread.Start();
        }
    }

    /// <summary>The options in force.</summary>
    public GatewayClientOptions Options { get; }

    /// <summary>The address decisions come to.</summary>
    public System.Net.IPEndPoint LocalEndPoint => _endpoint.LocalEndPoint;

    /// <summary>Transactions awaiting a decision.</summary>
    public PendingDecisions Pending { get; }

    /// <summary>The decision receiver (counters, images).</summary>
    public AeronReceiver Receiver { get; }

    /// <summary>The inbound publication (counters, positions).</summary>
    public AeronPublication Publication => _publication.Core;

    /// <summary>Decisions that failed to decode (counted on the receive thread).</summary>
    public long DecodeErrors => _handler.DecodeErrors;

    /// <summary>
    /// One duty cycle on the caller's thread (only when <see cref="GatewayClientOptions.OwnThread"/> is false): receives
    /// decisions (the listener runs here), answers the engine's flow control, runs timers. Returns the work done; pass it
    /// to <see cref="Idle"/> in a loop, or spin on it.
    /// </summary>
    public int Poll()
    {
        if (_thread is not null)
        {
            ThrowOwnThread();
        }

        return _endpoint.Poll(ref _handler);
    }

    /// <summary>Waits after a <see cref="Poll"/> that did no work, per <see cref="GatewayClientOptions.Idle"/>.</summary>
    public void Idle(int work) => _endpoint.Idle(work);

    /// <summary>Both directions up: the engine acknowledges our stream and its decision stream reached us.</summary>
    public bool IsConnected => _publication.IsConnected && Receiver.ImageCount > 0;

    /// <summary>Waits (sleeping) until <see cref="IsConnected"/> or the timeout; returns whether connected.</summary>
    public bool WaitUntilConnected(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!IsConnected)
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            if (_thread is null)
            {
                _endpoint.Poll(ref _handler);
            }

            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>
    /// Publishes a transaction; its decision will be matched to <paramref name="sentTicks"/> (any clock the listener
    /// understands, e.g. <see cref="Stopwatch.GetTimestamp"/> or the due time of an open-loop schedule). With
    /// <paramref name="send"/> false the transaction waits in the publication's log for <see cref="Flush"/> (or the
    /// client's next duty cycle), so a burst leaves in as few datagrams as the mtu allows.
    /// </summary>
    public OfferResult SendTransaction(in Transaction transaction, long sentTicks, bool send = true)
    {
        int length = TransactionCodec.Encode(_sendBuffer, transaction);
        Pending.Add(transaction.TxId, sentTicks); // before the offer: the decision can arrive before Offer returns
        OfferResult result = _publication.Offer(_sendBuffer.AsSpan(0, length), send);
        if (result != OfferResult.Ok)
        {
            Pending.Remove(transaction.TxId);
        }

        return result;
    }

    /// <summary>Publishes a label for an earlier transaction (<paramref name="send"/> as for <see cref="SendTransaction"/>).</summary>
    public OfferResult SendLabel(in Label label, bool send = true)
    {
        int length = LabelCodec.Encode(_sendBuffer, label);
        return _publication.Offer(_sendBuffer.AsSpan(0, length), send);
    }

    /// <summary>
    /// Sends what was offered with <c>send: false</c>, as far as the engine's receiver window allows (up to 16 datagrams
    /// of at most <see cref="GatewayClientOptions.Mtu"/> bytes, one sendmmsg on Linux); returns the datagrams sent. Call
    /// from the sending thread.
    /// </summary>
    public int Flush() => _publication.Flush();

    /// <summary>Closes the publication (EOS to the engine), stops the receive thread, closes the socket.</summary>
    public void Dispose()
    {
        _publication.Close();
        long deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 5);
        while (!_publication.IsFinished && Stopwatch.GetTimestamp() < deadline)
        {
            if (_thread is null)
            {
                _endpoint.Poll(ref _handler);
            }

            Thread.Sleep(1);
        }

        _running = false;
        _thread?.Join();
        _endpoint.Dispose();
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowOwnThread() =>
        throw new InvalidOperationException("This client runs its own receive thread; create it with OwnThread = false to poll it.");

    private void Run()
    {
        while (_running)
        {
            _endpoint.Idle(_endpoint.Poll(ref _handler));
        }
    }

    private struct DecisionHandler(GatewayClient<TListener> client, TListener listener) : IAeronMessageHandler
    {
#pragma warning disable IDE0044 // not readonly: a listener struct may keep state, and a readonly field would be copied per call
        private TListener _listener = listener;
#pragma warning restore IDE0044

        public long DecodeErrors;

        public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
        {
            Span<WireReason> reasons = stackalloc WireReason[DecisionCodec.MaxReasons];
            if (DecisionCodec.Decode(payload, out Decision decision, reasons, out int count, out _) != DecodeStatus.Ok)
            {
                DecodeErrors++;
                return;
            }

            if (client.Pending.TryTake(decision.TxId, out long sent))
            {
                _listener.OnDecision(decision, reasons[..Math.Min(count, reasons.Length)], sent, Stopwatch.GetTimestamp());
            }
            else
            {
                _listener.OnUnmatched(decision);
            }
        }
    }
}
