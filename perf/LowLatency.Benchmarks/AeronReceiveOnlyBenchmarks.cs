using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;

namespace LowLatency.Benchmarks;

/// <summary>
/// Receive-only throughput of 128-byte messages over loopback UDP: a sender thread on the other core streams as fast
/// as it can, the benchmark thread only receives. Aeron: our publication (8 frames per 1280-byte datagram, flow
/// control, retransmits) sends; the measured thread reads with recvmmsg, the receiver validates and rebuilds the
/// stream, and every message is decoded into a ring slot and published (the consumer is simulated by moving its gating
/// sequence). Baseline: a raw blaster thread sending the same 1280-byte datagrams and plain recvfrom counting them (no
/// protocol, no decode; datagrams the kernel drops are simply not counted). Per operation = one message received;
/// messages/s = 1e9 / mean ns. Either side may be the bound: the sender has one core, as the receiver does.
/// </summary>
public class AeronReceiveOnlyBenchmarks
{
    private const int Messages = 1 << 16;
    private const int FramesPerDatagram = 8;
    private readonly byte[] _message = new byte[128];
    private readonly byte[] _datagram = new byte[FramesPerDatagram * 160];
    private readonly byte[] _buffer = new byte[65536];
    private Socket _rawSender = null!;
    private Socket _rawReceiver = null!;
    private AeronUdpEndpoint _receiving = null!;
    private AeronUdpEndpoint _sending = null!;
    private UdpPublication _publication = null!;
    private RingInboundHandler _handler;
    private Sequencer _sequencer = null!;
    private Sequence _consumed = null!;
    private Thread? _sender;
    private volatile bool _stop;

    /// <summary>Raw socket pair and a blaster thread.</summary>
    [GlobalSetup(Target = nameof(RawReceiveOnly))]
    public void SetupRaw()
    {
        _rawReceiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
        _rawReceiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawSender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _rawSender.Connect(_rawReceiver.LocalEndPoint!);
        _sender = new Thread(() =>
        {
            while (!_stop)
            {
                _rawSender.Send(_datagram);
            }
        }) { IsBackground = true, Name = "raw-blaster" };
        _sender.Start();
    }

    /// <summary>Aeron endpoints, a ring, and a publishing thread.</summary>
    [GlobalSetup(Target = nameof(AeronReceiveOnly))]
    public void SetupAeron()
    {
        var ring = new RingBuffer<PipelineSlot>(1 << 16);
        _sequencer = new SingleProducerSequencer(ring.Size);
        _consumed = new Sequence();
        _sequencer.AddGatingSequences(_consumed);
        _handler = new RingInboundHandler(_sequencer, ring, new InboundDecoder());
        var receiver = new AeronReceiver(new AeronReceiverOptions { StreamIds = [WireStreams.Inbound] });
        _receiving = new AeronUdpEndpoint(new UdpEndpointOptions { BatchedReceive = true, MaxDatagramsPerPoll = 256 }, receiver);
        _sending = new AeronUdpEndpoint(new UdpEndpointOptions());
        _publication = _sending.AddPublication(new AeronPublicationOptions { StreamId = WireStreams.Inbound }, _receiving.LocalEndPoint);
        var tx = new Transaction { TxId = 1, EventTimeNs = 1_700_000_000_000_000_000, CardId = 3, AmountMinor = 100, Latitude = double.NaN, Longitude = double.NaN };
        TransactionCodec.Encode(_message, tx);
        var none = default(NoMessages);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!_publication.IsConnected)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException("publication did not connect");
            }

            _sending.Poll(ref none);
            _receiving.Poll(ref _handler);
            Thread.Sleep(1);
        }

        _sender = new Thread(() =>
        {
            var idle = default(NoMessages);
            while (!_stop)
            {
                for (int f = 0; f < FramesPerDatagram; f++)
                {
                    while (_publication.Offer(_message, send: false) != OfferResult.Ok && !_stop)
                    {
                        _publication.Flush();
                        _sending.Poll(ref idle); // status messages move the window; NAKs are answered
                    }
                }

                _publication.Flush();
                _sending.Poll(ref idle);
            }
        }) { IsBackground = true, Name = "aeron-sender" };
        _sender.Start();
    }

    /// <summary>Stops the sender and closes everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _sender?.Join();
        _rawSender?.Dispose();
        _rawReceiver?.Dispose();
        _sending?.Dispose();
        _receiving?.Dispose();
    }

    /// <summary>Baseline: recvfrom of 1280-byte datagrams, 8 "messages" each, nothing else.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public long RawReceiveOnly()
    {
        long received = 0;
        for (int d = 0; d < Messages / FramesPerDatagram; d++)
        {
            received += _rawReceiver.Receive(_buffer);
        }

        return received;
    }

    /// <summary>recvmmsg, Aeron receiver, SBE decode into the ring: until this many more messages are in it.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long AeronReceiveOnly()
    {
        long target = _sequencer.Cursor.Value + Messages;
        while (_sequencer.Cursor.Value < target)
        {
            _receiving.Poll(ref _handler);
            _consumed.SetRelease(_sequencer.Cursor.Value);
        }

        return _sequencer.Cursor.Value;
    }

    private struct NoMessages : IAeronMessageHandler
    {
        public readonly void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
        {
        }
    }
}
