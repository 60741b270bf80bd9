using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Transport;

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
    private readonly byte[] _datagram = new byte[FramesPerDatagram * 160];
    private readonly byte[] _buffer = new byte[65536];
    private Socket _rawSender = null!;
    private Socket _rawReceiver = null!;
    private AeronLoopback? _rig;
    private RingInboundHandler _handler;

    /// <summary>Raw socket pair.</summary>
    [GlobalSetup(Target = nameof(RawRecvfrom))]
    public void SetupRaw()
    {
        (_rawSender, _rawReceiver) = AeronLoopback.RawPair(2 << 20, 0);
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
        _rig?.Dispose();
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
        AeronLoopback rig = _rig!;
        long target = rig.Sequencer.Cursor.Value + (Datagrams * FramesPerDatagram);
        for (int b = 0; b < Datagrams; b += Block)
        {
            for (int d = 0; d < Block; d++)
            {
                for (int f = 0; f < FramesPerDatagram; f++)
                {
                    while (rig.Publication.Offer(rig.Message, send: false) != OfferResult.Ok)
                    {
                        Drain(rig);
                    }
                }

                rig.Publication.Flush();
            }

            Drain(rig);
        }

        while (rig.Sequencer.Cursor.Value < target)
        {
            Drain(rig);
        }

        return rig.Sequencer.Cursor.Value;
    }

    private void Drain(AeronLoopback rig)
    {
        rig.Receiving.Poll(ref _handler);
        rig.Consumed.SetRelease(rig.Sequencer.Cursor.Value);
        rig.PollSending();
    }

    private void SetupAeron(bool batched)
    {
        _rig = new AeronLoopback(batched);
        _handler = _rig.Handler;
    }
}
