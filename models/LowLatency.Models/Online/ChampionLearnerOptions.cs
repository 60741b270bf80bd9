namespace LowLatency.Models.Online;

/// <summary>
/// How a <see cref="ChampionLearner"/> updates a champion's tree part (the logistic part follows its FTRL options), and
/// whether it grows an online tree beside them.
/// </summary>
public sealed record ChampionLearnerOptions
{
    /// <summary>Labels between two leaf refits of the tree part (default 1000); each refit publishes a new immutable ensemble.</summary>
    public int RefitEvery { get; init; } = 1000;

    /// <summary>L2 damping of each leaf's Newton step (default 1).</summary>
    public double LeafL2 { get; init; } = 1.0;

    /// <summary>Step size of a leaf refit; 0 (default) = 1 / trees, one step shared between the trees.</summary>
    public double LeafLearningRate { get; init; }

    /// <summary>
    /// Grow an online tree part: a Hoeffding tree (these options; <see cref="HoeffdingTreeOptions.Adaptive"/> for
    /// drift-aware alternate subtrees) learned from every label the learner sees, published with each snapshot as a
    /// one-tree logistic ensemble (<see cref="Champion.ChampionModel.OnlineTree"/>) whose margin, times
    /// <see cref="OnlineTreeWeight"/>, adds to the champion's. Null (default): no online tree.
    /// </summary>
    public HoeffdingTreeOptions? OnlineTree { get; init; }

    /// <summary>wH, the online tree's blend weight (default 0.5), used when <see cref="OnlineTree"/> is set.</summary>
    public double OnlineTreeWeight { get; init; } = 0.5;

    /// <summary>
    /// The online-tree setup this project's fraud evaluation uses (<c>lowlat learn-eval</c>): adaptive, a leaf tries a
    /// split every 20 labels (labels are scarce: a few per second), at most 1023 nodes; weight 0.5.
    /// </summary>
    public static HoeffdingTreeOptions FraudOnlineTree => new() { Adaptive = true, GracePeriod = 20, MaxNodes = 1023 };

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        OnlineTree?.Validate();
        if (!float.IsFinite((float)OnlineTreeWeight))
        {
            throw new ArgumentException($"Invalid champion learner options: OnlineTreeWeight = {OnlineTreeWeight} is not finite.");
        }

        if (RefitEvery < 1 || !(LeafL2 >= 0) || !(LeafLearningRate >= 0) || !double.IsFinite(LeafL2) || !double.IsFinite(LeafLearningRate))
        {
            throw new ArgumentException($"Invalid champion learner options: {this} (need RefitEvery >= 1, finite LeafL2 >= 0 and LeafLearningRate >= 0).");
        }
    }
}
