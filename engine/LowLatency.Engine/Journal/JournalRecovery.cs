namespace LowLatency.Engine.Journal;

/// <summary>What opening a journal for append found and repaired.</summary>
/// <param name="Segments">Segment files present after opening.</param>
/// <param name="TailSegment">Index of the segment appends continue in.</param>
/// <param name="TailOffset">Byte offset in that segment where the next record goes.</param>
/// <param name="RecordsInTail">Valid records found in the tail segment.</param>
/// <param name="NextSequence">The sequence the next inbound record gets.</param>
/// <param name="TruncatedBytes">Bytes of a torn or corrupt tail that were zeroed (0 after a clean shutdown).</param>
/// <param name="TruncationReason">Why the tail was cut (null when nothing was).</param>
public sealed record JournalRecovery(int Segments, long TailSegment, long TailOffset, long RecordsInTail, long NextSequence, long TruncatedBytes, string? TruncationReason);
