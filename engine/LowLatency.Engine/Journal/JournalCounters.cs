namespace LowLatency.Engine.Journal;

/// <summary>What the journal handler could not journal (each field written by the journal thread only).</summary>
public sealed class JournalCounters
{
    /// <summary>Slots with no accepted message (decode rejects).</summary>
    public long Skipped;

    /// <summary>Messages the encoder could not encode (a bug or a slot outside the schema's ranges).</summary>
    public long EncodeFailures;
}
