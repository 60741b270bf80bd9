using LowLatency.Models.Online;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests.Online;

public sealed class LeafRefitterTests
{
    private const int Features = 4;

    private static List<TreeSpec> Specs(int seed, int trees)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, trees).Select(_ => RandomTrees.Tree(rng, 3, Features, leafEarly: 0.1)).ToList();
    }

    /// <summary>Local index of the leaf a row reaches, by the documented rule (independent of the ensemble).</summary>
    private static int LocalLeaf(TreeSpec t, float[] x)
    {
        int n = 0;
        while (t.Left[n] != -1)
        {
            float v = x[t.Feature[n]];
            n = (float.IsNaN(v) ? t.DefaultLeft[n] : v < t.Threshold[n]) ? t.Left[n] : t.Right[n];
        }

        return n;
    }

    private static float NaiveMargin(List<TreeSpec> specs, float[] x, float baseMargin, TreeAggregation agg)
    {
        float sum = agg == TreeAggregation.Sum ? baseMargin : 0f;
        foreach (var t in specs)
        {
            sum += RandomTrees.Eval(t, x);
        }

        return agg == TreeAggregation.Sum ? sum : baseMargin + (sum / specs.Count);
    }

    private static List<TreeSpec> WithLeaves(List<TreeSpec> specs, Func<int, int, float, float> value) =>
        specs.Select((t, ti) => new TreeSpec(t.Left, t.Right, t.Feature, t.Threshold, t.DefaultLeft,
            t.LeafValue.Select((v, i) => t.Left[i] == -1 ? value(ti, i, v) : v).ToArray())).ToList();

    [Theory]
    [InlineData(TreeAggregation.Sum)]
    [InlineData(TreeAggregation.Average)]
    public void Statistics_and_refit_leaves_match_a_naive_newton_step(TreeAggregation agg)
    {
        var specs = Specs(1, 6);
        var model = TreeEnsemble.Create(specs, Features, 0.2f, TreeOutput.Logistic, agg);
        var refitter = new LeafRefitter(model, l2: 2.0);
        var rng = new Random(5);
        double scale = agg == TreeAggregation.Sum ? 1 : 1.0 / specs.Count;
        var g = specs.Select(t => new double[t.NodeCount]).ToArray();
        var h = specs.Select(t => new double[t.NodeCount]).ToArray();
        for (int i = 0; i < 3000; i++)
        {
            var x = RandomTrees.Row(rng, Features, 0.1);
            bool y = rng.Next(4) == 0;
            double p = 1 / (1 + Math.Exp(-NaiveMargin(specs, x, 0.2f, agg)));
            Assert.Equal(p, refitter.Observe(x, y), 6);
            for (int t = 0; t < specs.Count; t++)
            {
                int leaf = LocalLeaf(specs[t], x);
                g[t][leaf] += (p - (y ? 1 : 0)) * scale;
                h[t][leaf] += p * (1 - p) * scale * scale;
            }
        }

        int offset = 0;
        for (int t = 0; t < specs.Count; t++)
        {
            for (int i = 0; i < specs[t].NodeCount; i++)
            {
                Assert.Equal(g[t][i], refitter.Gradient(offset + i), 6);
                Assert.Equal(h[t][i], refitter.Hessian(offset + i), 6);
            }

            offset += specs[t].NodeCount;
        }

        double eta = 1.0 / specs.Count;
        var expected = WithLeaves(specs, (t, i, v) => h[t][i] > 0 ? (float)(v + (eta * (-g[t][i] / (h[t][i] + 2.0)))) : v);
        refitter.Refit();
        var refit = refitter.Model;
        for (int i = 0; i < 500; i++)
        {
            var x = RandomTrees.Row(rng, Features, 0.1);
            Assert.Equal(NaiveMargin(expected, x, 0.2f, agg), refit.MarginNodeWalk(x), 4);
        }

        Assert.Equal(0, refitter.Observed);
    }

    [Fact]
    public void Copying_in_place_continues_exactly_as_a_clone()
    {
        var specs = Specs(3, 4);
        var rng = new Random(21);
        var source = new LeafRefitter(TreeEnsemble.Create(specs, Features, -1f, TreeOutput.Logistic));
        var target = source.Clone();
        for (int i = 0; i < 3000; i++)
        {
            var x = RandomTrees.Row(rng, Features, 0.05);
            source.Observe(x, rng.Next(3) == 0);
            if (i == 1500)
            {
                source.Refit();
            }
        }

        target.Observe(RandomTrees.Row(rng, Features, 0.05), true); // the target held other statistics
        var clone = source.Clone();
        target.CopyFrom(source);
        Assert.All(Enumerable.Range(0, clone.Model.NodeCount), n => Assert.Equal(clone.Model.NodeValue(n), target.Model.NodeValue(n)));
        for (int i = 0; i < 2000; i++)
        {
            var x = RandomTrees.Row(rng, Features, 0.05);
            bool y = rng.Next(3) == 0;
            Assert.Equal(BitConverter.DoubleToInt64Bits(clone.Observe(x, y)), BitConverter.DoubleToInt64Bits(target.Observe(x, y)));
            if (i % 700 == 0)
            {
                clone.Refit();
                target.Refit();
            }
        }

        // A refitter of another ensemble (twice the nodes) refuses.
        var other = new LeafRefitter(TreeEnsemble.Create([.. specs, .. specs], Features, -1f, TreeOutput.Logistic));
        Assert.False(other.CanCopyFrom(source));
        Assert.Throws<ArgumentException>(() => other.CopyFrom(source));
    }

    [Theory]
    [InlineData(TreeAggregation.Sum)]
    [InlineData(TreeAggregation.Average)]
    public void Refitting_on_a_shifted_stream_recovers_the_new_leaf_values(TreeAggregation agg)
    {
        var specs = Specs(2, 5);
        var rng = new Random(9);
        // The world moved: every leaf of the true model is shifted by up to ±1 (×T for a forest average).
        double amplitude = agg == TreeAggregation.Sum ? 1 : specs.Count;
        var truth = WithLeaves(specs, (_, _, v) => (float)(v + (((rng.NextDouble() * 2) - 1) * amplitude)));
        var refitter = new LeafRefitter(TreeEnsemble.Create(specs, Features, -1f, TreeOutput.Logistic, agg));
        var test = Enumerable.Range(0, 4000).Select(_ => RandomTrees.Row(rng, Features, 0.05)).ToArray();
        var testY = test.Select(x => rng.NextDouble() < 1 / (1 + Math.Exp(-NaiveMargin(truth, x, -1f, agg)))).ToArray();

        double Loss(Func<float[], double> prob) => test.Select((x, i) => -Math.Log(Math.Clamp(testY[i] ? prob(x) : 1 - prob(x), 1e-12, 1))).Average();
        double truthLoss = Loss(x => 1 / (1 + Math.Exp(-NaiveMargin(truth, x, -1f, agg))));
        double before = Loss(x => refitter.Model.Predict(x));
        var losses = new List<double>();
        for (int round = 0; round < 8; round++)
        {
            for (int i = 0; i < 10_000; i++)
            {
                var x = RandomTrees.Row(rng, Features, 0.05);
                refitter.Observe(x, rng.NextDouble() < 1 / (1 + Math.Exp(-NaiveMargin(truth, x, -1f, agg))));
            }

            refitter.Refit();
            losses.Add(Loss(x => refitter.Model.Predict(x)));
        }

        Assert.True(before > truthLoss + 0.05, $"the shift must matter: {before} vs {truthLoss}");
        Assert.True(losses[^1] < truthLoss + 0.02, $"refit loss {losses[^1]} vs truth {truthLoss} (start {before})");
        Assert.True(losses[0] < before);
    }

    [Fact]
    public void Same_leaf_values_reproduce_the_ensemble_exactly_and_observing_allocates_nothing()
    {
        var specs = Specs(3, 20);
        var model = TreeEnsemble.Create(specs, Features, 0.1f, TreeOutput.Logistic);
        var values = Enumerable.Range(0, model.NodeCount).Select(model.NodeValue).ToArray();
        var copy = model.WithLeafValues(values);
        Assert.Equal(model.IsCompiled, copy.IsCompiled);
        var rng = new Random(4);
        var rows = Enumerable.Range(0, 256).Select(_ => RandomTrees.Row(rng, Features, 0.1)).ToArray();
        foreach (var x in rows)
        {
            Assert.Equal(model.Margin(x), copy.Margin(x));
        }

        var refitter = new LeafRefitter(model);
        for (int i = 0; i < 1000; i++)
        {
            refitter.Observe(rows[i & 255], (i & 3) == 0);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            refitter.Observe(rows[i & 255], (i & 3) == 0);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Throws<ModelFormatException>(() => model.WithLeafValues(values.Select(_ => float.NaN).ToArray()));
    }

    [Theory]
    [InlineData(TreeAggregation.Sum, 5)]
    [InlineData(TreeAggregation.Average, 8)]
    public void A_refit_in_place_scores_and_explains_bit_for_bit_like_a_fresh_build(TreeAggregation agg, int depth)
    {
        // The working copy is refit in place (leaf values, node means, the interleaved kernel, its reason-code table):
        // it must score and explain exactly as an ensemble built from scratch with the same leaf values.
        var rng = new Random(31 + depth);
        const int Wide = 12;
        var specs = Enumerable.Range(0, 37).Select(_ => RandomTrees.Tree(rng, depth, Wide, leafEarly: 0.15)).ToList();
        var refitter = new LeafRefitter(TreeEnsemble.Create(specs, Wide, 0.3f, TreeOutput.Logistic, agg));
        Assert.True(refitter.Model.Interleaved is { CanExplain: true }); // the in-place path rewrites the kernel and its table
        var dense = new float[Wide];
        var fresh = new float[Wide];
        for (int round = 0; round < 4; round++)
        {
            for (int i = 0; i < 400; i++)
            {
                refitter.Observe(RandomTrees.Row(rng, Wide, 0.1), rng.Next(4) == 0);
            }

            refitter.Refit();
            var values = Enumerable.Range(0, refitter.Model.NodeCount).Select(refitter.Model.NodeValue).ToArray();
            var rebuilt = refitter.Model.WithLeafValues(values);
            for (int i = 0; i < 300; i++)
            {
                var x = RandomTrees.Row(rng, Wide, 0.1);
                Assert.Equal(BitConverter.SingleToInt32Bits(rebuilt.Margin(x)), BitConverter.SingleToInt32Bits(refitter.Model.Margin(x)));
                Assert.Equal(BitConverter.SingleToInt32Bits(rebuilt.MarginNodeWalk(x)), BitConverter.SingleToInt32Bits(refitter.Model.MarginNodeWalk(x)));
                Array.Clear(dense);
                Array.Clear(fresh);
                float bias = refitter.Model.AddContributions(x, dense);
                float freshBias = rebuilt.AddContributions(x, fresh);
                Assert.Equal(BitConverter.SingleToInt32Bits(freshBias), BitConverter.SingleToInt32Bits(bias));
                Assert.Equal(fresh.Select(BitConverter.SingleToInt32Bits), dense.Select(BitConverter.SingleToInt32Bits));
            }
        }
    }

    [Fact]
    public void A_model_too_wide_for_the_interleaved_kernel_is_refit_in_place_bit_for_bit_and_without_allocating()
    {
        // Wider than InterleavedForest takes: Margin runs on the across-rows layout (CompiledForest), built on first use.
        // A refit rewrites its leaves in place; it must score exactly like a fresh build and allocate nothing.
        var rng = new Random(77);
        int wide = InterleavedForest.MaxFeatures + 500;
        var specs = Enumerable.Range(0, 24).Select(_ => RandomTrees.Tree(rng, 4, wide, leafEarly: 0.1)).ToList();
        var refitter = new LeafRefitter(TreeEnsemble.Create(specs, wide, 0.1f, TreeOutput.Logistic));
        Assert.Null(refitter.Model.Interleaved);
        var rows = Enumerable.Range(0, 64).Select(_ => RandomTrees.Row(rng, wide, 0.1)).ToArray();
        Assert.Equal(refitter.Model.MarginNodeWalk(rows[0]), refitter.Model.Margin(rows[0])); // builds the layout
        Assert.NotNull(refitter.Model.Compiled);

        long allocated = 0;
        for (int round = 0; round < 5; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 300; i++)
            {
                refitter.Observe(rows[i % rows.Length], rng.Next(3) == 0);
            }

            refitter.Refit();
            float sum = 0;
            foreach (var x in rows)
            {
                sum += refitter.Model.Margin(x);
            }

            allocated += round == 0 ? 0 : GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(float.IsFinite(sum));
            var rebuilt = refitter.Model.WithLeafValues(Enumerable.Range(0, refitter.Model.NodeCount).Select(refitter.Model.NodeValue).ToArray());
            foreach (var x in rows)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(rebuilt.Margin(x)), BitConverter.SingleToInt32Bits(refitter.Model.Margin(x)));
                Assert.Equal(BitConverter.SingleToInt32Bits(refitter.Model.MarginNodeWalk(x)), BitConverter.SingleToInt32Bits(refitter.Model.Margin(x)));
            }
        }

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Snapshots_stay_as_they_were_published_and_refits_allocate_nothing()
    {
        var specs = Specs(9, 6);
        var refitter = new LeafRefitter(TreeEnsemble.Create(specs, Features, 0f, TreeOutput.Logistic));
        var rng = new Random(5);
        var rows = Enumerable.Range(0, 200).Select(_ => RandomTrees.Row(rng, Features, 0.05)).ToArray();
        var published = refitter.Snapshot();
        var before = rows.Select(x => published.Margin(x)).ToArray();
        for (int i = 0; i < 1000; i++)
        {
            refitter.Observe(rows[i % rows.Length], i % 3 == 0);
        }

        refitter.Refit();
        Assert.Equal(before, rows.Select(x => published.Margin(x)).ToArray()); // the published copy did not move
        Assert.NotEqual(before, rows.Select(x => refitter.Model.Margin(x)).ToArray()); // the working copy did

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        for (int r = 0; r < 50; r++)
        {
            for (int i = 0; i < 100; i++)
            {
                refitter.Observe(rows[i], i % 4 == 0);
            }

            refitter.Refit();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - allocated);
    }

    [Fact]
    public void A_step_that_would_overflow_a_leaf_is_skipped_and_counted()
    {
        // λ = 0 and one confident wrong example: at a margin of −100 the hessian p(1 − p) is about 4e-44 while the
        // gradient is about −1, so the Newton step (about 3e43) overflows float. The leaf keeps its value, the step is
        // counted, and the refitter keeps working.
        var spec = new TreeSpec([1, -1, -1], [2, -1, -1], [0, 0, 0], [0f, 0f, 0f], [false, false, false], [0f, -100f, -100f]);
        var refitter = new LeafRefitter(TreeEnsemble.Create([spec], 1, 0f, TreeOutput.Logistic), l2: 0, learningRate: 1);
        refitter.Observe([1f], label: true);
        refitter.Refit();
        Assert.Equal(1, refitter.SkippedSteps);
        Assert.Equal(-100f, refitter.Model.NodeValue(2));
        Assert.Equal(-100f, refitter.Snapshot().NodeValue(2));
        refitter.Observe([-1f], label: false); // a small, finite step on the other leaf
        refitter.Refit();
        Assert.Equal(1, refitter.SkippedSteps);
        Assert.Equal(-101f, refitter.Model.NodeValue(1));
    }
}
