using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Journals a slot as its SBE message, re-encoded from the decoded fields (a model-swap slot as its
/// <see cref="ModelSwapRecord"/>). The canonical encoding (our schema
/// version, padding zeroed) decodes back to the same slot contents, which is what replay needs; a message a gateway
/// sent with a newer schema version and a longer block is journaled in our version's shape.
/// </summary>
public readonly struct SbeJournalEncoder : IJournalEncoder
{
    /// <inheritdoc/>
    public int MaxLength => TransactionCodec.MessageLength;

    /// <inheritdoc/>
    public int Encode(ref PipelineSlot slot, Span<byte> destination) => slot.Kind switch
    {
        MessageKind.Transaction => TransactionCodec.Encode(destination, slot.Transaction),
        MessageKind.Label => LabelCodec.Encode(destination, slot.Label),
        MessageKind.Order => OrderCodec.Encode(destination, slot.Order),
        MessageKind.Control => ControlCodec.Encode(destination, slot.Control),
        MessageKind.ModelSwap => new ModelSwapRecord(slot.Control.ModelVersion, slot.Control.RequestId, Origin).Encode(destination),
        _ => 0,
    };

    /// <summary>Origin written into the model-swap records of swaps the engine put into its own input (its learner).</summary>
    public const string Origin = "learner";
}
