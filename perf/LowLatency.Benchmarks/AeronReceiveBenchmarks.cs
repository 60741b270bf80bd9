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
/// Receive throughput of 128-byte messages (an SBE Transaction padded to 128 bytes) over loopback UDP, 8 frames per
/// 1280-byte datagram as an Aeron sender batches them. One thread sends and receives, in blocks of 32 datagrams so the
/// socket buffer never overflows; every variant pays the same sends, so the ratios compare receive paths. Baseline: raw
/// sockets, recvfrom only (no protocol, no decode). Aeron variants: the endpoint reads the datagrams (FIONREAD + recvfrom
/// per datagram, or one recvmmsg per batch), the receiver validates and rebuilds the stream, and each message is decoded
/// into a ring slot and published (the ring's consumer is simulated by moving its gating sequence). Per operation = one
/// message; messages/s = 1e9 / mean ns.
/// </summary>
public class AeronReceiveBenchmarks
{
    private const int Datagrams = 1024;
    private const int FramesPerDatagram = 8;
    private const int Block = 32;
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

    /// <summary>Raw socket pair.</summary>
    [GlobalSetup(Target = nameof(RawRecvfrom))]
    public void SetupRaw()
    {
        _rawReceiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 2 << 20 };
        _rawReceiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawSender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _rawSender.Connect(_rawReceiver.LocalEndPoint!);
    }

    /// <summary>Aeron endpoints, FIONREAD + recvfrom per datagram.</summary>
    [GlobalSetup(Target = nameof(AeronReceiveEach))]
    public void SetupEach() => SetupAeron(batched: false);

    /// <summary>Aeron endpoints, recvmmsg batches.</summary>
    [GlobalSetup(Target = nameof(AeronReceiveRecvMmsg))]
    public void SetupBatched() => SetupAeron(batched: true);

    /// <summary>Closes everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _rawSender?.Dispose();
        _rawReceiver?.Dispose();
        _sending?.Dispose();
        _receiving?.Dispose();
    }

    /// <summary>Baseline: send 1280-byte datagrams, receive them with plain recvfrom.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Datagrams * FramesPerDatagram)]
    public int RawRecvfrom()
    {
        int received = 0;
        for (int b = 0; b < Datagrams; b += Block)
        {
            for (int d = 0; d < Block; d++)
            {
                _rawSender.Send(_datagram);
            }

            for (int d = 0; d < Block; d++)
            {
                received += _rawReceiver.Receive(_buffer);
            }
        }

        return received;
    }

    /// <summary>Aeron receive path with one recvfrom per datagram.</summary>
    [Benchmark(OperationsPerInvoke = Datagrams * FramesPerDatagram)]
    public long AeronReceiveEach() => RunAeron();

    /// <summary>Aeron receive path with recvmmsg.</summary>
    [Benchmark(OperationsPerInvoke = Datagrams * FramesPerDatagram)]
    public long AeronReceiveRecvMmsg() => RunAeron();

    private long RunAeron()
    {
        long target = _sequencer.Cursor.Value + (Datagrams * FramesPerDatagram);
        var none = default(NoMessages);
        for (int b = 0; b < Datagrams; b += Block)
        {
            for (int d = 0; d < Block; d++)
            {
                for (int f = 0; f < FramesPerDatagram; f++)
                {
                    while (_publication.Offer(_message, send: false) != OfferResult.Ok)
                    {
                        Drain(ref none);
                    }
                }

                _publication.Flush();
            }

            Drain(ref none);
        }

        while (_sequencer.Cursor.Value < target)
        {
            Drain(ref none);
        }

        return _sequencer.Cursor.Value;
    }

    private void Drain(ref NoMessages none)
    {
        _receiving.Poll(ref _handler);
        _consumed.SetRelease(_sequencer.Cursor.Value);
        _sending.Poll(ref none);
    }

    private void SetupAeron(bool batched)
    {
        var ring = new RingBuffer<PipelineSlot>(1 << 16);
        _sequencer = new SingleProducerSequencer(ring.Size);
        _consumed = new Sequence();
        _sequencer.AddGatingSequences(_consumed);
        _handler = new RingInboundHandler(_sequencer, ring, new InboundDecoder());
        var receiver = new AeronReceiver(new AeronReceiverOptions { StreamIds = [WireStreams.Inbound] });
        _receiving = new AeronUdpEndpoint(new UdpEndpointOptions { BatchedReceive = batched, MaxDatagramsPerPoll = 256 }, receiver);
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
    }

    private struct NoMessages : IAeronMessageHandler
    {
        public readonly void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
        {
        }
    }
}
