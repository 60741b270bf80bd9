using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using LowLatency.Adapters.Transport;

namespace LowLatency.Benchmarks;

/// <summary>
/// Send and receive of 128-byte messages over loopback UDP on ONE thread, so the figure does not depend on how the two
/// cores are shared: the thread offers a burst to our publication and flushes it (one sendmmsg of up to 16 datagrams of
/// whole 160-byte frames up to the mtu), reads the status messages back, then polls the engine-side endpoint (recvmmsg,
/// receiver, SBE decode into ring slots) until what it sent is in the ring. Baseline: the same thread sends 16 raw
/// datagrams of the same size (one send each) and reads them back with recvfrom (no protocol, no decode). Per operation
/// = one message; messages/s = 1e9 / mean ns. At cleanup the Aeron variant prints how much of its time was the receive
/// side (the endpoint poll that reads, validates, decodes and publishes): the receive path's own cost per message.
/// </summary>
public class AeronOneThreadBenchmarks
{
    private const int Messages = 1 << 16;
    private const int FrameLength = 160;
    private const int DatagramsPerBurst = 16;
    private readonly byte[] _buffer = new byte[65536];
    private byte[] _datagram = [];
    private Socket _rawSender = null!;
    private Socket _rawReceiver = null!;
    private AeronLoopback? _rig;
    private RingInboundHandler _handler;
    private long _receiveTicks;
    private long _totalTicks;
    private long _received;

    /// <summary>Largest datagram: Aeron's default, or its maximum.</summary>
    [Params(1408, 65504)]
    public int Mtu { get; set; }

    private int FramesPerDatagram => Mtu / FrameLength;

    /// <summary>Raw socket pair.</summary>
    [GlobalSetup(Target = nameof(RawSendReceive))]
    public void SetupRaw()
    {
        _datagram = new byte[FramesPerDatagram * FrameLength];
        (_rawSender, _rawReceiver) = AeronLoopback.RawPair(4 << 20, 4 << 20);
    }

    /// <summary>Aeron endpoints and a ring.</summary>
    [GlobalSetup(Target = nameof(AeronSendReceive))]
    public void SetupAeron()
    {
        _rig = new AeronLoopback(batchedReceive: true, Mtu);
        _handler = _rig.Handler;
    }

    /// <summary>Prints the receive side's share, closes everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        if (_rig is not null && _received > 0)
        {
            double ns = 1e9 / Stopwatch.Frequency;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"one-thread mtu={Mtu}: {_received} messages, receive side {_receiveTicks * ns / _received:F1} ns/message " +
                $"({_received / (_receiveTicks * ns / 1e9) / 1e6:F2}M/s), total {_totalTicks * ns / _received:F1} ns/message, " +
                $"{_rig.Receiving.DatagramsReceived} datagrams, receiver rejects {_rig.Receiving.Receiver!.Counters.TotalRejected}, " +
                $"NAKs {_rig.Receiving.Receiver.Counters.NaksSent}"));
        }

        _rawSender?.Dispose();
        _rawReceiver?.Dispose();
        _rig?.Dispose();
    }

    /// <summary>Baseline: send 16 datagrams, receive them with recvfrom.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public long RawSendReceive()
    {
        long received = 0;
        int frames = 0;
        while (frames < Messages)
        {
            for (int i = 0; i < DatagramsPerBurst; i++)
            {
                _rawSender.Send(_datagram);
            }

            for (int i = 0; i < DatagramsPerBurst; i++)
            {
                received += _rawReceiver.Receive(_buffer);
            }

            frames += DatagramsPerBurst * FramesPerDatagram;
        }

        return received;
    }

    /// <summary>Offer a burst, flush, poll both endpoints, until this many more messages are in the ring.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long AeronSendReceive()
    {
        AeronLoopback rig = _rig!;
        int burst = FramesPerDatagram * DatagramsPerBurst;
        long start = rig.Sequencer.Cursor.Value;
        long target = start + Messages;
        long receive = 0;
        long begin = Stopwatch.GetTimestamp();
        while (rig.Sequencer.Cursor.Value < target)
        {
            rig.OfferBurst(burst);
            rig.Publication.Flush();
            rig.PollSending();
            long t0 = Stopwatch.GetTimestamp();
            rig.Receiving.Poll(ref _handler);
            rig.Consumed.SetRelease(rig.Sequencer.Cursor.Value);
            receive += Stopwatch.GetTimestamp() - t0;
        }

        _totalTicks += Stopwatch.GetTimestamp() - begin;
        _receiveTicks += receive;
        _received += rig.Sequencer.Cursor.Value - start;
        return rig.Sequencer.Cursor.Value;
    }
}
