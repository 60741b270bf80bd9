namespace LowLatency.Engine.Ring;

/// <summary>
/// A consumer driven by its caller instead of its own thread: each <see cref="Poll{THandler}"/> processes what
/// is available now and returns. The single-thread topology uses it: the thread that receives and claims
/// also runs the whole handler chain inline, with no hand-off to another core.
/// </summary>
public sealed class EventPoller<T>
    where T : unmanaged
{
    private readonly RingBuffer<T> _ring;
    private readonly SequenceBarrier _barrier;

    /// <summary>Creates a poller over <paramref name="ring"/> behind <paramref name="barrier"/>.</summary>
    public EventPoller(RingBuffer<T> ring, SequenceBarrier barrier)
    {
        _ring = ring;
        _barrier = barrier;
    }

    /// <summary>This consumer's progress; register it as a gating sequence.</summary>
    public Sequence Sequence { get; } = new();

    /// <summary>Events whose handler threw (skipped and counted). Written by the polling thread.</summary>
    public long Faults { get; private set; }

    /// <summary>Handles up to <paramref name="maxBatch"/> available events in order; returns how many.</summary>
    public int Poll<THandler>(ref THandler handler, int maxBatch = int.MaxValue)
        where THandler : struct, IEventHandler<T>
    {
        long next = Sequence.Value + 1;
        long available = _barrier.Poll(next);
        if (available < next)
        {
            return 0;
        }

        long last = Math.Min(available, next + maxBatch - 1);
        long s = next;
        try
        {
            for (; s <= last; s++)
            {
                handler.OnEvent(ref _ring[s], s, s == last);
            }
        }
        catch (EventFaultsException run)
        {
            // A run handler finished every slot up to s, some of which faulted: each counts.
            Faults += run.Faults.Count;
            last = s;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // As BatchEventProcessor does: the faulting slot counts as handled, so one poisoned event neither stops the
            // poller nor is retried forever. Counted; the rest of the batch comes with the next poll.
            Faults++;
            last = s;
        }

        Sequence.SetRelease(last);
        return (int)(last - next + 1);
    }
}
