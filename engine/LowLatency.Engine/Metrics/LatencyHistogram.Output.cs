using System.Globalization;

namespace LowLatency.Engine.Metrics;

public sealed partial class LatencyHistogram
{
    /// <summary>
    /// Writes the percentile distribution in HdrHistogram's text format (the ".hgrm" files its plotter reads):
    /// a header, one row per percentile tick (ticks get denser toward 100% by <paramref name="ticksPerHalfDistance"/>
    /// per halving of the remaining distance), a final 100% row, and the Mean/Max/Buckets footer. Values are
    /// divided by <paramref name="outputScalingRatio"/> (1000 turns ns into µs).
    /// </summary>
    public void WritePercentileDistribution(TextWriter writer, double outputScalingRatio = 1000.0, int ticksPerHalfDistance = 5)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (!(outputScalingRatio > 0) || ticksPerHalfDistance < 1)
        {
            throw new ArgumentException($"Scaling ratio must be positive and ticks per half distance at least 1; got {outputScalingRatio} and {ticksPerHalfDistance}.");
        }

        var inv = CultureInfo.InvariantCulture;
        string valueFormat = "F" + SignificantDigits.ToString(inv);
        writer.Write(string.Format(inv, "{0,12} {1,14} {2,10} {3,14}\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)"));

        foreach (var (value, percentile, runningCount) in PercentileTicks(ticksPerHalfDistance))
        {
            string v = (value / outputScalingRatio).ToString(valueFormat, inv).PadLeft(12);
            string p = (percentile / 100.0).ToString("F12", inv);
            string c = runningCount.ToString(inv).PadLeft(10);
            if (percentile != 100.0)
            {
                string inverse = (1.0 / (1.0 - (percentile / 100.0))).ToString("F2", inv).PadLeft(14);
                writer.Write($"{v} {p} {c} {inverse}\n");
            }
            else
            {
                writer.Write($"{v} {p} {c}\n");
            }
        }

        string F(double x) => x.ToString(valueFormat, inv).PadLeft(12);
        long maxReported = _max == 0 ? 0 : HighestEquivalentValue(_max);
        writer.Write($"#[Mean    = {F(Mean / outputScalingRatio)}, StdDeviation   = {F(StdDeviation / outputScalingRatio)}]\n");
        writer.Write($"#[Max     = {F(maxReported / outputScalingRatio)}, Total count    = {_totalCount.ToString(inv).PadLeft(12)}]\n");
        writer.Write($"#[Buckets = {BucketCount.ToString(inv).PadLeft(12)}, SubBuckets     = {SubBucketCount.ToString(inv).PadLeft(12)}]\n");
    }

    /// <summary>
    /// The percentile ticks HdrHistogram's percentile iterator visits: (highest equivalent value, percentile
    /// level, count up to and including that value). Starts at 0%, steps by 100 / (ticks · 2^(halvings+1)),
    /// and ends with a 100% row at the largest value.
    /// </summary>
    public IEnumerable<(long Value, double Percentile, long RunningCount)> PercentileTicks(int ticksPerHalfDistance = 5)
    {
        if (_totalCount == 0)
        {
            yield break;
        }

        double level = 0;
        long running = 0;
        int lastIndex = -1;
        for (int i = 0; i < _counts.Length && running < _totalCount; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }

            running += _counts[i];
            lastIndex = i;
            while ((100.0 * running / _totalCount) >= level)
            {
                yield return (HighestEquivalentValue(ValueFromIndex(i)), level, running);
                long ticks = ticksPerHalfDistance * (long)Math.Pow(2, (long)(Math.Log(100.0 / (100.0 - level)) / Math.Log(2)) + 1);
                level += 100.0 / ticks;
                if (running >= _totalCount)
                {
                    break; // at the last value: one row, then the final 100% row below
                }
            }
        }

        yield return (HighestEquivalentValue(ValueFromIndex(lastIndex)), 100.0, _totalCount);
    }
}
