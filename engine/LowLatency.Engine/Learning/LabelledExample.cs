using LowLatency.Engine.Pipeline;

namespace LowLatency.Engine.Learning;

/// <summary>
/// One label joined on the scoring thread with what the engine saw at decision time, copied into an
/// <see cref="ExampleQueue"/> slot for the learner thread: inline buffers, no references.
/// </summary>
public struct LabelledExample
{
    /// <summary>The labelled transaction.</summary>
    public ulong TxId;
    /// <summary>Event time of the label.</summary>
    public long LabelTimeNs;
    /// <summary>True for fraud, false for a confirmed genuine transaction.</summary>
    public bool Fraud;
    /// <summary>Dense features used (first entries of <see cref="Dense"/>).</summary>
    public byte DenseCount;
    /// <summary>Sparse keys used (first entries of <see cref="Keys"/>).</summary>
    public byte KeyCount;
    /// <summary>The features logged at decision time.</summary>
    public FeatureBuffer Dense;
    /// <summary>The hashed keys logged at decision time.</summary>
    public SparseKeyBuffer Keys;
}
