namespace LowLatency.Engine.Features;

/// <summary>An entity type keyed by one u64 field of the message, with its windows and entity-level features.</summary>
public sealed record EntitySpec
{
    /// <summary>Entity name used in feature names, e.g. <c>card</c>.</summary>
    public required string Name { get; init; }
    /// <summary>Key field of the message, e.g. <c>card</c>. A key of 0 means unknown: the entity is skipped and its features are the empty values.</summary>
    public required string Key { get; init; }
    /// <summary>Hash table capacity: entities it holds at most (exactly; not rounded).</summary>
    public required int Capacity { get; init; }
    /// <summary>Idle time (event time) after which an entity is forgotten.</summary>
    public required long TtlNs { get; init; }
    /// <summary>Windows in output order.</summary>
    public required IReadOnlyList<WindowSpec> Windows { get; init; }
    /// <summary>Entity-level features (time since last, velocity), emitted after the windows' features.</summary>
    public required IReadOnlyList<AggregateSpec> EntityFeatures { get; init; }
}
