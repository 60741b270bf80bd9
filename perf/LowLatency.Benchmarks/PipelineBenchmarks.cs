using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using LowLatency.Engine.Ring;

namespace LowLatency.Benchmarks;

/// <summary>Adds one to the slot: a stage that does a little work and passes the slot on.</summary>
public struct IncrementHandler : IEventHandler<PerfEvent>
{
    /// <inheritdoc/>
    public readonly void OnEvent(ref PerfEvent evt, long sequence, bool endOfBatch) => evt.Value++;
}

/// <summary>
/// Three stages in a chain (A then B then C), each on its own thread with yielding waits, fed by the benchmark
/// thread: four threads on two cores, which is exactly when yielding matters. Baseline: three chained bounded
/// Channels, each stage reading one and writing the next.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private const int Events = 1 << 20;
    private const int Size = 1 << 16;
    private RingPipeline<PerfEvent> _pipeline = null!;
    private Sequence _last = null!;
    private Channel<long>[] _channels = null!;
    private Thread[] _stages = [];
    private long _channelSeen;
    private volatile bool _stop;

    /// <summary>Ring with three chained stages.</summary>
    [GlobalSetup(Target = nameof(Ring3Stage))]
    public void SetupRing()
    {
        _pipeline = new RingPipeline<PerfEvent>(Size, ProducerType.Single);
        var a = _pipeline.Add(new IncrementHandler());
        var b = _pipeline.Add(new IncrementHandler(), a);
        _last = _pipeline.Add(new SumHandler(), b);
        _pipeline.Start();
    }

    /// <summary>Three channels and three stage threads.</summary>
    [GlobalSetup(Target = nameof(Channel3Stage))]
    public void SetupChannels()
    {
        _channels = [.. Enumerable.Range(0, 3).Select(_ => Channel.CreateBounded<long>(new BoundedChannelOptions(Size) { SingleReader = true, SingleWriter = true }))];
        _stages = [.. Enumerable.Range(0, 3).Select(i => new Thread(() => Stage(i)) { IsBackground = true })];
        foreach (var t in _stages)
        {
            t.Start();
        }
    }

    private void Stage(int index)
    {
        var reader = _channels[index].Reader;
        var next = index < 2 ? _channels[index + 1].Writer : null;
        long seen = 0;
        var spin = default(SpinWait);
        while (!_stop)
        {
            bool any = false;
            while (reader.TryRead(out long v))
            {
                any = true;
                if (next is null)
                {
                    seen++;
                }
                else
                {
                    while (!next.TryWrite(v + 1))
                    {
                        Thread.Yield();
                    }
                }
            }

            if (any)
            {
                spin.Reset();
                if (next is null)
                {
                    Volatile.Write(ref _channelSeen, seen);
                }
            }
            else
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    /// <summary>Stops the threads.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        foreach (var t in _stages)
        {
            t.Join();
        }

        _pipeline?.Dispose();
    }

    /// <summary>Three chained channels.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public long Channel3Stage()
    {
        var writer = _channels[0].Writer;
        long target = Volatile.Read(ref _channelSeen) + Events;
        for (long i = 0; i < Events; i++)
        {
            while (!writer.TryWrite(i))
            {
                Thread.Yield();
            }
        }

        var spin = default(SpinWait);
        while (Volatile.Read(ref _channelSeen) < target)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        return target;
    }

    /// <summary>The ring with three chained handlers, publishing in batches of 10.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public long Ring3Stage()
    {
        var seq = (SingleProducerSequencer)_pipeline.Sequencer;
        var ring = _pipeline.Ring;
        long hi = 0;
        for (long i = 0; i < Events; i += 10)
        {
            hi = seq.Next(10);
            for (long s = hi - 9; s <= hi; s++)
            {
                ring[s].Value = s;
            }

            seq.Publish(hi - 9, hi);
        }

        RingThroughputBenchmarks.WaitFor(_last, hi);
        return hi;
    }
}
