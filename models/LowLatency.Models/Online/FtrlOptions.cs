namespace LowLatency.Models.Online;

/// <summary>
/// Hyper-parameters of <see cref="FtrlLearner"/> (FTRL-Proximal, McMahan et al., KDD 2013). Defaults suit
/// standardised-ish dense features plus a few hashed categoricals at a ~1% positive rate.
/// </summary>
public sealed record FtrlOptions
{
    /// <summary>Per-coordinate learning-rate scale α (default 0.1).</summary>
    public double Alpha { get; init; } = 0.1;

    /// <summary>Per-coordinate learning-rate smoothing β (default 1).</summary>
    public double Beta { get; init; } = 1.0;

    /// <summary>L1 strength λ1 (default 0.01); drives rarely useful coordinates to exactly zero.</summary>
    public double L1 { get; init; } = 0.01;

    /// <summary>L2 strength λ2 (default 0.1).</summary>
    public double L2 { get; init; } = 0.1;

    /// <summary>log2 of the hashed weight table (default 18 → 262,144 slots); must match the scoring model.</summary>
    public int HashBits { get; init; } = 18;

    /// <summary>Most sparse keys one example may carry (default 32); the scratch buffers are sized by it.</summary>
    public int MaxSparseKeys { get; init; } = 32;

    /// <summary>
    /// Per-coordinate gradient clip: each g_i = (p - y)·x_i is clamped to ±this (default 10). A garbage feature
    /// value can therefore move a coordinate's state by a bounded amount only.
    /// </summary>
    public double GradientClip { get; init; } = 10.0;

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException(message);
            }
        }

        Check(Alpha > 0 && double.IsFinite(Alpha), $"Alpha must be a positive finite number; got {Alpha}.");
        Check(Beta >= 0 && double.IsFinite(Beta), $"Beta must be >= 0; got {Beta}.");
        Check(L1 >= 0 && double.IsFinite(L1), $"L1 must be >= 0; got {L1}.");
        Check(L2 >= 0 && double.IsFinite(L2), $"L2 must be >= 0; got {L2}.");
        Check(HashBits is >= 1 and <= 26, $"HashBits must be 1..26; got {HashBits}.");
        Check(MaxSparseKeys is >= 0 and <= 4096, $"MaxSparseKeys must be 0..4096; got {MaxSparseKeys}.");
        Check(GradientClip > 0, $"GradientClip must be positive; got {GradientClip}.");
    }
}
