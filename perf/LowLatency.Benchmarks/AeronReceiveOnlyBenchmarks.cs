using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using LowLatency.Adapters.Transport;

namespace LowLatency.Benchmarks;

/// <summary>
/// Receive-only throughput of 128-byte messages over loopback UDP: a sender thread on the other core streams as fast
/// as it can, the benchmark thread only receives. Aeron: our publication sends (the sender offers a burst, then
/// flushes: datagrams of whole 160-byte frames up to the mtu, one sendmmsg per duty cycle, flow control, retransmits);
/// the measured thread reads with recvmmsg, the receiver validates and rebuilds the stream, and every message is decoded
/// into a ring slot and published (the consumer is simulated by moving its gating sequence). Baseline: a raw blaster
/// thread sending datagrams of the same size (one send each) and a blocking recvfrom counting them (no protocol, no decode;
/// datagrams the kernel drops are simply not counted). Per operation = one message received; messages/s = 1e9 / mean ns.
/// Either side may be the bound: the sender has one core, as the receiver does. <see cref="Mtu"/> 1408 is Aeron's
/// default (8 frames per datagram); 65504 its largest (409 frames per datagram, loopback's link mtu is 64 KiB).
/// The receiver window is Aeron's default 128 KiB (rcv-wnd), so at the largest mtu a datagram often ends at the window's
/// edge. Both threads back off as the endpoint's own thread does (spin, yield, park in poll()). At cleanup the Aeron variant prints the receive thread's busy time per message: the time spent in
/// polls that found datagrams, i.e. what receiving costs when the thread never waits for the sender.
/// </summary>
public class AeronReceiveOnlyBenchmarks
{
    private const int Messages = 1 << 16;
    private const int FrameLength = 160;
    private readonly byte[] _buffer = new byte[65536];
    private byte[] _datagram = [];
    private Socket _rawSender = null!;
    private Socket _rawReceiver = null!;
    private AeronLoopback? _rig;
    private RingInboundHandler _handler;
    private Thread? _sender;
    private volatile bool _stop;
    private long _busyTicks;
    private long _wallTicks;
    private long _polls;
    private long _busyPolls;
    private long _received;

    /// <summary>Largest datagram: Aeron's default, or its maximum.</summary>
    [Params(1408, 65504)]
    public int Mtu { get; set; }

    /// <summary>Whether the publication sends each duty cycle's datagrams with one sendmmsg (the default) or one sendto each.</summary>
    [Params(true, false)]
    public bool BatchedSend { get; set; }

    /// <summary>Receiver window in KiB: Aeron's default.</summary>
    public int ReceiverWindowKiB { get; set; } = 128;

    private int FramesPerDatagram => Mtu / FrameLength;

    /// <summary>Raw socket pair and a blaster thread.</summary>
    [GlobalSetup(Target = nameof(RawReceiveOnly))]
    public void SetupRaw()
    {
        _datagram = new byte[FramesPerDatagram * FrameLength];
        (_rawSender, _rawReceiver) = AeronLoopback.RawPair(4 << 20, 4 << 20);
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
        AeronLoopback rig = _rig = new AeronLoopback(batchedReceive: true, Mtu, ReceiverWindowKiB * 1024, BatchedSend);
        _handler = rig.Handler;
        int burst = FramesPerDatagram * 16; // one duty cycle's worth of full datagrams (MaxDatagramsPerWork)
        _sender = new Thread(() =>
        {
            while (!_stop)
            {
                rig.OfferBurst(burst);
                int sent = rig.Publication.Flush();
                sent += rig.PollSending(); // status messages move the window; NAKs are answered
                rig.Sending.Idle(sent); // back-pressured: back off to poll() on the socket until the next status message
            }
        }) { IsBackground = true, Name = "aeron-sender" };
        _sender.Start();
    }

    /// <summary>Stops the sender, prints the receive thread's busy time, closes everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _sender?.Join();
        if (_rig is not null && _received > 0)
        {
            double ns = 1e9 / Stopwatch.Frequency;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"receive-busy mtu={Mtu} rcv-wnd={ReceiverWindowKiB}KiB batched-send={BatchedSend}: {_received} messages, busy {_busyTicks * ns / _received:F1} ns/message " +
                $"({_received / (_busyTicks * ns / 1e9) / 1e6:F2}M/s), wall {_wallTicks * ns / _received:F1} ns/message, busy {100.0 * _busyTicks / _wallTicks:F0}% of wall, " +
                $"{_busyPolls} of {_polls} polls found data, {_rig.Receiving.DatagramsReceived} datagrams, receiver rejects {_rig.Receiving.Receiver!.Counters.TotalRejected}, " +
                $"NAKs {_rig.Receiving.Receiver.Counters.NaksSent}, sender retransmits {_rig.Publication.Core.Counters.RetransmitDatagrams}"));
        }

        _rawSender?.Dispose();
        _rawReceiver?.Dispose();
        _rig?.Dispose();
    }

    /// <summary>Baseline: recvfrom of datagrams of whole frames up to the mtu, nothing else.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public long RawReceiveOnly()
    {
        long received = 0;
        int frames = 0;
        while (frames < Messages)
        {
            received += _rawReceiver.Receive(_buffer);
            frames += FramesPerDatagram;
        }

        return received;
    }

    /// <summary>recvmmsg, Aeron receiver, SBE decode into the ring: until this many more messages are in it.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long AeronReceiveOnly()
    {
        AeronLoopback rig = _rig!;
        long start = rig.Sequencer.Cursor.Value;
        long target = start + Messages;
        long busy = 0;
        long polls = 0;
        long busyPolls = 0;
        long begin = Stopwatch.GetTimestamp();
        while (rig.Sequencer.Cursor.Value < target)
        {
            long t0 = Stopwatch.GetTimestamp();
            int work = rig.Receiving.Poll(ref _handler);
            rig.Consumed.SetRelease(rig.Sequencer.Cursor.Value);
            polls++;
            if (work > 0)
            {
                busy += Stopwatch.GetTimestamp() - t0;
                busyPolls++;
            }

            // As the endpoint's own thread does: spin, yield, then park in poll() until a datagram arrives. A receiver that
            // spins on empty recvmmsg calls contends for the socket with the sender's enqueues on the other core.
            rig.Receiving.Idle(work);
        }

        _wallTicks += Stopwatch.GetTimestamp() - begin;
        _busyTicks += busy;
        _polls += polls;
        _busyPolls += busyPolls;
        _received += rig.Sequencer.Cursor.Value - start;
        return rig.Sequencer.Cursor.Value;
    }
}
