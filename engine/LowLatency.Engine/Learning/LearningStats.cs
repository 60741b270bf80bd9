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
    long DecisionsLogged, long Learned, long QueuedNow, long QuarantinedFeatures, long QuarantinedSpike, uint ChampionVersion, double ChampionAuc, double ChallengerAuc);
