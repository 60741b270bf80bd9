using LowLatency.Models.Lifecycle;
using LowLatency.Models.Online;

namespace LowLatency.Engine.Learning;

/// <summary>
/// Continual learning in a pipeline, with documented defaults: where decisions wait for their labels, how examples
/// reach the learner thread, where versions go, and the champion/challenger policy.
/// </summary>
public sealed record LearningOptions
{
    /// <summary>Directory of the version store (required; must hold no versions yet: a run's versions are its own).</summary>
    public string VersionDirectory { get; init; } = string.Empty;

    /// <summary>Decisions kept for their labels, on the scoring thread (default 262,144); the oldest leave when full.</summary>
    public int JoinCapacity { get; init; } = 1 << 18;

    /// <summary>How long a decision waits for its label, in event time (default 1 day).</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Score every live decision in shadow with the challenger on the learner thread (default true): decisions share the
    /// example queue with labels, taking at most half of it, so under load some are skipped (counted) but labels are not.
    /// Each label then also judges the scores champion and challenger gave at decision time; the shadow scores of the last
    /// <see cref="JoinCapacity"/> decisions are remembered for that.
    /// </summary>
    public bool ShadowScoring { get; init; } = true;

    /// <summary>Joined examples the learner may fall behind by (a power of two, default 16,384); beyond, examples are dropped and counted.</summary>
    public int QueueCapacity { get; init; } = 1 << 14;

    /// <summary>
    /// Promotion, rollback, guard and drift policy (its <see cref="LifecycleOptions.DenseCount"/> is set from the feature
    /// spec). Defaults as <see cref="LifecycleOptions"/>.
    /// </summary>
    public LifecycleOptions Lifecycle { get; init; } = new();

    /// <summary>How the challenger's trees are refit (default <see cref="ChampionLearnerOptions"/>).</summary>
    public ChampionLearnerOptions Learner { get; init; } = new();

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(VersionDirectory))
        {
            throw new ArgumentException("VersionDirectory must name the directory model versions are written to.");
        }

        if (JoinCapacity is < 1 or > 1 << 26)
        {
            throw new ArgumentException($"JoinCapacity must be 1..67,108,864; got {JoinCapacity}.");
        }

        if (Retention <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Retention must be positive; got {Retention}.");
        }

        if (QueueCapacity < 2 || (QueueCapacity & (QueueCapacity - 1)) != 0)
        {
            throw new ArgumentException($"QueueCapacity must be a power of two of at least 2; got {QueueCapacity}.");
        }

        Learner.Validate();
    }
}
