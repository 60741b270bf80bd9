namespace LowLatency.Models.Training;

/// <summary>Knobs of <see cref="GradientBoostingTrainer"/>, with defaults for a small ensemble over a few hundred thousand rows.</summary>
public sealed record GradientBoostingOptions
{
    /// <summary>Boosting rounds, one tree each (default 40).</summary>
    public int Trees { get; init; } = 40;

    /// <summary>Splits on the longest root-to-leaf path (default 4: at most 16 leaves per tree).</summary>
    public int MaxDepth { get; init; } = 4;

    /// <summary>Shrinkage applied to every leaf (default 0.2).</summary>
    public double LearningRate { get; init; } = 0.2;

    /// <summary>Value bins per feature, cut at quantiles of the data; 2 to 255 (default 32). NaN gets a bin of its own.</summary>
    public int Bins { get; init; } = 32;

    /// <summary>L2 penalty λ on leaf values: a leaf is −G / (H + λ) (default 1).</summary>
    public double L2 { get; init; } = 1.0;

    /// <summary>Least hessian (p(1 − p) summed over rows) each side of a split must keep (default 1).</summary>
    public double MinChildHessian { get; init; } = 1.0;

    /// <summary>Share of rows each tree is grown on, drawn by <see cref="Seed"/> (default 0.5, in (0, 1]).</summary>
    public double RowSubsample { get; init; } = 0.5;

    /// <summary>Seed of the row sampling: same rows, same options, same seed → the same ensemble bit for bit (default 1).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        if (Trees is < 1 or > 10_000)
        {
            throw new ArgumentException($"Trees must be 1..10,000; got {Trees}.");
        }

        if (MaxDepth is < 1 or > 12)
        {
            throw new ArgumentException($"MaxDepth must be 1..12; got {MaxDepth}.");
        }

        if (!(LearningRate > 0 && LearningRate <= 1))
        {
            throw new ArgumentException($"LearningRate must be in (0, 1]; got {LearningRate}.");
        }

        if (Bins is < 2 or > 255)
        {
            throw new ArgumentException($"Bins must be 2..255; got {Bins}.");
        }

        if (!(L2 >= 0) || !double.IsFinite(L2) || !(MinChildHessian >= 0) || !double.IsFinite(MinChildHessian))
        {
            throw new ArgumentException($"L2 and MinChildHessian must be finite and >= 0; got {L2} and {MinChildHessian}.");
        }

        if (!(RowSubsample > 0 && RowSubsample <= 1))
        {
            throw new ArgumentException($"RowSubsample must be in (0, 1]; got {RowSubsample}.");
        }
    }
}
