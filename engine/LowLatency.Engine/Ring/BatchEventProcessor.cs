using System.Runtime.CompilerServices;

namespace LowLatency.Engine.Ring;

/// <summary>Something the pipeline can run on a thread and stop.</summary>
public interface IEventProcessor
{
    /// <summary>This consumer's progress: the highest sequence it has finished.</summary>
    Sequence Sequence { get; }

    /// <summary>Number of events whose handler threw (reported to the exception handler, then skipped).</summary>
    long Faults { get; }

    /// <summary>Runs the consume loop on the calling thread until halted.</summary>
    void Run();

    /// <summary>Asks the loop to stop after its current batch.</summary>
    void Halt();
}

/// <summary>
/// The consume loop: waits for available slots, hands each to the handler in order, and publishes its own
/// progress once per batch (not per event: one release write per batch is where the throughput is).
/// Generic over the handler and the wait strategy so both are inlined.
/// </summary>
public sealed class BatchEventProcessor<T, THandler, TWait> : IEventProcessor
    where T : unmanaged
    where THandler : struct, IEventHandler<T>
    where TWait : struct, IWaitStrategy
{
    private readonly RingBuffer<T> _ring;
    private readonly SequenceBarrier _barrier;
    private readonly Action<Exception, long>? _onFault;
    private THandler _handler;
    private TWait _wait;
    private long _faults;

    /// <summary>Creates a processor; <paramref name="onFault"/> hears about handler exceptions (default: counted only).</summary>
    public BatchEventProcessor(RingBuffer<T> ring, SequenceBarrier barrier, THandler handler, TWait wait = default, Action<Exception, long>? onFault = null)
    {
        _ring = ring;
        _barrier = barrier;
        _handler = handler;
        _wait = wait;
        _onFault = onFault;
    }

    /// <inheritdoc/>
    public Sequence Sequence { get; } = new();

    /// <inheritdoc/>
    public long Faults => Volatile.Read(ref _faults);

    /// <summary>The handler's state (a copy for a struct handler): read it after the processor stopped.</summary>
    public ref THandler Handler => ref _handler;

    /// <inheritdoc/>
    public void Run()
    {
        long next = Sequence.Value + 1;
        while (true)
        {
            long available = _barrier.WaitFor(next, ref _wait);
            if (available < next)
            {
                if (_barrier.IsAlerted)
                {
                    return;
                }

                continue;
            }

            next = ProcessBatch(next, available);
        }
    }

    /// <inheritdoc/>
    public void Halt() => _barrier.Alert();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long ProcessBatch(long next, long available)
    {
        try
        {
            for (; next <= available; next++)
            {
                _handler.OnEvent(ref _ring[next], next, next == available);
            }

            Sequence.SetRelease(available);
            return next;
        }
        catch (EventFaultsException run)
        {
            // A run handler finished every slot up to this one; some of them faulted, each reported at its own sequence.
            foreach ((long sequence, Exception fault) in run.Faults)
            {
                Fault(fault, sequence);
            }

            Sequence.SetRelease(next);
            return next + 1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The faulting slot counts as handled: report it and move on, so one poisoned event neither
            // kills the consumer nor stalls the producers gated on it.
            Fault(ex, next);
            Sequence.SetRelease(next);
            return next + 1;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fault(Exception ex, long sequence)
    {
        Interlocked.Increment(ref _faults);
        _onFault?.Invoke(ex, sequence);
    }
}
