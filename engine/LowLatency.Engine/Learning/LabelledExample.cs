using LowLatency.Engine.Pipeline;

namespace LowLatency.Engine.Learning;

/// <summary>
/// What the scoring thread hands the learner thread through an <see cref="ExampleQueue"/> slot, inline buffers and no
/// references: a label joined with what the engine saw at decision time (<see cref="ExampleKind.Label"/>), or a live
/// decision for the challenger to score in shadow (<see cref="ExampleKind.Decision"/>).
/// </summary>
public struct LabelledExample
{
    /// <summary>A label to learn, or a decision to shadow-score.</summary>
    public ExampleKind Kind;
    /// <summary>The labelled (or decided) transaction.</summary>
    public ulong TxId;
    /// <summary>Event time of the label (of the decision, for <see cref="ExampleKind.Decision"/>).</summary>
    public long LabelTimeNs;
    /// <summary>True for fraud, false for a confirmed genuine transaction (labels only).</summary>
    public bool Fraud;
    /// <summary>The champion's score at decision time (decisions only).</summary>
    public float Score;
    /// <summary>Dense features used (first entries of <see cref="Dense"/>).</summary>
    public byte DenseCount;
    /// <summary>Sparse keys used (first entries of <see cref="Keys"/>).</summary>
    public byte KeyCount;
    /// <summary>The features logged at decision time.</summary>
    public FeatureBuffer Dense;
    /// <summary>The hashed keys logged at decision time.</summary>
    public SparseKeyBuffer Keys;
}

/// <summary>What an <see cref="ExampleQueue"/> slot carries.</summary>
public enum ExampleKind : byte
{
    /// <summary>A joined label: learned by the challenger.</summary>
    Label,

    /// <summary>A live decision: scored by the challenger in shadow, not learned.</summary>
    Decision,

    /// <summary>An operator's command put the version in <see cref="LabelledExample.TxId"/> in force: the learner adopts it.</summary>
    Command,

    /// <summary>An operator's hold: the learner stops promoting and rolling back on its own.</summary>
    Hold,

    /// <summary>An operator's release of a hold.</summary>
    Release,
}
