using LowLatency.Engine.Ring;

namespace LowLatency.Engine.Tests.Ring;

internal struct TestEvent
{
    public int Producer;
    public long Counter;
    public long StampA;
    public long StampB;
}

/// <summary>Checks, per producer, that counters arrive exactly once and in order.</summary>
internal sealed class OrderLog(int producers)
{
    public readonly long[] Last = Enumerable.Repeat(-1L, producers).ToArray();
    public long Seen;
    public long Violations;
    public string? FirstViolation;

    public void Record(in TestEvent e)
    {
        if (e.Counter != Last[e.Producer] + 1)
        {
            Violations++;
            FirstViolation ??= $"producer {e.Producer}: expected {Last[e.Producer] + 1}, got {e.Counter}";
        }

        Last[e.Producer] = e.Counter;
        Seen++;
    }
}

internal struct OrderCheckingHandler(OrderLog log) : IEventHandler<TestEvent>
{
    public readonly void OnEvent(ref TestEvent evt, long sequence, bool endOfBatch) => log.Record(evt);
}

/// <summary>
/// Stamps the slot with its sequence after a little work, as a stage that finishes a slot would. With
/// <paramref name="holdFirst"/>, waits (at most 10 s) for it to be set before finishing the first slot.
/// </summary>
internal struct StampHandler(bool isA, int work, ManualResetEventSlim? holdFirst = null) : IEventHandler<TestEvent>
{
    public readonly void OnEvent(ref TestEvent evt, long sequence, bool endOfBatch)
    {
        if (sequence == 0)
        {
            holdFirst?.Wait(TimeSpan.FromSeconds(10));
        }

        if (work > 0)
        {
            Thread.SpinWait(work);
        }

        if (isA)
        {
            evt.StampA = sequence + 1;
        }
        else
        {
            evt.StampB = sequence + 1;
        }
    }
}

internal sealed class DependencyLog
{
    public long Seen;
    public long Violations;
}

/// <summary>A dependent stage: both upstream stamps must already be on the slot. Sets <paramref name="seenFirst"/> after its first slot.</summary>
internal struct DependencyCheckHandler(DependencyLog log, ManualResetEventSlim? seenFirst = null) : IEventHandler<TestEvent>
{
    public readonly void OnEvent(ref TestEvent evt, long sequence, bool endOfBatch)
    {
        if (evt.StampA != sequence + 1 || evt.StampB != sequence + 1)
        {
            log.Violations++;
        }

        log.Seen++;
        seenFirst?.Set();
    }
}
