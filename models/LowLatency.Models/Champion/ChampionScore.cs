namespace LowLatency.Models.Champion;

/// <summary>Result of scoring one event with a champion.</summary>
/// <param name="Margin">Combined margin (log-odds for classifiers).</param>
/// <param name="Probability">Prediction on the output scale (probability for classifiers).</param>
/// <param name="Bias">Margin explained by no feature: bias + Σ contributions = margin (only set by Explain).</param>
/// <param name="ReasonCount">Number of reason codes written (only set by Explain).</param>
public readonly record struct ChampionScore(float Margin, float Probability, float Bias, int ReasonCount);
