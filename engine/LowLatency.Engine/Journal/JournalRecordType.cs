namespace LowLatency.Engine.Journal;

/// <summary>
/// What a journal record holds (u16 in the record header; never renumber). Inbound message types share their
/// values with <see cref="Pipeline.MessageKind"/> so the ring handler maps a slot to a record type with a cast.
/// </summary>
public enum JournalRecordType : ushort
{
    /// <summary>An inbound SBE Transaction message.</summary>
    Transaction = 1,
    /// <summary>An inbound SBE Label message.</summary>
    Label = 2,
    /// <summary>An inbound SBE Order message.</summary>
    Order = 3,
    /// <summary>An inbound SBE Control message (model promote/rollback, snapshot request).</summary>
    Control = 4,
    /// <summary>
    /// The engine put a model in force from the record's sequence on (payload: <see cref="ModelSwapRecord"/>); written
    /// at start-up, and for every swap the learner put into the input sequence at the place it took effect, so a replay
    /// swaps at the same point (and can check it scores with the same model).
    /// </summary>
    ModelSwap = 16,
    /// <summary>A snapshot of engine state was written covering every record before the record's sequence (payload: the file name, UTF-8).</summary>
    Snapshot = 17,
}
