namespace LowLatency.Engine.Learning;

/// <summary>What became of a label on the scoring thread.</summary>
public enum LabelOutcome : byte
{
    /// <summary>Joined with its decision and queued for the learner.</summary>
    Queued = 0,

    /// <summary>No decision held for it (unknown, evicted, already labelled, or labelled before it was decided): counted, not learned.</summary>
    Unmatched = 1,

    /// <summary>Joined, but the learner was a whole queue behind: dropped and counted, so scoring never waits.</summary>
    Dropped = 2,
}
