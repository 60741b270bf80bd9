namespace LowLatency.Engine.Pipeline;

/// <summary>What an inbound ring slot holds.</summary>
public enum MessageKind : byte
{
    /// <summary>Nothing (a slot not yet written).</summary>
    None = 0,
    /// <summary>A payment to score.</summary>
    Transaction = 1,
    /// <summary>A delayed label.</summary>
    Label = 2,
    /// <summary>A trading order.</summary>
    Order = 3,
    /// <summary>A control command.</summary>
    Control = 4,
    /// <summary>
    /// The engine's own model swap: put version <see cref="Events.ControlMessage.ModelVersion"/> in force from this slot on, if
    /// its fingerprint is <see cref="Events.ControlMessage.RequestId"/>. Published by the learner thread (or a replay of a
    /// journaled swap) into the input sequence, and journaled as a model-swap record.
    /// </summary>
    ModelSwap = 5,
}
