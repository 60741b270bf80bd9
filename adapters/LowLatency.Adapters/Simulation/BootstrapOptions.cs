using LowLatency.Models.Champion;
using LowLatency.Models.Online;
using LowLatency.Models.Training;

namespace LowLatency.Adapters.Simulation;

/// <summary>Which parts the bootstrap champion has and how their margins combine.</summary>
public enum BootstrapCombination
{
    /// <summary>The logistic regression alone.</summary>
    Logistic,

    /// <summary>The tree ensemble alone.</summary>
    Trees,

    /// <summary>(1 − w)·logistic margin + w·tree margin, w = <see cref="BootstrapOptions.TreeWeight"/> (the default).</summary>
    Blend,

    /// <summary>The larger of the two margins: the more alarmed model decides (and gives the reason codes).</summary>
    Max,
}

/// <summary>How <see cref="HistoryTrainer"/> builds the starting champion, with documented defaults.</summary>
public sealed record BootstrapOptions
{
    /// <summary>Parts and combination (default <see cref="BootstrapCombination.Blend"/>).</summary>
    public BootstrapCombination Combination { get; init; } = BootstrapCombination.Blend;

    /// <summary>Weight w of the tree margin in a blend, in [0, 1]; the logistic margin gets 1 − w (default 0.5: the mean of the two margins).</summary>
    public float TreeWeight { get; init; } = 0.5f;

    /// <summary>The logistic part's FTRL learner (default: 2^16 hashed-key weights, the learner's own defaults otherwise).</summary>
    public FtrlOptions Logistic { get; init; } = new() { HashBits = 16 };

    /// <summary>Passes of FTRL over the history (default 3).</summary>
    public int LogisticEpochs { get; init; } = 3;

    /// <summary>The tree part's gradient boosting (default 40 trees of depth 4).</summary>
    public GradientBoostingOptions Trees { get; init; } = new();

    /// <summary>Share of the history's events sent to review or declined by the calibrated thresholds (default 0.02).</summary>
    public double ReviewRate { get; init; } = 0.02;

    /// <summary>Share declined (default 0.005).</summary>
    public double DeclineRate { get; init; } = 0.005;

    /// <summary>
    /// A ready model (loaded from a file) to use instead of training one: its feature layout must match the spec; the
    /// history then only warms the feature windows and calibrates the thresholds on its scores. Null: train.
    /// </summary>
    public ChampionModel? Model { get; init; }

    /// <summary>Where <see cref="Model"/> came from (reported as the serving model's origin).</summary>
    public string ModelOrigin { get; init; } = string.Empty;

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Combination))
        {
            throw new ArgumentException($"Combination {Combination} is not one of logistic, trees, blend, max.");
        }

        if (!(TreeWeight >= 0 && TreeWeight <= 1))
        {
            throw new ArgumentException($"TreeWeight must be in [0, 1]; got {TreeWeight}.");
        }

        if (LogisticEpochs < 1)
        {
            throw new ArgumentException($"LogisticEpochs must be at least 1; got {LogisticEpochs}.");
        }

        if (!(DeclineRate > 0 && DeclineRate <= ReviewRate && ReviewRate < 1))
        {
            throw new ArgumentException($"Need 0 < DeclineRate <= ReviewRate < 1; got {DeclineRate} and {ReviewRate}.");
        }

        Logistic.Validate();
        Trees.Validate();
    }
}
