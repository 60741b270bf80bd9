using System.Runtime.CompilerServices;

namespace LowLatency.Engine.Ring;

/// <summary>
/// What a consumer waits on: the producers' cursor and the consumers it depends on (it may process a
/// slot only after all of them have). Also carries the alert that stops a waiting consumer.
/// </summary>
public sealed class SequenceBarrier
{
    private readonly Sequence[] _dependents;
    private volatile bool _alerted;

    /// <summary>Creates a barrier on <paramref name="sequencer"/> that also waits for <paramref name="dependsOn"/>.</summary>
    public SequenceBarrier(Sequencer sequencer, params Sequence[] dependsOn)
    {
        Sequencer = sequencer;
        _dependents = dependsOn.Length == 0 ? [sequencer.Cursor] : [.. dependsOn];
    }

    /// <summary>The sequencer whose publishes this barrier tracks.</summary>
    public Sequencer Sequencer { get; }

    /// <summary>True once <see cref="Alert"/> was called (and until <see cref="ClearAlert"/>).</summary>
    public bool IsAlerted => _alerted;

    /// <summary>
    /// The highest sequence the consumer may process now: the minimum over the sequences it waits on
    /// (the cursor, or the consumers it depends on, which themselves never pass the cursor).
    /// </summary>
    public long Available
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Sequence.Minimum(_dependents, Sequence.Initial);
    }

    /// <summary>
    /// Waits with <paramref name="wait"/> until <paramref name="sequence"/> may be processed; returns the highest
    /// processable sequence (≥ <paramref name="sequence"/>), or a smaller value when alerted or the wait timed out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long WaitFor<TWait>(long sequence, ref TWait wait)
        where TWait : struct, IWaitStrategy
    {
        long available = wait.WaitFor(sequence, this);
        return available < sequence ? available : Sequencer.GetHighestPublished(sequence, available);
    }

    /// <summary>Non-blocking form: the highest processable sequence from <paramref name="sequence"/>, or less if none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Poll(long sequence)
    {
        long available = Available;
        return available < sequence ? available : Sequencer.GetHighestPublished(sequence, available);
    }

    /// <summary>Wakes a waiting consumer and makes its waits return (used to halt).</summary>
    public void Alert()
    {
        _alerted = true;
        Sequencer.Signal.Notify();
    }

    /// <summary>Clears the alert so the consumer can run again.</summary>
    public void ClearAlert() => _alerted = false;
}
