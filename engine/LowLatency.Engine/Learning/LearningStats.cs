namespace LowLatency.Engine.Learning;

/// <summary>A point-in-time view of a pipeline's learning, for dashboards and reports (approximate while running).</summary>
/// <param name="DecisionsLogged">Decisions logged in the label-join store.</param>
/// <param name="Learned">Labelled examples the challenger learned from.</param>
/// <param name="QueuedNow">Joined examples waiting for the learner thread.</param>
/// <param name="QuarantinedFeatures">Examples quarantined for garbage feature values.</param>
/// <param name="QuarantinedSpike">Labels held back during a label-rate spike.</param>
/// <param name="ChampionVersion">The version the learner holds as champion.</param>
/// <param name="ChampionAuc">The champion's windowed prequential AUC (NaN before both classes were seen).</param>
/// <param name="ChallengerAuc">The challenger's windowed prequential AUC on the same labels.</param>
public readonly record struct LearningStats(
    long DecisionsLogged, long Learned, long QueuedNow, long QuarantinedFeatures, long QuarantinedSpike, uint ChampionVersion, double ChampionAuc, double ChallengerAuc)
{
    /// <summary>Live decisions the challenger scored in shadow.</summary>
    public long ShadowScored { get; init; }

    /// <summary>Labels whose decision had been shadow-scored, judging the decision-time scores of champion and challenger.</summary>
    public long LiveJudged { get; init; }

    /// <summary>Live decisions not shadow-scored because the learner was behind (the queue was half full).</summary>
    public long ShadowSkipped { get; init; }

    /// <summary>The champion's windowed AUC on the scores it gave live, at decision time (NaN before both classes were seen).</summary>
    public double LiveChampionAuc { get; init; } = double.NaN;

    /// <summary>The challenger's windowed AUC on its shadow scores of the same live decisions.</summary>
    public double LiveChallengerAuc { get; init; } = double.NaN;
}
