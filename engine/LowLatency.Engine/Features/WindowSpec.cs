namespace LowLatency.Engine.Features;

/// <summary>A sliding event-time window of an entity: <see cref="LengthNs"/> covered by <c>LengthNs / BucketNs</c> fixed buckets.</summary>
public sealed record WindowSpec
{
    /// <summary>Short name used in feature names, e.g. <c>24h</c>.</summary>
    public required string Name { get; init; }
    /// <summary>Window length in nanoseconds.</summary>
    public required long LengthNs { get; init; }
    /// <summary>Bucket resolution in nanoseconds; <see cref="LengthNs"/> is a multiple of it.</summary>
    public required long BucketNs { get; init; }
    /// <summary>Aggregates in output order.</summary>
    public required IReadOnlyList<AggregateSpec> Aggregates { get; init; }
    /// <summary>Number of buckets in the ring.</summary>
    public int Buckets => (int)(LengthNs / BucketNs);
}
