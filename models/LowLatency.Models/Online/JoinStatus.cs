namespace LowLatency.Models.Online;

/// <summary>What <see cref="LabelJoinStore.TryJoin"/> did with a label.</summary>
public enum JoinStatus : byte
{
    /// <summary>The label met its decision's logged features: learn from it.</summary>
    Joined = 0,

    /// <summary>No decision with this txId was ever held (or it left so long ago that even its eviction is forgotten).</summary>
    UnknownTx = 1,

    /// <summary>The decision was held but evicted (capacity or retention) before the label came.</summary>
    EvictedTx = 2,

    /// <summary>A label for this txId was already joined; the second one is not learned.</summary>
    DuplicateLabel = 3,

    /// <summary>The label's time is before the decision's: impossible for a genuine label, so it is not learned.</summary>
    LabelBeforeDecision = 4,
}
