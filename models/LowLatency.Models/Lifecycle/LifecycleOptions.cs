using LowLatency.Models.Online;

namespace LowLatency.Models.Lifecycle;

/// <summary>Policy of <see cref="ChampionChallenger"/>; all counts are in labels, all in event time.</summary>
public sealed record LifecycleOptions
{
    /// <summary>Dense features per example.</summary>
    public int DenseCount { get; init; }

    /// <summary>The challenger's FTRL hyper-parameters.</summary>
    public FtrlOptions Ftrl { get; init; } = new();

    /// <summary>Prequential window per model (default 5000 labels).</summary>
    public int Window { get; init; } = 5000;

    /// <summary>Labels both models must be scored on before a promotion or rollback is judged (default 2000).</summary>
    public int MinLabels { get; init; } = 2000;

    /// <summary>How often the promotion and rollback rules are evaluated (default every 500 labels).</summary>
    public int CheckEvery { get; init; } = 500;

    /// <summary>Windowed AUC by which a challenger must beat the champion to be promoted (default 0.005).</summary>
    public double PromotionMargin { get; init; } = 0.005;

    /// <summary>Windowed AUC by which a champion on probation must fall behind the last proven one to be rolled back (default 0.01).</summary>
    public double RollbackMargin { get; init; } = 0.01;

    /// <summary>Probation after a promotion, during which the last proven champion is shadow-scored for a rollback (default 10000).</summary>
    public int RollbackWatch { get; init; } = 10_000;

    /// <summary>Absolute feature value beyond which an example is quarantined as garbage (default 1e6); ±∞ always is.</summary>
    public float QuarantineBound { get; init; } = 1e6f;

    /// <summary>Labels in the rate-spike window (default 1000).</summary>
    public int SpikeWindow { get; init; } = 1000;

    /// <summary>A spike is a recent positive rate above this multiple of the long-run rate (default 4)...</summary>
    public double SpikeFactor { get; init; } = 4;

    /// <summary>... and above the long-run rate by at least this much (default 0.05).</summary>
    public double SpikeMinExcess { get; init; } = 0.05;

    /// <summary>Page-Hinkley δ on the champion's per-label log loss (default 0.05).</summary>
    public double DriftDelta { get; init; } = 0.05;

    /// <summary>Page-Hinkley λ (default 200).</summary>
    public double DriftLambda { get; init; } = 200;

    /// <summary>Examples forming the PSI reference window: the first ones learned (default 5000).</summary>
    public int PsiReference { get; init; } = 5000;

    /// <summary>Recent examples compared with the reference (default 5000).</summary>
    public int PsiWindow { get; init; } = 5000;

    /// <summary>Quantile bins per feature (default 10).</summary>
    public int PsiBins { get; init; } = 10;

    /// <summary>PSI above which a feature has drifted (default 0.25, the usual "major shift").</summary>
    public double PsiThreshold { get; init; } = 0.25;

    /// <summary>
    /// Live decisions remembered with the challenger's shadow score (default 262,144, as many as the engine's join store
    /// holds), so that a label arriving later judges the score the challenger gave at decision time; 0 turns shadow
    /// scoring off.
    /// </summary>
    public int ShadowCapacity { get; init; } = 1 << 18;

    /// <summary>Label guards (quarantine, spike detection). Off only to prove in tests that they matter.</summary>
    public bool Guards { get; init; } = true;

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        Ftrl.Validate();
        if (DenseCount < 0 || ShadowCapacity is < 0 or > 1 << 26 || Window < 2 || MinLabels < 1 || MinLabels > Window || CheckEvery < 1 || RollbackWatch < MinLabels
            || !(PromotionMargin >= 0) || !(RollbackMargin >= 0) || !(QuarantineBound > 0) || SpikeWindow < 10
            || !(SpikeFactor > 1) || !(SpikeMinExcess >= 0) || !(DriftDelta >= 0) || !(DriftLambda > 0)
            || PsiReference < PsiBins || PsiWindow < 1 || PsiBins is < 2 or > 1000 || !(PsiThreshold > 0))
        {
            throw new ArgumentException($"Invalid lifecycle options: {this}.");
        }
    }
}
