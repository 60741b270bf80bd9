using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using LowLatency.Engine.Ring;

namespace LowLatency.Benchmarks;

/// <summary>Echoes every ping slot into the pong ring.</summary>
public struct EchoHandler(SingleProducerSequencer pong, RingBuffer<PerfEvent> pongRing) : IEventHandler<PerfEvent>
{
    /// <inheritdoc/>
    public readonly void OnEvent(ref PerfEvent evt, long sequence, bool endOfBatch)
    {
        long s = pong.Next();
        pongRing[s].Value = evt.Value;
        pong.Publish(s);
    }
}

/// <summary>
/// Two-thread round trip: the benchmark thread publishes a ping and waits for the pong that an echo thread
/// sends back. Mean round trip per operation (BenchmarkDotNet reports means; the percentile harness is
/// <c>lowlat bench</c>). Busy-spin variants spin on both sides: two spinning threads on two cores, the most
/// this machine allows. Baseline: the same with two bounded Channels and busy-spinning TryRead.
/// </summary>
[MemoryDiagnoser]
public class PingPongBenchmarks
{
    private const int RoundTrips = 20_000;
    private RingPipeline<PerfEvent> _ping = null!;
    private RingPipeline<PerfEvent> _pong = null!;
    private EventPoller<PerfEvent> _pongPoller = null!;
    private Channel<long> _pingChannel = null!;
    private Channel<long> _pongChannel = null!;
    private Thread? _echo;
    private volatile bool _stop;
    private bool _yielding;

    private void SetupRings<TWait>(TWait wait)
        where TWait : struct, IWaitStrategy
    {
        _pong = new RingPipeline<PerfEvent>(1024, ProducerType.Single);
        _pongPoller = _pong.AddPoller();
        _pong.Start();
        _ping = new RingPipeline<PerfEvent>(1024, ProducerType.Single);
        _ping.Add(new EchoHandler((SingleProducerSequencer)_pong.Sequencer, _pong.Ring), wait);
        _ping.Start();
    }

    /// <summary>Echo processor busy-spins.</summary>
    [GlobalSetup(Target = nameof(RingBusySpin))]
    public void SetupBusy() => SetupRings(new BusySpinWait());

    /// <summary>Echo processor yields.</summary>
    [GlobalSetup(Target = nameof(RingYielding))]
    public void SetupYielding()
    {
        _yielding = true;
        SetupRings(new YieldingWait());
    }

    /// <summary>Two channels and an echo thread spinning on TryRead.</summary>
    [GlobalSetup(Target = nameof(ChannelBusySpin))]
    public void SetupChannels()
    {
        _pingChannel = Channel.CreateBounded<long>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        _pongChannel = Channel.CreateBounded<long>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        _echo = new Thread(() =>
        {
            var r = _pingChannel.Reader;
            var w = _pongChannel.Writer;
            while (!_stop)
            {
                if (r.TryRead(out long v))
                {
                    w.TryWrite(v);
                }
                else
                {
                    Thread.SpinWait(1);
                }
            }
        }) { IsBackground = true };
        _echo.Start();
    }

    /// <summary>Stops the threads.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _echo?.Join();
        _ping?.Dispose();
        _pong?.Dispose();
    }

    /// <summary>Channels, busy-spin.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips)]
    public long ChannelBusySpin()
    {
        var w = _pingChannel.Writer;
        var r = _pongChannel.Reader;
        long sum = 0;
        for (long i = 0; i < RoundTrips; i++)
        {
            w.TryWrite(i);
            long v;
            while (!r.TryRead(out v))
            {
                Thread.SpinWait(1);
            }

            sum += v;
        }

        return sum;
    }

    /// <summary>Rings, busy-spin on both sides.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public long RingBusySpin() => RoundTrip();

    /// <summary>Rings, yielding on both sides.</summary>
    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public long RingYielding() => RoundTrip();

    private long RoundTrip()
    {
        var ping = (SingleProducerSequencer)_ping.Sequencer;
        var ring = _ping.Ring;
        var handler = default(SumHandler);
        for (long i = 0; i < RoundTrips; i++)
        {
            long s = ping.Next();
            ring[s].Value = i;
            ping.Publish(s);
            int spins = 0;
            while (_pongPoller.Poll(ref handler) == 0)
            {
                if (_yielding && ++spins > 100)
                {
                    Thread.Yield();
                }
                else
                {
                    Thread.SpinWait(1);
                }
            }
        }

        return handler.Sum;
    }
}
