using System.Diagnostics;

namespace LowLatency.Adapters.Load;

/// <summary>
/// The clock of an open-loop load: event i is due at start + i / rate whatever happened to earlier events, so a
/// stalled engine shows as latency instead of slowing the offered load (coordinated omission). Rate 0 means unpaced:
/// each event is due when the previous one was sent. Shared by the in-process and the over-the-wire drivers.
/// </summary>
internal struct OpenLoopSchedule
{
    private readonly double _periodTicks;
    private readonly long _start;
    private readonly long _end;
    private long _now;
    private long _maxLag;

    /// <summary>Starts the clock now; throws for a negative, NaN or infinite rate.</summary>
    public OpenLoopSchedule(double rate, TimeSpan duration)
    {
        if (!(rate >= 0) || double.IsInfinity(rate))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The rate must be 0 (unpaced) or a positive number of events per second.");
        }

        _periodTicks = rate > 0 ? Stopwatch.Frequency / rate : 0;
        _start = _now = Stopwatch.GetTimestamp();
        _end = _start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>True while the duration has not run out.</summary>
    public readonly bool Running => _now < _end;

    /// <summary>Largest delay seen between a due time and its send, in ns.</summary>
    public readonly long MaxLagNs => (long)(_maxLag * 1e9 / Stopwatch.Frequency);

    /// <summary>Wall time since the start.</summary>
    public readonly TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start);

    /// <summary>Spins until event <paramref name="i"/> is due and returns its due time (Stopwatch ticks).</summary>
    public long WaitUntilDue(long i) => WaitUntilDue(i, null);

    /// <summary>
    /// <see cref="WaitUntilDue(long)"/>, running <paramref name="whileWaiting"/> (a gateway client's poll: decisions read on
    /// the driver's own thread) instead of idle spins; it returns the work it did.
    /// </summary>
    public long WaitUntilDue(long i, Func<int>? whileWaiting)
    {
        long due = _periodTicks > 0 ? _start + (long)(i * _periodTicks) : _now;
        while ((_now = Stopwatch.GetTimestamp()) < due)
        {
            if ((whileWaiting?.Invoke() ?? 0) == 0)
            {
                Thread.SpinWait(1);
            }
        }

        return due;
    }

    /// <summary>Records how late the event due at <paramref name="due"/> was sent.</summary>
    public void Sent(long due)
    {
        long lag = Stopwatch.GetTimestamp() - due;
        if (lag > _maxLag)
        {
            _maxLag = lag;
        }
    }
}
