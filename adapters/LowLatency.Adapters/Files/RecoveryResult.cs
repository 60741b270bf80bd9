namespace LowLatency.Adapters.Files;

/// <summary>What a recovery did.</summary>
/// <param name="Snapshot">The snapshot file started from (null: none usable, the whole journal was replayed).</param>
/// <param name="SnapshotSequence">Journal sequence the snapshot covers up to (exclusive); 0 without one.</param>
/// <param name="TailMessages">Journal messages replayed on top of the snapshot.</param>
/// <param name="NextSequence">Sequence the resumed run continues from (= input messages already consumed).</param>
/// <param name="RejectedSnapshots">Newer snapshots skipped (ahead of the journal, or failing their checksum), with why.</param>
public sealed record RecoveryResult(string? Snapshot, long SnapshotSequence, long TailMessages, long NextSequence, IReadOnlyList<string> RejectedSnapshots);
