namespace LowLatency.Engine.Features;

/// <summary>One aggregate of one (entity, window), as declared in the spec.</summary>
public sealed record AggregateSpec
{
    /// <summary>What is computed.</summary>
    public required AggregateKind Kind { get; init; }
    /// <summary>Numeric field for sum/mean/std/min/max/zscore, key field for distinct; null for count.</summary>
    public string? Field { get; init; }
    /// <summary>Feature name in the model's layout; defaults to <c>{entity}_{window}_{kind}[_{field}]</c>.</summary>
    public required string Name { get; init; }
    /// <summary>Distinct only: how many values the exact set tracks before it saturates.</summary>
    public int MaxTracked { get; init; }
}
