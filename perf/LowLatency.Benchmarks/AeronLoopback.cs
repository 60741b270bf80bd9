using System.Net;
using System.Net.Sockets;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;

namespace LowLatency.Benchmarks;

/// <summary>
/// The receive-path rig of the Aeron benchmarks: an engine-side endpoint whose receiver decodes every message into a
/// ring slot (the ring's consumer simulated by moving <see cref="Consumed"/>), and a sending endpoint with a publication
/// to it, connected. <see cref="Message"/> is a 128-byte buffer holding an SBE Transaction. The publication's mtu and
/// the receiver's window (Aeron's <c>mtu</c> and <c>rcv-wnd</c>) default to Aeron's 1408 and 128 KiB.
/// </summary>
internal sealed class AeronLoopback : IDisposable
{
    public AeronLoopback(bool batchedReceive, int mtu = 1408, int receiverWindow = 128 * 1024, bool batchedSend = true)
    {
        var ring = new RingBuffer<PipelineSlot>(1 << 16);
        Sequencer = new SingleProducerSequencer(ring.Size);
        Sequencer.AddGatingSequences(Consumed);
        Handler = new RingInboundHandler(Sequencer, ring, new InboundDecoder());
        var receiver = new AeronReceiver(new AeronReceiverOptions { StreamIds = [WireStreams.Inbound], InitialWindowLength = receiverWindow });
        Receiving = new AeronUdpEndpoint(new UdpEndpointOptions { BatchedReceive = batchedReceive, MaxDatagramsPerPoll = 256 }, receiver);
        Sending = new AeronUdpEndpoint(new UdpEndpointOptions { BatchedSend = batchedSend });
        Publication = Sending.AddPublication(new AeronPublicationOptions { StreamId = WireStreams.Inbound, Mtu = mtu }, Receiving.LocalEndPoint);
        var tx = new Transaction { TxId = 1, EventTimeNs = 1_700_000_000_000_000_000, CardId = 3, AmountMinor = 100, Latitude = double.NaN, Longitude = double.NaN };
        TransactionCodec.Encode(Message, tx);
        var none = default(NoMessages);
        var handler = Handler;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!Publication.IsConnected)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException("publication did not connect");
            }

            Sending.Poll(ref none);
            Receiving.Poll(ref handler);
            Thread.Sleep(1);
        }
    }

    public byte[] Message { get; } = new byte[128];

    public Sequencer Sequencer { get; }

    public Sequence Consumed { get; } = new();

    public RingInboundHandler Handler { get; }

    public AeronUdpEndpoint Receiving { get; }

    public AeronUdpEndpoint Sending { get; }

    public UdpPublication Publication { get; }

    /// <summary>
    /// The raw baseline of the receive benchmarks: a receiving socket bound to a loopback port and a sender connected to
    /// it (buffer sizes in bytes; 0 keeps the kernel's default).
    /// </summary>
    public static (Socket Sender, Socket Receiver) RawPair(int receiveBuffer, int sendBuffer)
    {
        var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        if (receiveBuffer > 0)
        {
            receiver.ReceiveBufferSize = receiveBuffer;
        }

        if (sendBuffer > 0)
        {
            sender.SendBufferSize = sendBuffer;
        }

        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        sender.Connect(receiver.LocalEndPoint!);
        return (sender, receiver);
    }

    /// <summary>Offers up to <paramref name="messages"/> copies of <see cref="Message"/> without sending (stops when refused); returns how many were taken.</summary>
    public int OfferBurst(int messages)
    {
        int offered = 0;
        while (offered < messages && Publication.Offer(Message, send: false) == OfferResult.Ok)
        {
            offered++;
        }

        return offered;
    }

    /// <summary>Polls the sending endpoint (status messages, NAKs) with a handler that ignores messages.</summary>
    public int PollSending()
    {
        var none = default(NoMessages);
        return Sending.Poll(ref none);
    }

    public void Dispose()
    {
        Sending.Dispose();
        Receiving.Dispose();
    }

    private struct NoMessages : IAeronMessageHandler
    {
        public readonly void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
        {
        }
    }
}
