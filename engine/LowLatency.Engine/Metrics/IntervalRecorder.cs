namespace LowLatency.Engine.Metrics;

/// <summary>
/// Lets one thread record latencies while a monitor thread takes interval snapshots, without locks on the
/// recording side. The recorder writes into the active histogram inside a tiny critical section (one
/// interlocked increment to enter, one release write to leave); the reader swaps in the spare histogram,
/// flips the phase, and waits for any record that started before the flip to finish, after which the
/// old histogram is quiet and can be read. (The writer/reader phaser of HdrHistogram's Recorder, reduced
/// to the single-writer case.)
/// </summary>
public sealed class IntervalRecorder
{
    private readonly Lock _readerLock = new();
    private LatencyHistogram _active;
    private LatencyHistogram _spare;

    // Phase is the sign of _startEpoch: even phase counts up from 0, odd phase from long.MinValue.
    private long _startEpoch;
    private long _evenEndEpoch;
    private long _oddEndEpoch = long.MinValue;

    /// <summary>Creates a recorder whose histograms track 1..<paramref name="highestTrackableValue"/> at <paramref name="significantDigits"/>.</summary>
    public IntervalRecorder(long highestTrackableValue = 3_600_000_000_000L, int significantDigits = 2)
    {
        _active = new LatencyHistogram(highestTrackableValue, significantDigits);
        _spare = new LatencyHistogram(highestTrackableValue, significantDigits);
    }

    /// <summary>Records a value (recording thread only).</summary>
    public void Record(long value)
    {
        // Interlocked (full fence): the read of _active below cannot move before the phase we entered,
        // which is what lets the reader know when the swapped-out histogram is no longer written.
        long epoch = Interlocked.Increment(ref _startEpoch) - 1;
        Volatile.Read(ref _active).Record(value);
        if (epoch < 0)
        {
            Volatile.Write(ref _oddEndEpoch, _oddEndEpoch + 1); // release: the record above is complete
        }
        else
        {
            Volatile.Write(ref _evenEndEpoch, _evenEndEpoch + 1);
        }
    }

    /// <summary>
    /// Moves everything recorded since the previous call into <paramref name="into"/> (reset first) and starts
    /// a new interval. Allocation-free; <paramref name="into"/> must have the recorder's layout.
    /// </summary>
    public void GetInterval(LatencyHistogram into)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (_readerLock)
        {
            var old = _active;
            _spare.Reset();
            Volatile.Write(ref _active, _spare);
            _spare = old;
            FlipPhaseAndWaitForWriters();
            into.Reset();
            into.Add(old);
        }
    }

    private void FlipPhaseAndWaitForWriters()
    {
        bool nextPhaseIsEven = Volatile.Read(ref _startEpoch) < 0;
        long initial = nextPhaseIsEven ? 0 : long.MinValue;

        // The next phase's end counter is idle (its writers all finished at the previous flip): reset it.
        if (nextPhaseIsEven)
        {
            Volatile.Write(ref _evenEndEpoch, initial);
        }
        else
        {
            Volatile.Write(ref _oddEndEpoch, initial);
        }

        long startAtFlip = Interlocked.Exchange(ref _startEpoch, initial);
        var spinner = default(SpinWait);
        while ((nextPhaseIsEven ? Volatile.Read(ref _oddEndEpoch) : Volatile.Read(ref _evenEndEpoch)) != startAtFlip)
        {
            spinner.SpinOnce();
        }
    }
}
