using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LowLatency.Engine.Metrics;

/// <summary>
/// A log-linear histogram of non-negative integer values (latencies in ns), laid out as HdrHistogram lays
/// out its counts so its percentile output can be read by the same tools. Values are grouped in buckets by
/// power of two; each bucket is split linearly into sub-buckets, so every value is kept within a relative
/// error of 1 / (sub-bucket half count): 2 significant digits → 1/128 (≤ 0.79%), 3 → 1/1024.
/// Recording is O(1) with no allocation; counts live in one array allocated at construction.
/// One thread records; readers use <see cref="IntervalRecorder"/> <see cref="IntervalRecorder"/> or a copy taken when recording stopped.
/// </summary>
public sealed partial class LatencyHistogram
{
    private readonly long[] _counts;
    private readonly int _subBucketHalfCountMagnitude;
    private readonly int _subBucketHalfCount;
    private readonly long _subBucketMask;
    private readonly int _leadingZeroCountBase;
    private long _totalCount;
    private long _min = long.MaxValue;
    private long _max;
    private long _overflows;
    private long _rejected;

    /// <summary>
    /// Creates a histogram tracking 1..<paramref name="highestTrackableValue"/> with
    /// <paramref name="significantDigits"/> decimal digits of precision (1 to 5).
    /// </summary>
    public LatencyHistogram(long highestTrackableValue = 3_600_000_000_000L, int significantDigits = 2)
    {
        if (significantDigits is < 1 or > 5)
        {
            throw new ArgumentOutOfRangeException(nameof(significantDigits), significantDigits, "Significant digits must be 1 to 5.");
        }

        if (highestTrackableValue < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(highestTrackableValue), highestTrackableValue, "The highest trackable value must be at least 2.");
        }

        HighestTrackableValue = highestTrackableValue;
        SignificantDigits = significantDigits;

        // The smallest power of two sub-bucket count that resolves 2·10^digits values one by one.
        long singleUnitResolution = 2 * (long)Math.Pow(10, significantDigits);
        int subBucketCountMagnitude = (int)Math.Ceiling(Math.Log2(singleUnitResolution));
        _subBucketHalfCountMagnitude = subBucketCountMagnitude - 1;
        SubBucketCount = 1 << subBucketCountMagnitude;
        _subBucketHalfCount = SubBucketCount / 2;
        _subBucketMask = SubBucketCount - 1;
        _leadingZeroCountBase = 64 - _subBucketHalfCountMagnitude - 1;

        // Buckets double the covered range each time; count them until the highest value fits.
        long smallestUntrackable = (long)SubBucketCount;
        int buckets = 1;
        while (smallestUntrackable <= highestTrackableValue)
        {
            if (smallestUntrackable > long.MaxValue / 2)
            {
                buckets++;
                break;
            }

            smallestUntrackable <<= 1;
            buckets++;
        }

        BucketCount = buckets;
        _counts = new long[(buckets + 1) * _subBucketHalfCount];
    }

    /// <summary>Highest value recorded without clamping.</summary>
    public long HighestTrackableValue { get; }

    /// <summary>Decimal digits of precision.</summary>
    public int SignificantDigits { get; }

    /// <summary>Number of power-of-two buckets (as HdrHistogram counts them).</summary>
    public int BucketCount { get; }

    /// <summary>Linear sub-buckets per bucket.</summary>
    public int SubBucketCount { get; }

    /// <summary>Largest relative error of a reported value: 1 / sub-bucket half count.</summary>
    public double RelativeError => 1.0 / _subBucketHalfCount;

    /// <summary>Number of recorded values (including clamped overflows).</summary>
    public long TotalCount => _totalCount;

    /// <summary>Values above <see cref="HighestTrackableValue"/>, recorded as the highest value.</summary>
    public long Overflows => _overflows;

    /// <summary>Negative values refused (not recorded).</summary>
    public long Rejected => _rejected;

    /// <summary>Smallest recorded value, or 0 when empty.</summary>
    public long Min => _totalCount == 0 ? 0 : _min;

    /// <summary>Largest recorded value (exact, not bucketed), or 0 when empty.</summary>
    public long Max => _max;

    /// <summary>Records one value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long value) => RecordCount(value, 1);

    /// <summary>Records <paramref name="count"/> occurrences of <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RecordCount(long value, long count)
    {
        if ((ulong)value > (ulong)HighestTrackableValue)
        {
            value = OutOfRange(value);
            if (value < 0)
            {
                return;
            }
        }

        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_counts), CountsIndex(value)) += count;
        _totalCount += count;
        if (value < _min)
        {
            _min = value;
        }

        if (value > _max)
        {
            _max = value;
        }
    }

    /// <summary>
    /// Records <paramref name="value"/> and, when it exceeds <paramref name="expectedInterval"/>, the values a
    /// sampler at that interval would have seen while stalled behind it: value − interval, value − 2·interval, …
    /// down to the interval (coordinated-omission correction, as HdrHistogram defines it).
    /// </summary>
    public void RecordWithExpectedInterval(long value, long expectedInterval)
    {
        Record(value);
        if (expectedInterval <= 0 || value <= expectedInterval)
        {
            return;
        }

        for (long missing = value - expectedInterval; missing >= expectedInterval; missing -= expectedInterval)
        {
            Record(missing);
        }
    }

    /// <summary>Forgets every value.</summary>
    public void Reset()
    {
        Array.Clear(_counts);
        _totalCount = 0;
        _min = long.MaxValue;
        _max = 0;
        _overflows = 0;
        _rejected = 0;
    }

    /// <summary>Adds the counts of <paramref name="other"/>, which must have the same layout.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._counts.Length != _counts.Length || other.SubBucketCount != SubBucketCount)
        {
            ThrowLayoutMismatch(other);
        }

        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        _totalCount += other._totalCount;
        _overflows += other._overflows;
        _rejected += other._rejected;
        if (other._totalCount > 0)
        {
            _min = Math.Min(_min, other._min);
            _max = Math.Max(_max, other._max);
        }
    }

    /// <summary>An independent copy.</summary>
    public LatencyHistogram Copy()
    {
        var copy = new LatencyHistogram(HighestTrackableValue, SignificantDigits);
        copy.Add(this);
        return copy;
    }

    /// <summary>
    /// The value at or below which <paramref name="percentile"/> % of recorded values fall, reported as the
    /// highest value equivalent to its bucket (as HdrHistogram does); 0 when empty.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (_totalCount == 0)
        {
            return 0;
        }

        double p = Math.Clamp(percentile, 0.0, 100.0);
        long target = Math.Max(1, (long)Math.Ceiling(p / 100.0 * _totalCount));
        long running = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            running += _counts[i];
            if (running >= target)
            {
                return Math.Min(HighestEquivalentValue(ValueFromIndex(i)), _max);
            }
        }

        return _max;
    }

    /// <summary>Mean of the recorded values, each taken at the middle of its bucket.</summary>
    public double Mean
    {
        get
        {
            if (_totalCount == 0)
            {
                return 0;
            }

            double sum = 0;
            for (int i = 0; i < _counts.Length; i++)
            {
                if (_counts[i] != 0)
                {
                    sum += _counts[i] * (double)MedianEquivalentValue(ValueFromIndex(i));
                }
            }

            return sum / _totalCount;
        }
    }

    /// <summary>Standard deviation of the recorded values (bucket midpoints).</summary>
    public double StdDeviation
    {
        get
        {
            if (_totalCount == 0)
            {
                return 0;
            }

            double mean = Mean, sum = 0;
            for (int i = 0; i < _counts.Length; i++)
            {
                if (_counts[i] != 0)
                {
                    double d = MedianEquivalentValue(ValueFromIndex(i)) - mean;
                    sum += _counts[i] * d * d;
                }
            }

            return Math.Sqrt(sum / _totalCount);
        }
    }

    /// <summary>Smallest value that lands in the same bucket as <paramref name="value"/>.</summary>
    public long LowestEquivalentValue(long value)
    {
        int bucket = BucketIndex(value);
        int sub = SubBucketIndex(value, bucket);
        return (long)sub << bucket;
    }

    /// <summary>Width of the bucket range holding <paramref name="value"/>.</summary>
    public long SizeOfEquivalentRange(long value)
    {
        int bucket = BucketIndex(value);
        int sub = SubBucketIndex(value, bucket);
        return 1L << (sub >= SubBucketCount ? bucket + 1 : bucket);
    }

    /// <summary>Largest value that lands in the same bucket as <paramref name="value"/>.</summary>
    public long HighestEquivalentValue(long value) => LowestEquivalentValue(value) + SizeOfEquivalentRange(value) - 1;

    /// <summary>Middle of the bucket range holding <paramref name="value"/>.</summary>
    public long MedianEquivalentValue(long value) => LowestEquivalentValue(value) + (SizeOfEquivalentRange(value) >> 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int BucketIndex(long value) => _leadingZeroCountBase - BitOperations.LeadingZeroCount((ulong)(value | _subBucketMask));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SubBucketIndex(long value, int bucket) => (int)(value >> bucket);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int CountsIndex(long value)
    {
        int bucket = BucketIndex(value);
        int sub = SubBucketIndex(value, bucket);
        // Bucket 0 uses all sub-buckets; each later bucket only its upper half (the lower half is the previous bucket's range).
        return ((bucket + 1) << _subBucketHalfCountMagnitude) + (sub - _subBucketHalfCount);
    }

    private long ValueFromIndex(int index)
    {
        int bucket = (index >> _subBucketHalfCountMagnitude) - 1;
        int sub = (index & (_subBucketHalfCount - 1)) + _subBucketHalfCount;
        if (bucket < 0)
        {
            sub -= _subBucketHalfCount;
            bucket = 0;
        }

        return (long)sub << bucket;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long OutOfRange(long value)
    {
        if (value < 0)
        {
            _rejected++;
            return -1;
        }

        _overflows++;
        return HighestTrackableValue;
    }

    [DoesNotReturn]
    private void ThrowLayoutMismatch(LatencyHistogram other) => throw new ArgumentException(
        $"Cannot add a histogram of {other.SubBucketCount} sub-buckets × {other.BucketCount} buckets to one of {SubBucketCount} × {BucketCount}; create both with the same range and digits.");
}
