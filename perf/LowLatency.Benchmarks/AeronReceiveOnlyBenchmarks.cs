using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Transport;

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
    private readonly byte[] _datagram = new byte[FramesPerDatagram * 160];
    private readonly byte[] _buffer = new byte[65536];
    private Socket _rawSender = null!;
    private Socket _rawReceiver = null!;
    private AeronLoopback? _rig;
    private RingInboundHandler _handler;
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
        AeronLoopback rig = _rig = new AeronLoopback(batchedReceive: true);
        _handler = rig.Handler;
        _sender = new Thread(() =>
        {
            while (!_stop)
            {
                for (int f = 0; f < FramesPerDatagram; f++)
                {
                    while (rig.Publication.Offer(rig.Message, send: false) != OfferResult.Ok && !_stop)
                    {
                        rig.Publication.Flush();
                        rig.PollSending(); // status messages move the window; NAKs are answered
                    }
                }

                rig.Publication.Flush();
                rig.PollSending();
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
        _rig?.Dispose();
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
        AeronLoopback rig = _rig!;
        long target = rig.Sequencer.Cursor.Value + Messages;
        while (rig.Sequencer.Cursor.Value < target)
        {
            rig.Receiving.Poll(ref _handler);
            rig.Consumed.SetRelease(rig.Sequencer.Cursor.Value);
        }

        return rig.Sequencer.Cursor.Value;
    }
}
