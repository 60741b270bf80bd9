namespace LowLatency.Models.Online;

/// <summary>The evidence behind one split, recorded so that tests and logs can check it against the bound.</summary>
/// <param name="Node">The leaf that split.</param>
/// <param name="Examples">Examples the leaf had seen (n in the bound).</param>
/// <param name="Feature">The chosen feature.</param>
/// <param name="Threshold">The chosen threshold (left when x &lt; threshold).</param>
/// <param name="BestGain">Information gain of the chosen split, in bits.</param>
/// <param name="SecondGain">Best gain on any other feature (0 when there is none).</param>
/// <param name="Epsilon">The Hoeffding bound √(R² ln(1/δ) / 2n) with R = 1 bit.</param>
public readonly record struct HoeffdingSplit(int Node, long Examples, int Feature, float Threshold, double BestGain, double SecondGain, double Epsilon);
