using LowLatency.Adapters.Simulation;
using LowLatency.Models.Online;

namespace LowLatency.Adapters.Learning;

/// <summary>Setup of <see cref="LearningEvaluation"/>: one seeded simulator run, three ways of keeping a model current.</summary>
public sealed record LearningEvaluationOptions
{
    /// <summary>The simulated stream (default: seed 42, 50,000 cards, 5,000 merchants; drift at 90 sim-minutes).</summary>
    public SimulatorOptions Simulator { get; init; } = new() { Seed = 42, Cards = 50_000, Merchants = 5_000 };

    /// <summary>Stream time simulated (default 240 minutes: 150 minutes after the drift for the new pattern to matter).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(240);

    /// <summary>History every strategy is first trained on, with full ground truth (default the first 60 minutes).</summary>
    public TimeSpan Bootstrap { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>The stateless baseline is retrained from scratch this often (default every 30 minutes).</summary>
    public TimeSpan RetrainEvery { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>... on the labelled examples of this trailing window (default 60 minutes).</summary>
    public TimeSpan RetrainWindow { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Passes over the window per retrain (default 3: a small window needs more than one pass).</summary>
    public int RetrainEpochs { get; init; } = 3;

    /// <summary>Passes over the bootstrap history (default 1: the bootstrap is already large).</summary>
    public int BootstrapEpochs { get; init; } = 1;

    /// <summary>Width of the AUC-over-time buckets (default 10 minutes).</summary>
    public TimeSpan Bucket { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The rest of the model family every strategy learns (default: an adaptive Hoeffding tree,
    /// <see cref="ChampionLearnerOptions.FraudOnlineTree"/>, its margin × 0.5 added to FTRL's). The retrain baseline grows
    /// its tree from scratch on its window like its FTRL part; <c>new ChampionLearnerOptions()</c> compares FTRL alone.
    /// </summary>
    public ChampionLearnerOptions Learner { get; init; } = new() { OnlineTree = ChampionLearnerOptions.FraudOnlineTree };

    /// <summary>FTRL settings shared by every strategy (α = 0.5 suits the standardised features).</summary>
    public FtrlOptions Ftrl { get; init; } = new() { HashBits = 16, Alpha = 0.5, L1 = 0.01, L2 = 1.0 };
}
