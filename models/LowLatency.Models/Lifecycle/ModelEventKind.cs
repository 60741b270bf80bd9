namespace LowLatency.Models.Lifecycle;

/// <summary>Lifecycle transitions of <see cref="ChampionChallenger"/>.</summary>
public enum ModelEventKind : byte
{
    /// <summary>The first champion was installed.</summary>
    Installed = 0,

    /// <summary>A challenger beat the champion by the margin and replaced it.</summary>
    Promoted = 1,

    /// <summary>The champion degraded against its predecessor and was replaced by it.</summary>
    RolledBack = 2,

    /// <summary>The positive-label rate spiked: labels are quarantined and the challenger reverted.</summary>
    LabelSpikeStarted = 3,

    /// <summary>The label rate returned to normal; learning resumes.</summary>
    LabelSpikeEnded = 4,

    /// <summary>The champion's error stream drifted (Page-Hinkley alarm).</summary>
    DriftDetected = 5,

    /// <summary>A feature's distribution moved away from the reference window (PSI above the threshold).</summary>
    FeatureDrift = 6,

    /// <summary>An operator's promote or rollback command put a version in force; the learner took it as its champion.</summary>
    Commanded = 7,

    /// <summary>An operator's hold command: no automatic promotion or rollback until released (learning and judging go on).</summary>
    Held = 8,

    /// <summary>An operator's release command ended a hold: automatic promotions and rollbacks resume.</summary>
    Released = 9,
}
