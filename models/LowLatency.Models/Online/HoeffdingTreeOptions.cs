namespace LowLatency.Models.Online;

/// <summary>Knobs of <see cref="HoeffdingTree"/> (VFDT, Domingos &amp; Hulten 2000, with Gaussian numeric observers).</summary>
public sealed record HoeffdingTreeOptions
{
    /// <summary>Examples a leaf sees between split attempts (grace period, default 200).</summary>
    public int GracePeriod { get; init; } = 200;

    /// <summary>1 − confidence of the Hoeffding bound (default 1e-6).</summary>
    public double Delta { get; init; } = 1e-6;

    /// <summary>Tie threshold τ: split anyway when the bound shrinks below it (default 0.05).</summary>
    public double TieThreshold { get; init; } = 0.05;

    /// <summary>Candidate thresholds evaluated per feature between its observed min and max (default 16).</summary>
    public int SplitCandidates { get; init; } = 16;

    /// <summary>Most nodes the tree may grow to (default 4095); the arrays are allocated once at this size.</summary>
    public int MaxNodes { get; init; } = 4095;

    /// <summary>Deepest a leaf may sit (default 20).</summary>
    public int MaxDepth { get; init; } = 20;

    /// <summary>Laplace prior added to each class count at a leaf when predicting (default 1).</summary>
    public double LeafPrior { get; init; } = 1.0;

    /// <summary>
    /// Drift-aware alternate subtrees (default false = plain VFDT): every internal node runs a Page-Hinkley
    /// test on the absolute error |y − p| of the examples passing through it; on an alarm it grows an
    /// alternate subtree from a fresh leaf on the same examples, and after <see cref="AlternateTrial"/>
    /// examples the alternate replaces the node's subtree if its error was lower, else it is dropped.
    /// </summary>
    public bool Adaptive { get; init; }

    /// <summary>Page-Hinkley δ for the node error monitors (default 0.005).</summary>
    public double DriftDelta { get; init; } = 0.005;

    /// <summary>Page-Hinkley λ for the node error monitors (default 30).</summary>
    public double DriftLambda { get; init; } = 30;

    /// <summary>Examples an alternate subtree competes on before the swap decision (default 1000).</summary>
    public int AlternateTrial { get; init; } = 1000;

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        if (GracePeriod < 1 || !(Delta is > 0 and < 1) || !(TieThreshold >= 0) || SplitCandidates is < 1 or > 1024
            || MaxNodes is < 1 or > 1 << 22 || MaxDepth is < 0 or > 64 || !(LeafPrior > 0)
            || !(DriftDelta >= 0) || !(DriftLambda > 0) || AlternateTrial < 1)
        {
            throw new ArgumentException($"Invalid Hoeffding tree options: {this}.");
        }
    }
}
