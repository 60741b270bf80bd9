using FsCheck;
using FsCheck.Xunit;
using LowLatency.Models.Import;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests;

public sealed class TreeContributionTests
{
    [Theory]
    [InlineData(TreeAggregation.Sum)]
    [InlineData(TreeAggregation.Average)]
    public void The_explaining_walk_returns_the_margin_bit_for_bit_and_the_same_contributions(TreeAggregation aggregation)
    {
        var rng = new Random((int)aggregation + 3);
        var specs = Enumerable.Range(0, 25).Select(_ => RandomTrees.Tree(rng, 6, 9)).ToList();
        var e = TreeEnsemble.Create(specs, 9, -0.3f, TreeOutput.Logistic, aggregation);
        Assert.True(e.IsCompiled);
        var a = new float[9];
        var b = new float[9];
        for (int r = 0; r < 500; r++)
        {
            var x = RandomTrees.Row(rng, 9, 0.2);
            Array.Clear(a);
            Array.Clear(b);
            float biasA = e.AddContributions(x, a, 0.7f, out float margin);
            float biasB = e.AddContributions(x, b, 0.7f);
            Assert.Equal(BitConverter.SingleToInt32Bits(e.Margin(x)), BitConverter.SingleToInt32Bits(margin));
            Assert.Equal(BitConverter.SingleToInt32Bits(e.MarginNodeWalk(x)), BitConverter.SingleToInt32Bits(margin));
            Assert.Equal(biasB, biasA);
            Assert.Equal(b, a);
        }
    }

    [Property(MaxTest = 80)]
    public bool The_interleaved_kernel_explains_bit_for_bit_like_the_node_walk(PositiveInt treeCount, NonNegativeInt depth, bool average, int seed)
    {
        // Tree counts across group boundaries (16 trees a group), shallow leaves (padded paths), NaNs (default
        // directions), ties at thresholds, and a destination that already holds values (contributions accumulate).
        var rng = new Random(seed);
        int trees = 1 + (treeCount.Get % 40);
        int maxDepth = 1 + (depth.Get % 9);
        const int features = 11;
        var specs = Enumerable.Range(0, trees).Select(_ => RandomTrees.Tree(rng, maxDepth, features, leafEarly: 0.3)).ToList();
        var e = TreeEnsemble.Create(specs, features, (float)(rng.NextDouble() - 0.5), TreeOutput.Logistic, average ? TreeAggregation.Average : TreeAggregation.Sum);
        if (e.Interleaved is not { CanExplain: true })
        {
            return false; // these shapes must take the table path, or the comparison below would test the walk against itself
        }

        var fast = new float[features + 3];
        var walk = new float[features + 3];
        for (int r = 0; r < 30; r++)
        {
            var x = RandomTrees.Row(rng, features, 0.2);
            for (int i = 0; i < fast.Length; i++)
            {
                fast[i] = walk[i] = r % 3 == 0 ? 0f : (float)(rng.NextDouble() - 0.5);
            }

            float scale = r % 2 == 0 ? 1f : (float)rng.NextDouble();
            float fastBias = e.AddContributions(x, fast, scale, out float fastMargin);
            float walkBias = e.AddContributionsNodeWalk(x, walk, scale, out float walkMargin);
            if (BitConverter.SingleToInt32Bits(fastBias) != BitConverter.SingleToInt32Bits(walkBias)
                || BitConverter.SingleToInt32Bits(fastMargin) != BitConverter.SingleToInt32Bits(walkMargin)
                || !fast.Select(BitConverter.SingleToInt32Bits).SequenceEqual(walk.Select(BitConverter.SingleToInt32Bits)))
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 60)]
    public bool Saabas_contributions_equal_the_naive_recursive_reference_and_sum_to_the_margin(PositiveInt treeCount, NonNegativeInt depth, int seed)
    {
        var rng = new Random(seed);
        int trees = 1 + (treeCount.Get % 30);
        int maxDepth = 1 + (depth.Get % 8);
        const int features = 9;
        var specs = Enumerable.Range(0, trees).Select(_ => RandomTrees.Tree(rng, maxDepth, features)).ToList();
        float baseMargin = (float)(rng.NextDouble() - 0.5);
        var e = TreeEnsemble.Create(specs, features, baseMargin, TreeOutput.RawMargin);
        var ours = new float[features];
        for (int r = 0; r < 20; r++)
        {
            var x = RandomTrees.Row(rng, features, 0.2);
            var expected = new double[features];
            double bias = baseMargin;
            foreach (var t in specs)
            {
                bias += NaiveSaabas.Add(t, x, expected);
            }

            float ourBias = e.Contributions(x, ours);
            if (Math.Abs(ourBias - bias) > 1e-4)
            {
                return false;
            }

            for (int f = 0; f < features; f++)
            {
                if (Math.Abs(ours[f] - expected[f]) > 1e-4)
                {
                    return false;
                }
            }

            double sum = ourBias + ours.Sum(v => (double)v);
            if (Math.Abs(sum - e.Margin(x)) > 1e-4)
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void Averaged_forest_contributions_sum_to_its_margin()
    {
        var rng = new Random(11);
        var specs = Enumerable.Range(0, 9).Select(_ => RandomTrees.Tree(rng, 5, 6)).ToList();
        var e = TreeEnsemble.Create(specs, 6, 0.25f, TreeOutput.RawMargin, TreeAggregation.Average);
        var c = new float[6];
        for (int r = 0; r < 200; r++)
        {
            var x = RandomTrees.Row(rng, 6, 0.1);
            var expected = new double[6];
            double bias = 0;
            foreach (var t in specs)
            {
                bias += NaiveSaabas.Add(t, x, expected);
            }

            float ourBias = e.Contributions(x, c);
            Assert.Equal(0.25 + (bias / 9), ourBias, 1e-5);
            for (int f = 0; f < 6; f++)
            {
                Assert.Equal(expected[f] / 9, c[f], 1e-5);
            }

            Assert.Equal(e.Margin(x), ourBias + c.Sum(v => (double)v), 1e-5);
        }
    }

    [Theory]
    [InlineData("logistic_1x3")]
    [InlineData("squared_10x1")]
    [InlineData("logistic_100x6")]
    [InlineData("logitraw_20x10")]
    [InlineData("logistic_500x4")]
    [InlineData("forest_4x5")]
    public void Contributions_plus_bias_give_xgboosts_margin_on_the_fixture_rows(string name)
    {
        TreeEnsemble model;
        using (var s = Fixtures.OpenGz(name + ".json.gz"))
        {
            model = XGBoostJson.Load(s);
        }

        var expected = Fixtures.Csv(name + ".pred.csv.gz");
        var rows = Fixtures.Features;
        var c = new float[model.FeatureCount];
        double worst = 0;
        for (int r = 0; r < rows.Count; r += 4)
        {
            double sum = model.Contributions(rows[r], c);
            foreach (float v in c)
            {
                sum += v;
            }

            worst = Math.Max(worst, Math.Abs(sum - expected[r][0]));
        }

        // Float accumulation over up to 500 trees: a few ulps of a margin of magnitude ~10.
        Assert.True(worst < 5e-4, $"largest |bias + Σ contributions − xgboost margin| = {worst}");
    }

    [Fact]
    public void A_feature_never_split_on_gets_no_contribution()
    {
        var rng = new Random(5);
        var specs = Enumerable.Range(0, 20).Select(_ => RandomTrees.Tree(rng, 4, 5)).ToList();
        // Declare 8 features; the trees only use 0..4.
        var e = TreeEnsemble.Create(specs, 8, 0f, TreeOutput.RawMargin);
        var c = new float[8];
        e.Contributions(RandomTrees.Row(rng, 8, 0.1), c);
        Assert.Equal(0f, c[5]);
        Assert.Equal(0f, c[6]);
        Assert.Equal(0f, c[7]);
    }
}
