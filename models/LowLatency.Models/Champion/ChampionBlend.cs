namespace LowLatency.Models.Champion;

/// <summary>The combination configuration of a champion (see <see cref="ChampionCombination"/>).</summary>
/// <param name="Mode">Combination rule.</param>
/// <param name="LogisticWeight">wL, multiplies the logistic margin.</param>
/// <param name="TreeWeight">wT, multiplies the tree ensemble's margin.</param>
/// <param name="Intercept">Added to the combined margin.</param>
public readonly record struct ChampionBlend(ChampionCombination Mode, float LogisticWeight, float TreeWeight, float Intercept)
{
    /// <summary>
    /// wH, multiplies the margin of the online tree part (a Hoeffding tree grown by the learner, see
    /// <see cref="ChampionModel.OnlineTree"/>), which is added to the combined margin in either mode (default 0).
    /// </summary>
    public float OnlineTreeWeight { get; init; }

    /// <summary>Sum of the margins (wL = wT = 1, no intercept): the identity when only one model is present.</summary>
    public static ChampionBlend Sum => new(ChampionCombination.WeightedMargin, 1f, 1f, 0f);

    /// <summary>Average of the two margins.</summary>
    public static ChampionBlend Average => new(ChampionCombination.WeightedMargin, 0.5f, 0.5f, 0f);

    /// <summary>Throws <see cref="ModelFormatException"/> naming the field that is not finite or not a known mode.</summary>
    public void Validate()
    {
        if (Mode is not (ChampionCombination.WeightedMargin or ChampionCombination.Max))
        {
            throw new ModelFormatException($"blend.mode = {(byte)Mode} is not a known combination.");
        }

        if (!float.IsFinite(LogisticWeight))
        {
            throw new ModelFormatException($"blend.logistic_weight = {LogisticWeight} is not finite.");
        }

        if (!float.IsFinite(TreeWeight))
        {
            throw new ModelFormatException($"blend.tree_weight = {TreeWeight} is not finite.");
        }

        if (!float.IsFinite(OnlineTreeWeight))
        {
            throw new ModelFormatException($"blend.online_tree_weight = {OnlineTreeWeight} is not finite.");
        }

        if (!float.IsFinite(Intercept))
        {
            throw new ModelFormatException($"blend.intercept = {Intercept} is not finite.");
        }
    }
}
