namespace LowLatency.Engine.Ring;

/// <summary>
/// Lets consumers sleep until a publish instead of spinning. Publishers pay a fence and one read of the
/// waiter count per publish, and take the lock only when someone is actually waiting.
/// </summary>
public sealed class WaitSignal
{
    private readonly object _lock = new(); // Monitor, not System.Threading.Lock: Wait/PulseAll need a monitor
    private int _waiters;

    /// <summary>Called by a publisher after its cursor write.</summary>
    public void Notify()
    {
        // Full fence: without it the load of _waiters could be satisfied before our cursor store is
        // visible (x64 reorders a store followed by a load), and a waiter that registered in between
        // would read the old cursor and sleep through the publish. The timed wait below bounds even that.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _waiters) == 0)
        {
            return;
        }

        lock (_lock)
        {
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Blocks until <paramref name="cursor"/> reaches <paramref name="sequence"/>, <paramref name="barrier"/> is alerted, or about a millisecond passes.</summary>
    public void WaitOnce(Sequence cursor, long sequence, SequenceBarrier barrier)
    {
        lock (_lock)
        {
            Interlocked.Increment(ref _waiters);
            try
            {
                if (cursor.Value < sequence && !barrier.IsAlerted)
                {
                    Monitor.Wait(_lock, 1);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _waiters);
            }
        }
    }
}
