using System.Runtime.InteropServices;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// Counters of the processing thread. Each field has exactly one writer (the thread that owns the
/// stage), which increments it as a plain field: no interlocked op on the hot path. A monitor thread
/// reads them through <see cref="Snapshot"/>; on x64 an aligned 8-byte read never tears, and a value
/// a few events stale is fine for a dashboard. The block starts and ends with 128 bytes of padding so
/// no other object's hot fields share its cache lines.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128 + (17 * 8) + 128)]
public struct PipelineCounters
{
    [FieldOffset(128 + (0 * 8))] internal long TransactionsIn;
    [FieldOffset(128 + (1 * 8))] internal long LabelsIn;
    [FieldOffset(128 + (2 * 8))] internal long OrdersIn;
    [FieldOffset(128 + (3 * 8))] internal long ControlsIn;
    [FieldOffset(128 + (4 * 8))] internal long Rejected;
    [FieldOffset(128 + (5 * 8))] internal long Approved;
    [FieldOffset(128 + (6 * 8))] internal long Reviewed;
    [FieldOffset(128 + (7 * 8))] internal long Declined;
    [FieldOffset(128 + (8 * 8))] internal long DecisionsPublished;
    [FieldOffset(128 + (9 * 8))] internal long PublishBackPressured;
    [FieldOffset(128 + (10 * 8))] internal long LabelsUnmatched;
    [FieldOffset(128 + (11 * 8))] internal long LateEvents;
    [FieldOffset(128 + (12 * 8))] internal long LabelsJoined;
    [FieldOffset(128 + (13 * 8))] internal long LabelsDropped;
    [FieldOffset(128 + (14 * 8))] internal long ModelSwaps;
    [FieldOffset(128 + (15 * 8))] internal long SwapsRefused;
    [FieldOffset(128 + (16 * 8))] internal long ScoredInGroups;

    /// <summary>Copies the counters for a reader on another thread (each field read once, no ordering between fields).</summary>
    public readonly PipelineStats Snapshot() => new(
        Volatile.Read(in TransactionsIn), Volatile.Read(in LabelsIn), Volatile.Read(in OrdersIn), Volatile.Read(in ControlsIn),
        Volatile.Read(in Rejected), Volatile.Read(in Approved), Volatile.Read(in Reviewed), Volatile.Read(in Declined),
        Volatile.Read(in DecisionsPublished), Volatile.Read(in PublishBackPressured), Volatile.Read(in LabelsUnmatched),
        Volatile.Read(in LateEvents), Volatile.Read(in LabelsJoined), Volatile.Read(in LabelsDropped), Volatile.Read(in ModelSwaps),
        Volatile.Read(in SwapsRefused), Volatile.Read(in ScoredInGroups));
}

/// <summary>A point-in-time copy of <see cref="PipelineCounters"/>.</summary>
/// <param name="TransactionsIn">Transactions that entered processing.</param>
/// <param name="LabelsIn">Labels received.</param>
/// <param name="OrdersIn">Orders received.</param>
/// <param name="ControlsIn">Control messages received.</param>
/// <param name="Rejected">Messages rejected by validation (any kind).</param>
/// <param name="Approved">Approve decisions.</param>
/// <param name="Reviewed">Review decisions.</param>
/// <param name="Declined">Decline decisions.</param>
/// <param name="DecisionsPublished">Decisions handed to the output.</param>
/// <param name="PublishBackPressured">Times the output pushed back (the decision was retried, not lost).</param>
/// <param name="LabelsUnmatched">Labels that met no logged decision (unknown, evicted or expired transaction, a second label, a label before its decision); with learning off, every label.</param>
/// <param name="LateEvents">Events older than the feature spec's allowed lateness: decided on the features as they stood, state not updated.</param>
/// <param name="LabelsJoined">Labels joined with their decision and queued for the learner.</param>
/// <param name="LabelsDropped">Joined labels dropped because the learner was a whole queue behind (scoring never waits for it).</param>
/// <param name="ModelSwaps">Model swaps put in force (learner promotions and rollbacks, journaled swaps on replay, Promote/Rollback controls).</param>
/// <param name="ScoredInGroups">Events whose trees were scored in a group of at least eight across events (<see cref="PipelineOptions.ScoreInGroups"/>).</param>
/// <param name="SwapsRefused">Swaps not put in force: the version is unknown here, or (for journaled swaps) its fingerprint differs from the model this pipeline has under that version, as in a what-if replay.</param>
public readonly record struct PipelineStats(
    long TransactionsIn, long LabelsIn, long OrdersIn, long ControlsIn, long Rejected,
    long Approved, long Reviewed, long Declined, long DecisionsPublished, long PublishBackPressured, long LabelsUnmatched,
    long LateEvents, long LabelsJoined, long LabelsDropped, long ModelSwaps, long SwapsRefused, long ScoredInGroups);
