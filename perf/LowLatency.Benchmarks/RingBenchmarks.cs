using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using LowLatency.Engine.Ring;

namespace LowLatency.Benchmarks;

/// <summary>A small slot, as in Disruptor-net's throughput tests, so the ring's own costs dominate.</summary>
public struct PerfEvent
{
    /// <summary>Payload.</summary>
    public long Value;
}

/// <summary>Sums what it sees, so the consumer's work cannot be optimised away.</summary>
public struct SumHandler : IEventHandler<PerfEvent>
{
    /// <summary>Running sum.</summary>
    public long Sum;

    /// <inheritdoc/>
    public void OnEvent(ref PerfEvent evt, long sequence, bool endOfBatch) => Sum += evt.Value;
}

/// <summary>
/// One producer, one consumer, yielding waits on both sides (spinning threads must not outnumber this
/// machine's 2 cores). Each benchmark process sets up only its own variant (GlobalSetup Target), so no idle
/// thread of another variant competes for the cores. Baseline: a bounded single-reader/single-writer Channel.
/// </summary>
[MemoryDiagnoser]
public class RingThroughputBenchmarks
{
    private const int Events = 1 << 20;
    private const int Size = 1 << 16;
    private RingPipeline<PerfEvent> _pipeline = null!;
    private SingleProducerSequencer _sequencer = null!;
    private Sequence _consumer = null!;
    private Channel<long> _channel = null!;
    private Thread? _channelConsumer;
    private long _channelSeen;
    private volatile bool _stop;

    /// <summary>Ring with one yielding consumer.</summary>
    [GlobalSetup(Targets = [nameof(Ring1P1C), nameof(Ring1P1CBatch10)])]
    public void SetupRing()
    {
        _pipeline = new RingPipeline<PerfEvent>(Size, ProducerType.Single);
        _consumer = _pipeline.Add(new SumHandler());
        _pipeline.Start();
        _sequencer = (SingleProducerSequencer)_pipeline.Sequencer;
    }

    /// <summary>Bounded channel with one consumer thread that drains with TryRead and yields when empty.</summary>
    [GlobalSetup(Target = nameof(Channel1P1C))]
    public void SetupChannel()
    {
        _channel = Channel.CreateBounded<long>(new BoundedChannelOptions(Size) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        _channelConsumer = new Thread(() =>
        {
            var reader = _channel.Reader;
            long seen = 0, sum = 0;
            var spin = default(SpinWait);
            while (!_stop)
            {
                bool any = false;
                while (reader.TryRead(out long v))
                {
                    sum += v;
                    seen++;
                    any = true;
                }

                if (any)
                {
                    Volatile.Write(ref _channelSeen, seen);
                    spin.Reset();
                }
                else
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }

            GC.KeepAlive(sum);
        }) { IsBackground = true };
        _channelConsumer.Start();
    }

    /// <summary>Stops whatever was started.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _channelConsumer?.Join();
        _pipeline?.Dispose();
    }

    /// <summary>Channel: TryWrite per event (spinning while full), then wait for the consumer to catch up.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long Channel1P1C()
    {
        var writer = _channel.Writer;
        long target = Volatile.Read(ref _channelSeen) + Events;
        for (long i = 0; i < Events; i++)
        {
            while (!writer.TryWrite(i))
            {
                Thread.SpinWait(1);
            }
        }

        var spin = default(SpinWait);
        while (Volatile.Read(ref _channelSeen) < target)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        return target;
    }

    /// <summary>Ring: claim, write, publish one event at a time.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public long Ring1P1C()
    {
        var seq = _sequencer;
        var ring = _pipeline.Ring;
        long last = 0;
        for (long i = 0; i < Events; i++)
        {
            last = seq.Next();
            ring[last].Value = i;
            seq.Publish(last);
        }

        WaitFor(_consumer, last);
        return last;
    }

    /// <summary>Ring: claim and publish ten slots at a time.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public long Ring1P1CBatch10()
    {
        var seq = _sequencer;
        var ring = _pipeline.Ring;
        long hi = 0;
        for (long i = 0; i < Events; i += 10)
        {
            int n = (int)Math.Min(10, Events - i);
            hi = seq.Next(n);
            for (long s = hi - n + 1; s <= hi; s++)
            {
                ring[s].Value = s;
            }

            seq.Publish(hi - n + 1, hi);
        }

        WaitFor(_consumer, hi);
        return hi;
    }

    internal static void WaitFor(Sequence sequence, long target)
    {
        var spin = default(SpinWait);
        while (sequence.Value < target)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
