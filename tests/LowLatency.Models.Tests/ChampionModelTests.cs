using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests;

public sealed class ChampionModelTests
{
    private static readonly ulong[] Keys = [5, 99, 123456789];

    /// <summary>Naive merged contributions: w·x and hashed weights (from the model's public arrays) times wL, naive Saabas times wT.</summary>
    private static (double[] Contrib, double Bias) Reference(ChampionModel m, float[] x, ulong[] keys, bool useLogistic, bool useTrees)
    {
        int n = m.Layout.DenseCount;
        var c = new double[n + keys.Length];
        double bias = m.Blend.Intercept;
        if (useLogistic && m.Logistic is { } l)
        {
            double wl = m.Blend.LogisticWeight;
            for (int i = 0; i < n; i++)
            {
                c[i] += float.IsNaN(x[i]) ? 0 : wl * l.DenseWeights[i] * x[i];
            }

            for (int k = 0; k < keys.Length; k++)
            {
                c[n + k] += wl * l.HashedWeights[FeatureHasher.Slot(keys[k], l.HashBits)];
            }

            bias += wl * l.Bias;
        }

        if (useTrees && m.Trees is { } t)
        {
            var tc = new double[n];
            double root = 0;
            foreach (var spec in t.ToSpecs())
            {
                root += NaiveSaabas.Add(spec, x, tc);
            }

            double wt = m.Blend.TreeWeight;
            for (int i = 0; i < n; i++)
            {
                c[i] += wt * tc[i];
            }

            bias += wt * (t.BaseMargin + root);
        }

        return (c, bias);
    }

    private static ChampionModel NumericSample(int seed, ChampionBlend blend)
    {
        var rng = new Random(seed);
        var lr = new LogisticModel([.. Enumerable.Range(0, 10).Select(_ => (float)(rng.NextDouble() - 0.5))], [.. Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5))], 0.3f);
        var specs = Enumerable.Range(0, 15).Select(_ => RandomTrees.Tree(rng, 5, 10)).ToList();
        var te = TreeEnsemble.Create(specs, 10, -0.2f, TreeOutput.Logistic);
        return new ChampionModel(new ModelLayout(ModelFileTests.Names, 6), lr, te, blend);
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(37, true)] // several vector steps and a scalar tail
    [InlineData(113, true)]
    public void Logistic_reason_contributions_are_the_per_feature_float_formula_bit_for_bit(int n, bool withReference)
    {
        // Slot i must hold wL·((x_i missing ? 0 : w_i·x_i) − w_i·r_i) computed in float, whatever the vector width.
        var rng = new Random(n);
        var w = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var r = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 3)).ToArray();
        var lr = new LogisticModel(w, new float[1 << 4], 0.25f);
        var names = Enumerable.Range(0, n).Select(i => $"f{i}").ToArray();
        var blend = new ChampionBlend(ChampionCombination.WeightedMargin, 0.7f, 1f, 0f);
        var m = new ChampionModel(new ModelLayout(names, 4), lr, null, blend, withReference ? r : null);
        var scratch = new float[m.ExplainSlots(Keys.Length)];
        var reasons = new Contribution[4];
        for (int round = 0; round < 50; round++)
        {
            var x = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.2 ? float.NaN : (float)(rng.NextDouble() * 10 - 5)).ToArray();
            m.Explain(x, Keys, scratch, reasons);
            for (int i = 0; i < n; i++)
            {
                float term = float.IsNaN(x[i]) ? 0f : w[i] * x[i];
                float expected = 0f + (0.7f * (withReference ? term - (w[i] * r[i]) : term));
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(scratch[i]));
            }
        }
    }

    [Fact]
    public void Weighted_margin_is_intercept_plus_weighted_parts_and_reasons_are_the_merged_top_k()
    {
        var blend = new ChampionBlend(ChampionCombination.WeightedMargin, 0.7f, 1.3f, 0.05f);
        var m = NumericSample(1, blend);
        var rng = new Random(2);
        var scratch = new float[m.ExplainSlots(Keys.Length)];
        var reasons = new Contribution[3];
        for (int i = 0; i < 300; i++)
        {
            var x = RandomTrees.Row(rng, 10, 0.15);
            double expectedMargin = 0.05 + (0.7 * (double)m.Logistic!.MarginScalar(x, Keys)) + (1.3 * (double)m.Trees!.MarginNodeWalk(x));
            var score = m.Explain(x, Keys, scratch, reasons);
            Assert.Equal(expectedMargin, score.Margin, 1e-4);
            Assert.Equal(score.Margin, m.Margin(x, Keys));
            Assert.Equal(Logistic.SigmoidFast(score.Margin), score.Probability);

            var (c, bias) = Reference(m, x, Keys, true, true);
            Assert.Equal(bias, score.Bias, 1e-4);
            for (int f = 0; f < c.Length; f++)
            {
                Assert.Equal(c[f], scratch[f], 1e-4);
            }

            Assert.Equal(score.Margin, score.Bias + scratch.Sum(v => (double)v), 1e-4);
            var top = c.Select((v, f) => (v, f)).Where(p => p.v != 0).OrderByDescending(p => Math.Abs(p.v)).Take(3).ToArray();
            Assert.Equal(top.Length, score.ReasonCount);
            for (int k = 0; k < top.Length; k++)
            {
                // Near-ties could swap between float and double; only check when the gap is clear.
                if (k + 1 < top.Length && Math.Abs(Math.Abs(top[k].v) - Math.Abs(top[k + 1].v)) < 1e-4)
                {
                    continue;
                }

                Assert.Equal(top[k].f, reasons[k].Feature);
            }
        }
    }

    [Fact]
    public void Max_takes_the_more_alarmed_model_and_its_reasons_only()
    {
        var blend = new ChampionBlend(ChampionCombination.Max, 1f, 1f, 0f);
        var m = NumericSample(3, blend);
        var rng = new Random(4);
        var scratch = new float[m.ExplainSlots(Keys.Length)];
        var reasons = new Contribution[5];
        int treeWins = 0, lrWins = 0;
        for (int i = 0; i < 400; i++)
        {
            var x = RandomTrees.Row(rng, 10, 0.1);
            float ml = m.Logistic!.Margin(x, Keys);
            float mt = m.Trees!.Margin(x);
            var score = m.Explain(x, Keys, scratch, reasons);
            Assert.Equal(Math.Max(ml, mt), score.Margin);
            bool trees = mt > ml;
            treeWins += trees ? 1 : 0;
            lrWins += trees ? 0 : 1;
            var (c, bias) = Reference(m, x, Keys, !trees, trees);
            Assert.Equal(bias, score.Bias, 1e-4);
            for (int f = 0; f < c.Length; f++)
            {
                Assert.Equal(c[f], scratch[f], 1e-4);
            }
        }

        Assert.True(treeWins > 10 && lrWins > 10, $"both branches exercised: trees {treeWins}, logistic {lrWins}");
    }

    [Fact]
    public void A_reference_point_measures_logistic_reasons_from_it_and_leaves_the_scores_alone()
    {
        var blend = new ChampionBlend(ChampionCombination.WeightedMargin, 0.7f, 1.3f, 0.05f);
        var plain = NumericSample(11, blend);
        float[] point = [.. Enumerable.Range(0, 10).Select(i => (i * 0.3f) - 1f)];
        var centred = new ChampionModel(plain.Layout, plain.Logistic, plain.Trees, blend, point);
        var rng = new Random(12);
        var scratch = new float[centred.ExplainSlots(Keys.Length)];
        var reasons = new Contribution[3];
        for (int i = 0; i < 300; i++)
        {
            var x = RandomTrees.Row(rng, 10, 0.15);
            Assert.Equal(plain.Margin(x, Keys), centred.Margin(x, Keys));
            var score = centred.Explain(x, Keys, scratch, reasons);

            // Reference: the naive contributions, with the logistic ones taken as wL·w_i·(x_i − r_i) (a missing x counts 0).
            var (c, bias) = Reference(plain, x, Keys, true, true);
            for (int f = 0; f < point.Length; f++)
            {
                double shift = 0.7 * plain.Logistic!.DenseWeights[f] * point[f];
                c[f] -= shift;
                bias += shift;
            }

            Assert.Equal(bias, score.Bias, 1e-4);
            for (int f = 0; f < c.Length; f++)
            {
                Assert.Equal(c[f], scratch[f], 1e-4);
            }

            Assert.Equal(score.Margin, score.Bias + scratch.Sum(v => (double)v), 1e-4);
        }

        Assert.Contains("reference has 9", Assert.Throws<ModelFormatException>(() => new ChampionModel(plain.Layout, plain.Logistic, plain.Trees, blend, new float[9])).Message, StringComparison.Ordinal);
        Assert.Contains("reference[2]", Assert.Throws<ModelFormatException>(() => new ChampionModel(plain.Layout, plain.Logistic, plain.Trees, blend, [0, 0, float.NaN, 0, 0, 0, 0, 0, 0, 0])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lone_model_scores_exactly_as_itself()
    {
        var both = NumericSample(5, ChampionBlend.Sum);
        var onlyTrees = ChampionModel.FromTrees(both.Trees!, ModelFileTests.Names);
        var onlyLr = ChampionModel.FromLogistic(both.Logistic!, ModelFileTests.Names);
        var rng = new Random(6);
        for (int i = 0; i < 200; i++)
        {
            var x = RandomTrees.Row(rng, 10, 0.1);
            Assert.Equal(both.Trees!.Margin(x), onlyTrees.Margin(x, Keys));
            Assert.Equal(both.Trees!.Predict(x), onlyTrees.Score(x, Keys).Probability);
            Assert.Equal(both.Logistic!.Margin(x, Keys), onlyLr.Margin(x, Keys));
            Assert.Equal(both.Logistic!.Probability(x, Keys), onlyLr.Score(x, Keys).Probability);
        }
    }

    [Fact]
    public void Scoring_and_explaining_do_not_allocate_in_steady_state()
    {
        var m = NumericSample(7, ChampionBlend.Average);
        var rng = new Random(8);
        var x = RandomTrees.Row(rng, 10, 0.1);
        var reasons = new Contribution[5];
        float sink = 0;
        void Loop(int n)
        {
            Span<float> scratch = stackalloc float[16];
            for (int i = 0; i < n; i++)
            {
                sink += m.Score(x, Keys).Probability;
                sink += m.Explain(x, Keys, scratch, reasons).Margin;
            }
        }

        Loop(500);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Loop(5000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.False(float.IsNaN(sink));
    }

    [Fact]
    public void Mismatched_parts_and_bad_configuration_are_rejected_naming_the_field()
    {
        var m = NumericSample(9, ChampionBlend.Sum);
        Assert.Contains("logistic.dense_weights has 10", Assert.Throws<ModelFormatException>(() =>
            new ChampionModel(new ModelLayout([.. ModelFileTests.Names, "x"], 6), m.Logistic, null, ChampionBlend.Sum)).Message);
        Assert.Contains("layout.hash_bits = 5", Assert.Throws<ModelFormatException>(() =>
            new ChampionModel(new ModelLayout(ModelFileTests.Names, 5), m.Logistic, null, ChampionBlend.Sum)).Message);
        Assert.Contains("blend.tree_weight", Assert.Throws<ModelFormatException>(() =>
            new ChampionModel(m.Layout, m.Logistic, m.Trees, ChampionBlend.Sum with { TreeWeight = float.NaN })).Message);
        Assert.Contains("neither", Assert.Throws<ModelFormatException>(() => new ChampionModel(m.Layout, null, null, ChampionBlend.Sum)).Message);
        Assert.Contains("duplicate", Assert.Throws<ModelFormatException>(() => new ModelLayout(["a", "b", "a"], 0)).Message);
        Assert.Throws<ArgumentException>(() => m.Margin(new float[9], Keys));
        Assert.Throws<ArgumentException>(() => m.Explain(new float[10], Keys, new float[12], new Contribution[3]));
    }

    /// <summary>A sample champion with a random one-tree logistic online part (covers set, so its Saabas reasons are weighted).</summary>
    internal static ChampionModel WithOnlineTree(ChampionModel m, int seed, float weight)
    {
        var rng = new Random(seed);
        var spec = RandomTrees.Tree(rng, 4, 10);
        var online = TreeEnsemble.Create([spec], 10, 0f, TreeOutput.Logistic);
        return m.WithParts(m.Logistic, m.Trees, online, m.Blend with { OnlineTreeWeight = weight });
    }

    [Theory]
    [InlineData(ChampionCombination.WeightedMargin)]
    [InlineData(ChampionCombination.Max)]
    public void An_online_tree_adds_its_weighted_margin_in_either_mode_and_its_reasons_without_allocating(ChampionCombination mode)
    {
        var plain = NumericSample(21, new ChampionBlend(mode, 0.8f, 0.6f, 0.1f));
        var m = WithOnlineTree(plain, 22, 0.4f);
        var rng = new Random(23);
        Span<float> scratch = stackalloc float[16];
        Span<float> plainScratch = stackalloc float[16];
        var reasons = new Contribution[4];
        for (int i = 0; i < 300; i++)
        {
            var x = RandomTrees.Row(rng, 10, 0.1);
            float online = m.OnlineTree!.Margin(x);
            Assert.Equal(plain.Margin(x, Keys) + (0.4f * online), m.Margin(x, Keys), 1e-5);
            var s = m.Explain(x, Keys, scratch, reasons);
            Assert.Equal(m.Margin(x, Keys), s.Margin, 1e-5);
            if (mode == ChampionCombination.WeightedMargin)
            {
                float sum = s.Bias;
                foreach (float c in scratch[..m.ExplainSlots(Keys.Length)])
                {
                    sum += c;
                }

                Assert.Equal(s.Margin, sum, 1e-3);
            }

            // The online tree's share of the reasons is its own Saabas decomposition, times its weight.
            plain.Explain(x, Keys, plainScratch, reasons);
            var tc = new double[10];
            double root = NaiveSaabas.Add(m.OnlineTree.ToSpecs()[0], x, tc);
            for (int f = 0; f < 10; f++)
            {
                Assert.Equal(plainScratch[f] + (0.4 * tc[f]), scratch[f], 1e-4);
            }

            Assert.True(double.IsFinite(root));
        }

        var row = RandomTrees.Row(rng, 10, 0.1);
        float sink = 0;
        for (int i = 0; i < 500; i++)
        {
            sink += m.Explain(row, Keys, scratch, reasons).Margin + m.Score(row, Keys).Probability;
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5000; i++)
        {
            sink += m.Explain(row, Keys, scratch, reasons).Margin + m.Score(row, Keys).Probability;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.False(float.IsNaN(sink));
        var regression = TreeEnsemble.Create([RandomTrees.Tree(rng, 3, 10)], 10, 0f, TreeOutput.RawMargin);
        Assert.Throws<ModelFormatException>(() => plain.WithParts(plain.Logistic, plain.Trees, regression, plain.Blend));
    }
}
