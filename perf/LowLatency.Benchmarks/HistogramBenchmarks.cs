using BenchmarkDotNet.Attributes;
using LowLatency.Engine.Metrics;

namespace LowLatency.Benchmarks;

/// <summary>
/// Recording one latency. Baseline: a log-bucketed histogram indexed with Math.Log, what one writes without
/// thinking about the bit tricks (1% buckets, same relative error class).
/// </summary>
[MemoryDiagnoser]
public class HistogramBenchmarks
{
    private const int Ops = 4096;
    private readonly long[] _values = new long[Ops];
    private readonly long[] _logCounts = new long[4096];
    private LatencyHistogram _histogram = null!;

    /// <summary>Log-normal-ish latencies from 100 ns to 10 ms, fixed seed.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        for (int i = 0; i < Ops; i++)
        {
            _values[i] = (long)Math.Exp(7 + (rng.NextDouble() * 9));
        }

        _histogram = new LatencyHistogram();
    }

    /// <summary>Math.Log bucket index (1% wide buckets).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void LogIndexRecord()
    {
        var counts = _logCounts;
        foreach (long v in _values)
        {
            counts[(int)(Math.Log(v) / 0.00995) & 4095]++;
        }
    }

    /// <summary>Our O(1) leading-zero-count index.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void LatencyHistogramRecord()
    {
        var h = _histogram;
        foreach (long v in _values)
        {
            h.Record(v);
        }
    }
}
