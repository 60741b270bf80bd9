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

/// <summary>
/// The hashed categorical keys of an event (merchant, MCC, country, ...; see <see cref="SparseKeys"/>), inline in the
/// slot beside the dense features: the logistic part of the champion looks each one up in its weight table.
/// </summary>
[InlineArray(Capacity)]
public struct SparseKeyBuffer
{
    /// <summary>Most keys a slot carries.</summary>
    public const int Capacity = 8;

    private ulong _element0;
}

/// <summary>One reason code: a feature index and its contribution to the margin.</summary>
public struct ReasonCode
{
    /// <summary>Index of the feature in the spec's layout; the dense count plus k for the event's k-th sparse key.</summary>
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
