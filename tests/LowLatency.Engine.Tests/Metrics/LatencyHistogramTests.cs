using System.Globalization;
using System.Text.RegularExpressions;
using LowLatency.Engine.Metrics;

namespace LowLatency.Engine.Tests.Metrics;

public partial class LatencyHistogramTests
{
    public static TheoryData<string, int> Distributions => new()
    {
        { "uniform", 2 }, { "lognormal", 2 }, { "pareto", 2 }, { "lognormal", 3 }, { "small", 2 },
    };

    private static long[] Sample(string kind, int n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => kind switch
        {
            "uniform" => rng.NextInt64(1, 10_000_000),
            "lognormal" => (long)Math.Exp(8 + (2 * Normal(rng))),
            "pareto" => (long)(1_000 / Math.Pow(1 - rng.NextDouble(), 1 / 1.2)),
            _ => rng.NextInt64(0, 300),
        })];
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Percentiles_are_within_the_relative_error_of_the_exact_sorted_percentiles(string kind, int digits)
    {
        var values = Sample(kind, 100_000, seed: kind.Length + digits);
        var h = new LatencyHistogram(3_600_000_000_000L, digits);
        foreach (long v in values)
        {
            h.Record(v);
        }

        var sorted = values.Order().ToArray();
        Assert.True(h.RelativeError <= (digits == 2 ? 0.01 : 0.001));
        foreach (double p in new[] { 0.0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100 })
        {
            long exact = sorted[Math.Max(0, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
            long reported = h.ValueAtPercentile(p);
            Assert.True(reported >= exact && reported <= exact + (exact * h.RelativeError) + 1, $"p{p}: exact {exact}, reported {reported}");
        }

        Assert.Equal(values.Length, h.TotalCount);
        Assert.Equal(sorted[0], h.Min);
        Assert.Equal(sorted[^1], h.Max);
        Assert.InRange(h.Mean, values.Average() * (1 - h.RelativeError), (values.Average() * (1 + h.RelativeError)) + 1);
    }

    [Fact]
    public void Merging_equals_recording_the_concatenated_samples()
    {
        var a = Sample("lognormal", 20_000, 1);
        var b = Sample("pareto", 20_000, 2);
        var ha = new LatencyHistogram();
        var hb = new LatencyHistogram();
        var hab = new LatencyHistogram();
        foreach (long v in a) { ha.Record(v); hab.Record(v); }
        foreach (long v in b) { hb.Record(v); hab.Record(v); }
        ha.Add(hb);
        Assert.Equal(Render(hab), Render(ha));
        Assert.Equal(hab.Min, ha.Min);
        Assert.Equal(hab.Max, ha.Max);
    }

    [Fact]
    public void Merging_histograms_of_different_layouts_is_refused_with_a_message()
    {
        var ex = Assert.Throws<ArgumentException>(() => new LatencyHistogram(1_000_000, 2).Add(new LatencyHistogram(1_000_000, 3)));
        Assert.Contains("same range and digits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Coordinated_omission_correction_matches_the_explicitly_backfilled_samples()
    {
        var rng = new Random(9);
        const long Interval = 1_000;
        var corrected = new LatencyHistogram();
        var naive = new LatencyHistogram();
        for (int i = 0; i < 5_000; i++)
        {
            long v = rng.NextDouble() < 0.01 ? rng.NextInt64(1_000, 200_000) : rng.NextInt64(1, 900);
            corrected.RecordWithExpectedInterval(v, Interval);
            naive.Record(v);
            for (long missed = v - Interval; missed >= Interval; missed -= Interval)
            {
                naive.Record(missed);
            }
        }

        Assert.Equal(Render(naive), Render(corrected));
    }

    [Fact]
    public void Out_of_range_values_are_clamped_or_refused_and_counted()
    {
        var h = new LatencyHistogram(1_000_000, 2);
        h.Record(5_000_000);
        h.Record(-3);
        Assert.Equal(1, h.Overflows);
        Assert.Equal(1, h.Rejected);
        Assert.Equal(1, h.TotalCount);
        Assert.Equal(1_000_000, h.Max);
    }

    [Fact]
    public void Percentile_distribution_has_hdrhistogram_header_rows_and_footer()
    {
        var values = Sample("lognormal", 50_000, 4);
        var h = new LatencyHistogram();
        foreach (long v in values)
        {
            h.Record(v);
        }

        string text = Render(h);
        var lines = text.Split('\n');
        Assert.Equal("       Value     Percentile TotalCount 1/(1-Percentile)", lines[0]);
        Assert.Equal(string.Empty, lines[1]);

        var rows = lines.Skip(2).TakeWhile(l => !l.StartsWith('#')).Where(l => l.Length > 0).ToArray();
        var parsed = rows.Select(r => RowPattern().Match(r)).ToArray();
        Assert.All(parsed, m => Assert.True(m.Success));
        var vals = parsed.Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        var pcts = parsed.Select(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).ToArray();
        var counts = parsed.Select(m => long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)).ToArray();
        for (int i = 1; i < rows.Length; i++)
        {
            Assert.True(vals[i] >= vals[i - 1] && pcts[i] > pcts[i - 1] && counts[i] >= counts[i - 1], $"row {i} not monotone: {rows[i]}");
        }

        Assert.Equal(0.0, pcts[0]);
        Assert.Equal(1.0, pcts[^1]);
        Assert.Equal(values.Length, counts[^1]);
        Assert.True(Math.Abs((h.HighestEquivalentValue(values.Max()) / 1000.0) - vals[^1]) <= 0.006, $"last row {vals[^1]}");
        Assert.True(parsed[^1].Groups[4].Value.Length == 0, "the 100% row has no 1/(1-p) column");
        Assert.True(rows.Length > 50, "ticks get denser toward the tail");

        Assert.Matches(@"^#\[Mean    = +[0-9.]+, StdDeviation   = +[0-9.]+\]$", lines[2 + rows.Length]);
        Assert.Matches(@"^#\[Max     = +[0-9.]+, Total count    = +50000\]$", lines[3 + rows.Length]);
        Assert.Matches(@"^#\[Buckets = +\d+, SubBuckets     = +256\]$", lines[4 + rows.Length]);
    }

    [Fact]
    public void Recording_allocates_nothing()
    {
        var h = new LatencyHistogram();
        var rng = new Random(1);
        var values = Enumerable.Range(0, 4096).Select(_ => rng.NextInt64(1, 10_000_000)).ToArray();
        h.Record(1);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000_000; i++)
        {
            h.Record(values[i & 4095]);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Interval_recorder_loses_no_count_across_swaps()
    {
        var recorder = new IntervalRecorder();
        const int Total = 2_000_000;
        var writer = new Thread(() =>
        {
            for (int i = 0; i < Total; i++)
            {
                recorder.Record(1 + (i % 5_000));
            }
        });
        var interval = new LatencyHistogram();
        var sum = new LatencyHistogram();
        writer.Start();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        int swaps = 0;
        while (writer.IsAlive && DateTime.UtcNow < deadline)
        {
            recorder.GetInterval(interval);
            sum.Add(interval);
            swaps++;
            Thread.Sleep(1);
        }

        Assert.True(writer.Join(TimeSpan.FromSeconds(60)));
        recorder.GetInterval(interval);
        sum.Add(interval);
        Assert.Equal(Total, sum.TotalCount);
        Assert.True(swaps > 1, "the test should swap while the writer runs");
    }

    private static string Render(LatencyHistogram h)
    {
        using var w = new StringWriter(CultureInfo.InvariantCulture);
        h.WritePercentileDistribution(w);
        return w.ToString();
    }

    [GeneratedRegex(@"^ *([0-9.]+) ([0-9.]{14}) +(\d+)(?: +([0-9.]+))?$")]
    private static partial Regex RowPattern();
}
