using System.Runtime.InteropServices;
using LowLatency.Engine.Events;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// One preallocated inbound ring slot. The receiver writes the message, each stage adds its part
/// (features, score, decision) in place, and the output stage reads it; nothing is copied between
/// stages and nothing is allocated. Unmanaged, so a ring of them can live in pinned or native memory.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct PipelineSlot
{
    /// <summary>What <see cref="Transaction"/> / <see cref="Label"/> / <see cref="Order"/> holds.</summary>
    public MessageKind Kind;
    /// <summary>Set when a stage rejected the message (see <see cref="RejectReason"/>); later stages skip it.</summary>
    public bool Rejected;
    /// <summary>Why the message was rejected, when it was.</summary>
    public PipelineReject RejectReason;
    /// <summary>Engine clock (Stopwatch ticks) when the message was due or received; latency is measured from here.</summary>
    public long IngestTicks;
    /// <summary>The payment (when <see cref="Kind"/> is Transaction).</summary>
    public Transaction Transaction;
    /// <summary>The label (when <see cref="Kind"/> is Label).</summary>
    public Label Label;
    /// <summary>The order (when <see cref="Kind"/> is Order).</summary>
    public Order Order;
    /// <summary>The control command (when <see cref="Kind"/> is Control).</summary>
    public ControlMessage Control;
    /// <summary>Features as of just before this event, written by the feature stage.</summary>
    public FeatureBuffer Features;
    /// <summary>Number of valid entries in <see cref="Keys"/>.</summary>
    public byte KeyCount;
    /// <summary>The event's hashed categorical keys, written by the feature stage.</summary>
    public SparseKeyBuffer Keys;
    /// <summary>The decision: score, version and outcome written by the scoring stage, the transaction id by the decide stage.</summary>
    public Decision Decision;
    /// <summary>Number of valid entries in <see cref="Reasons"/>.</summary>
    public byte ReasonCount;
    /// <summary>Top contributions behind the score.</summary>
    public ReasonBuffer Reasons;
}

/// <summary>Why the pipeline refused an inbound message.</summary>
public enum PipelineReject : byte
{
    /// <summary>Not rejected.</summary>
    None = 0,
    /// <summary>Event time implausibly far ahead of the stream.</summary>
    EventTimeInFuture = 1,
    /// <summary>A numeric field was NaN, infinite or out of its range.</summary>
    InvalidField = 2,
    /// <summary>A message kind this pipeline does not process.</summary>
    UnsupportedKind = 3,
}
