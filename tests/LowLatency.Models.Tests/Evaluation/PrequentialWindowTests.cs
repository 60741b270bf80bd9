using LowLatency.Models.Evaluation;

namespace LowLatency.Models.Tests.Evaluation;

public sealed class PrequentialWindowTests
{
    private static double NaiveAuc(List<(double S, bool Y)> w)
    {
        double wins = 0;
        long pairs = 0;
        foreach (var p in w.Where(e => e.Y))
        {
            foreach (var n in w.Where(e => !e.Y))
            {
                wins += p.S > n.S ? 1 : p.S == n.S ? 0.5 : 0;
                pairs++;
            }
        }

        return pairs == 0 ? double.NaN : wins / pairs;
    }

    private static double NaiveRecallAtFpr(List<(double S, bool Y)> w, double f)
    {
        int pos = w.Count(e => e.Y), neg = w.Count - pos;
        double best = 0;
        foreach (double t in w.Select(e => e.S).Distinct())
        {
            int tp = w.Count(e => e.Y && e.S >= t), fp = w.Count(e => !e.Y && e.S >= t);
            if (fp <= f * neg)
            {
                best = Math.Max(best, tp / (double)pos);
            }
        }

        return best;
    }

    private static double NaivePrecisionAtK(List<(double S, bool Y)> w, int k)
    {
        k = Math.Min(k, w.Count);
        double hits = 0;
        foreach (var e in w)
        {
            int greater = w.Count(o => o.S > e.S), ties = w.Count(o => o.S == e.S);
            double inTop = Math.Clamp((k - greater) / (double)ties, 0, 1);
            hits += e.Y ? inTop : 0;
        }

        return hits / k;
    }

    [Theory]
    [InlineData(1, 50, 30)]
    [InlineData(2, 200, 500)]
    [InlineData(3, 300, 1000)]
    [InlineData(4, 2, 7)]
    public void Window_metrics_match_naive_pairwise_references(int seed, int capacity, int stream)
    {
        var rng = new Random(seed);
        var window = new PrequentialWindow(capacity);
        var all = new List<(double S, bool Y)>();
        for (int i = 0; i < stream; i++)
        {
            bool y = rng.NextDouble() < 0.2;
            // Coarse scores make ties common; informative enough that AUC is far from 0.5.
            double s = Math.Round(Math.Clamp((rng.NextDouble() * 0.7) + (y ? 0.3 : 0), 0, 1) * 20) / 20;
            window.Add(s, y);
            all.Add((s, y));
            if (i % 17 == 0 || i == stream - 1)
            {
                var last = all.Skip(Math.Max(0, all.Count - capacity)).ToList();
                Assert.Equal(last.Count, window.Count);
                Assert.Equal(NaiveAuc(last), window.Auc(), 12);
                bool both = last.Any(e => e.Y) && last.Any(e => !e.Y);
                Assert.Equal(both ? NaiveRecallAtFpr(last, 0.01) : double.NaN, window.RecallAtFpr(0.01), 12);
                Assert.Equal(both ? NaiveRecallAtFpr(last, 0.1) : double.NaN, window.RecallAtFpr(0.1), 12);
                foreach (int k in new[] { 1, 5, 20 })
                {
                    Assert.Equal(NaivePrecisionAtK(last, k), window.PrecisionAtK(k), 12);
                }

                double loss = last.Average(e => -Math.Log(Math.Clamp(e.Y ? e.S : 1 - e.S, 1e-15, 1 - 1e-15)));
                Assert.Equal(loss, window.LogLoss(), 9);
            }
        }
    }

    [Fact]
    public void A_perfect_ranker_scores_one_and_a_reversed_one_zero()
    {
        var good = new PrequentialWindow(100);
        var bad = new PrequentialWindow(100);
        for (int i = 0; i < 100; i++)
        {
            bool y = i % 10 == 0;
            good.Add(y ? 0.9 : 0.1 + (i * 0.001), y);
            bad.Add(y ? 0.05 : 0.1 + (i * 0.001), y);
        }

        Assert.Equal((1.0, 1.0, 1.0), (good.Auc(), good.RecallAtFpr(0.01), good.PrecisionAtK(10)));
        Assert.Equal((0.0, 0.0, 0.0), (bad.Auc(), bad.RecallAtFpr(0.01), bad.PrecisionAtK(10)));
    }

    [Fact]
    public void Nan_scores_are_refused_and_metrics_allocate_nothing()
    {
        var w = new PrequentialWindow(4096);
        var rng = new Random(1);
        for (int i = 0; i < 10_000; i++)
        {
            w.Add(rng.NextDouble(), rng.Next(10) == 0);
        }

        w.Add(double.NaN, true);
        Assert.Equal(1, w.Rejected);
        long before = GC.GetAllocatedBytesForCurrentThread();
        double sum = w.Auc() + w.LogLoss() + w.RecallAtFpr(0.01) + w.PrecisionAtK(100);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(double.IsFinite(sum));
    }
}
