using LowLatency.Engine.Pipeline;

namespace LowLatency.Engine.Journal;

/// <summary>
/// Turns an inbound slot back into its wire message for the journal (the SBE codecs live in the adapters, which
/// implement this on a struct). The encoding must round-trip: decoding it yields the same slot contents, which is
/// what makes a replay of the journal reproduce the decisions.
/// </summary>
public interface IJournalEncoder
{
    /// <summary>Longest encoding of any message.</summary>
    int MaxLength { get; }

    /// <summary>
    /// Encodes the slot's message into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes); returns the
    /// length, 0 when it cannot. A <see cref="MessageKind.ModelSwap"/> slot encodes as a <see cref="ModelSwapRecord"/>.
    /// </summary>
    int Encode(ref PipelineSlot slot, Span<byte> destination);
}
