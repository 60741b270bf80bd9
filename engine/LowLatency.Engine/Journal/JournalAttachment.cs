using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;

namespace LowLatency.Engine.Journal;

/// <summary>Attaches a <see cref="JournalHandler{TEncoder}"/> to a <see cref="ScoringPipeline{TSink}"/>; gates decisions under <see cref="JournalDurability.SyncBeforePublish"/>.</summary>
public sealed class JournalAttachment<TEncoder>(JournalWriter writer, TEncoder encoder) : ISideConsumer
    where TEncoder : struct, IJournalEncoder
{
    /// <summary>The writer the handler appends with.</summary>
    public JournalWriter Writer { get; } = writer ?? throw new ArgumentNullException(nameof(writer));

    /// <summary>Skips and failures.</summary>
    public JournalCounters Counters { get; } = new();

    /// <inheritdoc/>
    public bool GatesDecisions => Writer.Options.Durability == JournalDurability.SyncBeforePublish;

    /// <inheritdoc/>
    public Sequence AddTo<TWait>(RingPipeline<PipelineSlot> ring, TWait wait)
        where TWait : struct, IWaitStrategy
    {
        ArgumentNullException.ThrowIfNull(ring);
        return ring.Add(new JournalHandler<TEncoder>(Writer, encoder, Counters), wait);
    }
}
