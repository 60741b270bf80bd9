using LowLatency.Engine.Pipeline;
using LowLatency.Models.Training;

namespace LowLatency.Engine.Tests.Pipeline;

public class LinearScorerTests
{
    private static LinearScorer RandomScorer(Random rng, int n)
    {
        var w = Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        var m = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 5)).ToArray();
        return new LinearScorer(new LogisticFit(w, (float)rng.NextDouble(), m), version: 3);
    }

    [Fact]
    public void Contributions_plus_baseline_sum_to_the_margin_and_top_k_matches_a_full_sort()
    {
        var rng = new Random(17);
        for (int trial = 0; trial < 500; trial++)
        {
            int n = rng.Next(1, 40);
            var scorer = RandomScorer(rng, n);
            var x = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.1 ? float.NaN : (float)(rng.NextDouble() * 10)).ToArray();

            var all = new ReasonCode[n];
            int written = scorer.TopReasons(x, all);
            var everyContribution = Enumerable.Range(0, n)
                .Select(i => scorer.Margin(Unit(x, i)) - scorer.Margin(Unit(x, -1)))
                .ToArray();
            double positiveSum = everyContribution.Where(c => c > 0).Sum();
            double negativeSum = everyContribution.Where(c => c <= 0).Sum();
            Assert.True(Math.Abs(scorer.Margin(x) - (scorer.BaselineMargin + positiveSum + negativeSum)) < 1e-3, $"trial {trial}");
            Assert.InRange(written, everyContribution.Count(c => c > 1e-4), everyContribution.Count(c => c > -1e-4));

            var top = new ReasonCode[4];
            int k = scorer.TopReasons(x, top);
            var expected = all.Take(written).OrderByDescending(r => r.Contribution).Take(4).ToArray();
            Assert.Equal(expected.Length, k);
            for (int i = 0; i < k; i++)
            {
                Assert.Equal(expected[i].Contribution, top[i].Contribution);
                Assert.True(i == 0 || top[i - 1].Contribution >= top[i].Contribution);
            }
        }
    }

    /// <summary>The features with only feature <paramref name="keep"/> set to its value and every other at its mean (NaN imputes the mean).</summary>
    private static float[] Unit(float[] x, int keep) => [.. x.Select((v, i) => i == keep ? v : float.NaN)];

    [Fact]
    public void Sigmoid_is_finite_and_monotone_at_extremes()
    {
        Assert.Equal(0f, LinearScorer.Sigmoid(-1000f));
        Assert.Equal(1f, LinearScorer.Sigmoid(1000f));
        Assert.Equal(0.5f, LinearScorer.Sigmoid(0f));
        Assert.True(LinearScorer.Sigmoid(-20f) < LinearScorer.Sigmoid(-19f));
    }

    [Fact]
    public void Non_finite_weights_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new LinearScorer(new LogisticFit([float.NaN], 0, [0]), 1));
    }
}
