using System.Runtime.CompilerServices;

namespace LowLatency.Engine.Ring;

/// <summary>
/// How a consumer waits for a sequence. Implementations are structs passed as generic arguments, so each
/// processor is compiled with its wait loop inlined. <see cref="WaitFor"/> returns the barrier's available
/// sequence once it reaches <c>sequence</c>, or earlier (a smaller value) when the barrier is alerted or a
/// bounded wait ends, so the caller can check whether to stop.
/// </summary>
public interface IWaitStrategy
{
    /// <summary>Waits until the barrier's available sequence reaches <paramref name="sequence"/>.</summary>
    long WaitFor(long sequence, SequenceBarrier barrier);
}

/// <summary>
/// Spins on the barrier without yielding: lowest latency, burns a core. Only when spinning threads do
/// not outnumber cores (on this 2-core machine: at most one besides the producer).
/// </summary>
public struct BusySpinWait : IWaitStrategy
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly long WaitFor(long sequence, SequenceBarrier barrier)
    {
        long available;
        while ((available = barrier.Available) < sequence)
        {
            if (barrier.IsAlerted)
            {
                return available;
            }

            Thread.SpinWait(1); // a PAUSE: eases the sibling hyper-thread and the memory order machine
        }

        return available;
    }
}

/// <summary>Spins briefly, then yields the core to other ready threads; sane default when threads may outnumber cores.</summary>
public struct YieldingWait : IWaitStrategy
{
    private const int SpinTries = 100;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly long WaitFor(long sequence, SequenceBarrier barrier)
    {
        long available;
        int counter = SpinTries;
        while ((available = barrier.Available) < sequence)
        {
            if (barrier.IsAlerted)
            {
                return available;
            }

            if (counter > 0)
            {
                counter--;
                Thread.SpinWait(1);
            }
            else
            {
                Thread.Yield();
            }
        }

        return available;
    }
}

/// <summary>
/// Spins, then yields, then sleeps about a millisecond at a time: little CPU when idle, at the cost of up to
/// a millisecond of latency after an idle period. For background consumers (journal flush, monitors).
/// </summary>
public struct SleepingWait : IWaitStrategy
{
    private const int Retries = 200;

    /// <inheritdoc/>
    public readonly long WaitFor(long sequence, SequenceBarrier barrier)
    {
        long available;
        int counter = Retries;
        while ((available = barrier.Available) < sequence)
        {
            if (barrier.IsAlerted)
            {
                return available;
            }

            if (counter > 100)
            {
                counter--;
                Thread.SpinWait(1);
            }
            else if (counter > 0)
            {
                counter--;
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(1);
            }
        }

        return available;
    }
}

/// <summary>
/// Sleeps on the sequencer's <see cref="WaitSignal"/> until a publisher wakes it: no CPU while idle,
/// wake-up costs microseconds. Waits for upstream consumers (not signalled) by yielding.
/// The pipeline enables the sequencer's signal when a consumer uses this strategy.
/// </summary>
public struct BlockingWait : IWaitStrategy
{
    /// <inheritdoc/>
    public readonly long WaitFor(long sequence, SequenceBarrier barrier)
    {
        var cursor = barrier.Sequencer.Cursor;
        if (cursor.Value < sequence)
        {
            while (cursor.Value < sequence)
            {
                if (barrier.IsAlerted)
                {
                    return barrier.Available;
                }

                barrier.Sequencer.Signal.WaitOnce(cursor, sequence, barrier);
            }
        }

        long available;
        while ((available = barrier.Available) < sequence)
        {
            if (barrier.IsAlerted)
            {
                return available;
            }

            Thread.Yield();
        }

        return available;
    }
}
