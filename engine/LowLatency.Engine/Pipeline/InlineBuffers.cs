using System.Runtime.CompilerServices;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// The feature vector stored inline in a ring slot, so computing features never touches the heap.
/// <see cref="Capacity"/> bounds the dense features a spec may declare.
/// </summary>
[InlineArray(Capacity)]
public struct FeatureBuffer
{
    /// <summary>Most dense features a slot carries.</summary>
    public const int Capacity = 128;

    private float _element0;
}

/// <summary>One reason code: a feature index and its contribution to the margin.</summary>
public struct ReasonCode
{
    /// <summary>Index of the feature in the spec's layout.</summary>
    public ushort FeatureId;
    /// <summary>Its additive contribution to the model margin.</summary>
    public float Contribution;
}

/// <summary>The top reason codes of a decision, inline in the slot.</summary>
[InlineArray(Capacity)]
public struct ReasonBuffer
{
    /// <summary>Most reason codes a decision carries.</summary>
    public const int Capacity = 4;

    private ReasonCode _element0;
}
