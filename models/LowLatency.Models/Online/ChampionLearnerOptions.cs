namespace LowLatency.Models.Online;

/// <summary>How a <see cref="ChampionLearner"/> updates a champion's tree part (the logistic part follows its FTRL options).</summary>
public sealed record ChampionLearnerOptions
{
    /// <summary>Labels between two leaf refits of the tree part (default 1000); each refit publishes a new immutable ensemble.</summary>
    public int RefitEvery { get; init; } = 1000;

    /// <summary>L2 damping of each leaf's Newton step (default 1).</summary>
    public double LeafL2 { get; init; } = 1.0;

    /// <summary>Step size of a leaf refit; 0 (default) = 1 / trees, one step shared between the trees.</summary>
    public double LeafLearningRate { get; init; }

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        if (RefitEvery < 1 || !(LeafL2 >= 0) || !(LeafLearningRate >= 0) || !double.IsFinite(LeafL2) || !double.IsFinite(LeafLearningRate))
        {
            throw new ArgumentException($"Invalid champion learner options: {this} (need RefitEvery >= 1, finite LeafL2 >= 0 and LeafLearningRate >= 0).");
        }
    }
}
