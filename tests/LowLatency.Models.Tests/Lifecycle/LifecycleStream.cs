using LowLatency.Models.Evaluation;
using LowLatency.Models.Champion;

namespace LowLatency.Models.Tests.Lifecycle;

/// <summary>A seeded, learnable fraud-like stream (≈4% positives) and a clean held-out set to judge models by.</summary>
internal sealed class LifecycleStream(int seed)
{
    public const int Dense = 6;
    private readonly Random _rng = new(seed);

    public (float[] X, ulong[] Keys, bool Y) Next()
    {
        var x = new float[Dense];
        for (int i = 0; i < Dense; i++)
        {
            x[i] = (float)Gaussian();
        }

        var keys = new ulong[] { (ulong)_rng.Next(50), 100 + (ulong)_rng.Next(20) };
        double m = -4 + (1.5 * x[0]) - x[1] + (0.8 * x[2]) + (keys[0] < 10 ? 1.0 : 0);
        bool y = _rng.NextDouble() < 1 / (1 + Math.Exp(-m));
        return (x, keys, y);
    }

    private double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - _rng.NextDouble())) * Math.Cos(2 * Math.PI * _rng.NextDouble());

    /// <summary>AUC of a model on a fixed clean sample.</summary>
    public static double CleanAuc(ChampionModel model, (float[] X, ulong[] Keys, bool Y)[] sample)
    {
        var w = new PrequentialWindow(sample.Length);
        foreach (var (x, k, y) in sample)
        {
            w.Add(model.Score(x, k).Probability, y);
        }

        return w.Auc();
    }
}
