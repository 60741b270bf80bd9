namespace LowLatency.Engine.Ring;

/// <summary>
/// Thrown by a handler that finishes events in runs (several slots decided at once) when slots of the run failed: every
/// slot up to and including the one being handled is done, and these are the ones that faulted. A processor counts and
/// reports each at its own sequence, as it would have one at a time.
/// </summary>
public sealed class EventFaultsException : Exception
{
    /// <summary>A run with the given faults (at least one).</summary>
    public EventFaultsException(IReadOnlyList<(long Sequence, Exception Fault)> faults)
        : base($"{faults?.Count ?? 0} events of a run faulted, the first at sequence {(faults is { Count: > 0 } ? faults[0].Sequence : -1)}", faults is { Count: > 0 } ? faults[0].Fault : null)
    {
        ArgumentNullException.ThrowIfNull(faults);
        if (faults.Count == 0)
        {
            throw new ArgumentException("a run with no fault is not a fault", nameof(faults));
        }

        Faults = faults;
    }

    /// <summary>Each faulting slot's sequence and its exception, in sequence order.</summary>
    public IReadOnlyList<(long Sequence, Exception Fault)> Faults { get; }
}
