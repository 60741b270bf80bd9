namespace LowLatency.Models.Champion;

/// <summary>How a champion combines the margins of its logistic model (mL) and tree ensemble (mT).</summary>
public enum ChampionCombination : byte
{
    /// <summary>
    /// margin = intercept + wL·mL + wT·mT. With wL = wT = 0.5 this is the average of the margins; with a
    /// fitted intercept and weights it is a stacked (logistic meta-model over the two margins) ensemble.
    /// </summary>
    WeightedMargin = 0,

    /// <summary>margin = intercept + max(wL·mL, wT·mT): the more alarmed model decides; reason codes come from it.</summary>
    Max = 1,
}
