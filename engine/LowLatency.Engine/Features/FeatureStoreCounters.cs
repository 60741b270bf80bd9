namespace LowLatency.Engine.Features;

/// <summary>What a <see cref="FeatureStore"/> has done so far. A copy; the store's own fields are plain, owned by its thread.</summary>
public struct FeatureStoreCounters
{
    /// <summary>Events handed to Process.</summary>
    public long Events;
    /// <summary>Events that updated state.</summary>
    public long Accepted;
    /// <summary>Events older than watermark minus lateness: features read, state not updated.</summary>
    public long LateDropped;
    /// <summary>Events too far ahead of the watermark, rejected as bad input.</summary>
    public long FutureRejected;
    /// <summary>Events with a non-positive event time, rejected as bad input.</summary>
    public long InvalidTimeRejected;
    /// <summary>Entities created.</summary>
    public long Inserted;
    /// <summary>Idle entities forgotten because their last event was more than the TTL behind the watermark.</summary>
    public long EvictedTtl;
    /// <summary>Live entities evicted because their probe window was full (the stalest one goes).</summary>
    public long EvictedFull;
}
