using System.Runtime.Intrinsics.X86;
using FsCheck;
using FsCheck.Xunit;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests;

public sealed class TreeEnsembleTests
{
    [Property(MaxTest = 60)]
    public bool Every_evaluator_equals_the_sequential_reference_bit_for_bit(PositiveInt treeCount, NonNegativeInt depth, int seed)
    {
        var rng = new Random(seed);
        int trees = 1 + (treeCount.Get % 40);
        int maxDepth = 1 + (depth.Get % 9);
        const int features = 11;
        var specs = Enumerable.Range(0, trees).Select(_ => RandomTrees.Tree(rng, maxDepth, features)).ToList();
        float baseMargin = (float)(rng.NextDouble() - 0.5);
        var e = TreeEnsemble.Create(specs, features, baseMargin, TreeOutput.RawMargin);
        var compiled = e.CompileWithLanes(8)!;
        var sixteen = e.Compiled!;
        var interleaved = e.Interleaved!;
        Assert.Equal(8, compiled.Lanes);
        Assert.Equal(16, sixteen.Lanes);
        for (int r = 0; r < 50; r++)
        {
            var x = RandomTrees.Row(rng, features, 0.2);
            float expected = baseMargin;
            foreach (var t in specs)
            {
                expected += RandomTrees.Eval(t, x);
            }

            int bits = BitConverter.SingleToInt32Bits(expected);
            if (BitConverter.SingleToInt32Bits(e.Margin(x)) != bits
                || BitConverter.SingleToInt32Bits(e.MarginNodeWalk(x)) != bits
                || BitConverter.SingleToInt32Bits(interleaved.SumLeaves(x, baseMargin)) != bits
                || BitConverter.SingleToInt32Bits(compiled.SumLeavesScalar(x, baseMargin)) != bits
                || BitConverter.SingleToInt32Bits(sixteen.SumLeavesScalar(x, baseMargin)) != bits
                || (Avx2.IsSupported && BitConverter.SingleToInt32Bits(compiled.SumLeavesAvx2(x, baseMargin)) != bits)
                || (Avx2.IsSupported && BitConverter.SingleToInt32Bits(sixteen.SumLeavesAvx2(x, baseMargin)) != bits))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Values where float order is easy to get wrong as integers: signed zeros, infinities, extremes, denormals.</summary>
    private static readonly float[] EdgeValues =
    [
        float.NegativeInfinity, -float.MaxValue, -1e30f, -1f, -float.Epsilon, -0f, 0f, float.Epsilon, 1.5e-39f, 1f, 1e30f, float.MaxValue, float.PositiveInfinity,
    ];

    private static float EdgeOrRandom(Random rng) =>
        rng.Next(3) == 0 ? (float)((rng.NextDouble() - 0.5) * 4) : EdgeValues[rng.Next(EdgeValues.Length)];

    /// <summary>Random trees whose thresholds are edge values (±∞, ±0, extremes) or random ones.</summary>
    private static List<TreeSpec> EdgeTrees(Random rng, int trees, int maxDepth, int features)
    {
        var specs = new List<TreeSpec>();
        for (int t = 0; t < trees; t++)
        {
            var spec = RandomTrees.Tree(rng, maxDepth, features);
            for (int n = 0; n < spec.NodeCount; n++)
            {
                spec.Threshold[n] = EdgeOrRandom(rng);
            }

            specs.Add(spec);
        }

        return specs;
    }

    [Property(MaxTest = 60)]
    public bool Interleaved_walk_equals_the_reference_on_edge_thresholds_and_values(PositiveInt treeCount, NonNegativeInt depth, PositiveInt featureCount, int seed)
    {
        var rng = new Random(seed);
        int trees = 1 + (treeCount.Get % 70); // one to several groups of sixteen, most with a partial last group
        int maxDepth = 1 + (depth.Get % 9);
        int features = 1 + (featureCount.Get % 40); // the event copy has a vector part and a scalar tail
        var specs = EdgeTrees(rng, trees, maxDepth, features);

        float baseMargin = (float)(rng.NextDouble() - 0.5);
        var e = TreeEnsemble.Create(specs, features, baseMargin, TreeOutput.RawMargin);
        var interleaved = e.Interleaved;
        if (interleaved is null)
        {
            return false;
        }

        for (int r = 0; r < 40; r++)
        {
            var x = new float[features];
            for (int i = 0; i < features; i++)
            {
                x[i] = rng.NextDouble() < 0.2 ? float.NaN : EdgeOrRandom(rng);
            }

            float expected = baseMargin;
            foreach (var t in specs)
            {
                expected += RandomTrees.Eval(t, x);
            }

            if (BitConverter.SingleToInt32Bits(interleaved.SumLeaves(x, baseMargin)) != BitConverter.SingleToInt32Bits(expected)
                || BitConverter.SingleToInt32Bits(e.Margin(x)) != BitConverter.SingleToInt32Bits(expected))
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void Ordered_keys_compare_as_the_floats_do()
    {
        var rng = new Random(41);
        var values = new List<float>(EdgeValues);
        for (int i = 0; i < 400; i++)
        {
            values.Add(BitConverter.Int32BitsToSingle(rng.Next(int.MinValue, int.MaxValue)) is var f && float.IsNaN(f) ? 0f : f);
        }

        foreach (float a in values)
        {
            foreach (float b in values)
            {
                Assert.Equal(a < b, InterleavedForest.OrderedKey(a) < InterleavedForest.OrderedKey(b));
            }

            // Missing values sit outside every key: default right above, default left below (−∞ included).
            Assert.True(InterleavedForest.OrderedKey(a) is > int.MinValue and < int.MaxValue);
        }
    }

    [Property(MaxTest = 40)]
    public bool Batch_across_rows_equals_single_events_bit_for_bit(PositiveInt treeCount, NonNegativeInt depth, NonNegativeInt rowCount, bool average, int seed)
    {
        var rng = new Random(seed);
        int trees = 1 + (treeCount.Get % 30);
        int maxDepth = 1 + (depth.Get % 8);
        int rows = rowCount.Get % 45;
        const int features = 7;
        const int stride = 9; // wider than the features: the batch must honour the stride
        var specs = Enumerable.Range(0, trees).Select(_ => RandomTrees.Tree(rng, maxDepth, features)).ToList();
        var e = TreeEnsemble.Create(specs, features, 0.125f, TreeOutput.RawMargin, average ? TreeAggregation.Average : TreeAggregation.Sum);
        var flat = new float[rows * stride];
        for (int r = 0; r < rows; r++)
        {
            RandomTrees.Row(rng, stride, 0.2).CopyTo(flat, r * stride);
        }

        var margins = new float[rows];
        e.MarginBatch(flat, stride, margins);
        var acrossRows = new float[rows];
        e.MarginBatchAcrossRows(flat, stride, acrossRows);
        var direct = new float[rows];
        int done = e.Compiled!.SumLeavesBatchAvx2(flat, stride, direct, 0.125f);
        for (int r = 0; r < rows; r++)
        {
            float expected = e.MarginNodeWalk(flat.AsSpan(r * stride, stride));
            if (BitConverter.SingleToInt32Bits(margins[r]) != BitConverter.SingleToInt32Bits(expected)
                || BitConverter.SingleToInt32Bits(acrossRows[r]) != BitConverter.SingleToInt32Bits(expected))
            {
                return false;
            }

            if (!average && r < done && BitConverter.SingleToInt32Bits(direct[r]) != BitConverter.SingleToInt32Bits(expected))
            {
                return false;
            }
        }

        return done == (Avx2.IsSupported ? rows / 8 * 8 : 0);
    }

    [Property(MaxTest = 60)]
    public bool Leaf_bitvector_batches_equal_the_sequential_reference_bit_for_bit(PositiveInt treeCount, NonNegativeInt depth, PositiveInt featureCount, NonNegativeInt rowCount, bool average, int seed)
    {
        var rng = new Random(seed);
        int trees = 1 + (treeCount.Get % 40);
        int maxDepth = 1 + (depth.Get % 6); // every tree of depth ≤ 6 fits the layout (≤ 32 leaves under each root child)
        int features = 1 + (featureCount.Get % 40);
        int rows = rowCount.Get % 100; // several groups of 32 and a partial one; fewer than MinLeafMaskBatch go row by row
        int stride = features + (seed & 3);
        var specs = EdgeTrees(rng, trees, maxDepth, features);

        float baseMargin = (float)(rng.NextDouble() - 0.5);
        var e = TreeEnsemble.Create(specs, features, baseMargin, TreeOutput.RawMargin, average ? TreeAggregation.Average : TreeAggregation.Sum);
        var flat = new float[(rows * stride) + 1];
        for (int i = 0; i < flat.Length; i++)
        {
            flat[i] = rng.NextDouble() < 0.2 ? float.NaN : EdgeOrRandom(rng);
        }

        var margins = new float[rows];
        e.MarginBatch(flat, stride, margins);
        for (int r = 0; r < rows; r++)
        {
            float acc = average ? 0f : baseMargin;
            foreach (var t in specs)
            {
                acc += RandomTrees.Eval(t, flat.AsSpan(r * stride, features));
            }

            float expected = average ? baseMargin + (acc / trees) : acc;
            if (BitConverter.SingleToInt32Bits(margins[r]) != BitConverter.SingleToInt32Bits(expected))
            {
                return false;
            }
        }

        // The kernel itself, on every count it accepts: 1 to 32 rows.
        var masks = e.LeafMasks;
        if (masks is null)
        {
            return !LeafMaskForest.IsSupported;
        }

        int count = 1 + (rows % LeafMaskForest.Lanes);
        var sums = new float[count];
        var padded = new float[(count * stride) + 1];
        flat.AsSpan(0, Math.Min(flat.Length, padded.Length)).CopyTo(padded);
        masks.SumLeaves(padded, stride, count, 0.25f, sums);
        for (int r = 0; r < count; r++)
        {
            float expected = 0.25f;
            foreach (var t in specs)
            {
                expected += RandomTrees.Eval(t, padded.AsSpan(r * stride, features));
            }

            if (BitConverter.SingleToInt32Bits(sums[r]) != BitConverter.SingleToInt32Bits(expected))
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void Leaf_bitvectors_follow_leaf_values_rewritten_in_place_and_trees_too_wide_for_them_go_row_by_row()
    {
        var rng = new Random(11);
        var specs = Enumerable.Range(0, 24).Select(_ => RandomTrees.Tree(rng, 6, 12)).ToList();
        var e = TreeEnsemble.Create(specs, 12, 0f, TreeOutput.RawMargin);
        var rows = Enumerable.Range(0, 40).SelectMany(_ => RandomTrees.Row(rng, 12, 0.1)).ToArray();
        var margins = new float[40];
        e.MarginBatch(rows, 12, margins);
        Assert.Equal(LeafMaskForest.IsSupported, e.LeafMasks is not null);

        var values = new float[e.NodeCount];
        for (int n = 0; n < values.Length; n++)
        {
            values[n] = (float)(rng.NextDouble() * 4 - 2);
        }

        e.OverwriteLeafValues(values);
        AssertBatchEqualsWalk(e);

        // Depth 7 and no early leaves: 64 leaves under each child of the root, more than a 32-bit set holds.
        var deep = TreeEnsemble.Create([RandomTrees.Tree(rng, 7, 12, 0.0)], 12, 0f, TreeOutput.RawMargin);
        AssertBatchEqualsWalk(deep);
        Assert.Null(deep.LeafMasks);

        void AssertBatchEqualsWalk(TreeEnsemble ensemble)
        {
            ensemble.MarginBatch(rows, 12, margins);
            for (int r = 0; r < 40; r++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(ensemble.MarginNodeWalk(rows.AsSpan(r * 12, 12))), BitConverter.SingleToInt32Bits(margins[r]));
            }
        }
    }

    [Fact]
    public void The_batch_layout_is_built_once_on_first_use_even_when_threads_race_for_it()
    {
        var rng = new Random(8);
        var specs = Enumerable.Range(0, 20).Select(_ => RandomTrees.Tree(rng, 5, 6)).ToList();
        var e = TreeEnsemble.Create(specs, 6, 0f, TreeOutput.RawMargin);
        var rows = Enumerable.Range(0, 16).SelectMany(_ => RandomTrees.Row(rng, 6, 0.1)).ToArray();
        var results = new float[4][];
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            results[t] = new float[16];
            e.MarginBatchAcrossRows(rows, 6, results[t]);
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(30))));
        var first = e.Compiled;
        Assert.NotNull(first);
        Assert.Same(first, e.Compiled);
        for (int r = 0; r < 16; r++)
        {
            float expected = e.MarginNodeWalk(rows.AsSpan(r * 6, 6));
            Assert.All(results, m => Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(m[r])));
        }

        var walkOnly = TreeEnsemble.Create(specs, 6, 0f, TreeOutput.RawMargin, compile: false);
        Assert.Null(walkOnly.Compiled);
        Assert.Null(walkOnly.Interleaved);
        Assert.False(walkOnly.IsCompiled);
    }

    [Fact]
    public void Average_aggregation_is_the_mean_of_leaves_plus_base()
    {
        var rng = new Random(3);
        var specs = Enumerable.Range(0, 13).Select(_ => RandomTrees.Tree(rng, 5, 6)).ToList();
        var e = TreeEnsemble.Create(specs, 6, 0.5f, TreeOutput.RawMargin, TreeAggregation.Average);
        for (int r = 0; r < 100; r++)
        {
            var x = RandomTrees.Row(rng, 6, 0.1);
            float sum = 0;
            foreach (var t in specs)
            {
                sum += RandomTrees.Eval(t, x);
            }

            Assert.Equal(0.5f + (sum / 13), e.Margin(x));
            Assert.Equal(0.5f + (sum / 13), e.MarginNodeWalk(x));
        }
    }

    [Fact]
    public void Split_is_strict_and_missing_follows_default_direction()
    {
        // One stump on feature 0 at 1.0; left leaf -1, right leaf +1, missing goes left.
        var stump = new TreeSpec([1, -1, -1], [2, -1, -1], [0, 0, 0], [1f, 0, 0], [true, false, false], [0, -1f, 1f]);
        var e = TreeEnsemble.Create([stump], 1, 0f, TreeOutput.RawMargin);
        Assert.Equal(-1f, e.Margin([0.999f]));
        Assert.Equal(1f, e.Margin([1f]));
        Assert.Equal(-1f, e.Margin([float.NaN]));
        Assert.Equal(-1f, e.Margin([float.NegativeInfinity]));
        Assert.Equal(1f, e.Margin([float.PositiveInfinity]));
    }

    [Fact]
    public void Deep_trees_fall_back_to_the_node_walk()
    {
        var rng = new Random(1);
        var specs = new List<TreeSpec> { RandomTrees.Tree(rng, TreeEnsemble.MaxCompiledDepth + 2, 4, leafEarly: 0.0) };
        var e = TreeEnsemble.Create(specs, 4, 0f, TreeOutput.RawMargin);
        Assert.False(e.IsCompiled);
        var x = RandomTrees.Row(rng, 4, 0.1);
        Assert.Equal(RandomTrees.Eval(specs[0], x), e.Margin(x));
    }

    [Fact]
    public void Short_feature_vector_is_a_clear_error()
    {
        var rng = new Random(1);
        var e = TreeEnsemble.Create([RandomTrees.Tree(rng, 3, 5, 0.0)], 5, 0f, TreeOutput.RawMargin);
        var ex = Assert.Throws<ArgumentException>(() => e.Margin(new float[4]));
        Assert.Contains("features", ex.Message);
    }

    [Fact]
    public void Margin_does_not_allocate_in_steady_state()
    {
        var rng = new Random(2);
        var specs = Enumerable.Range(0, 100).Select(_ => RandomTrees.Tree(rng, 6, 20)).ToList();
        var e = TreeEnsemble.Create(specs, 20, 0f, TreeOutput.LogisticFloat32);
        var x = RandomTrees.Row(rng, 20, 0.1);
        var rows = Enumerable.Range(0, 8).SelectMany(_ => RandomTrees.Row(rng, 20, 0.1)).ToArray();
        var margins = new float[8];
        float sink = 0;
        for (int i = 0; i < 200; i++)
        {
            sink += e.Predict(x) + e.MarginNodeWalk(x);
            e.MarginBatch(rows, 20, margins);
            e.MarginBatchAcrossRows(rows, 20, margins);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            sink += e.Predict(x) + e.MarginNodeWalk(x);
            e.MarginBatch(rows, 20, margins);
            e.MarginBatchAcrossRows(rows, 20, margins);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.False(float.IsNaN(sink));
    }

    public static TheoryData<string, TreeSpec> BadTrees => new()
    {
        { "right_children has 2 entries", new TreeSpec([1, -1, -1], [2, -1], [0, 0, 0], [0, 0, 0], [false, false, false], [0, 0, 0]) },
        { "left_children[0] = 7 is out of range", new TreeSpec([7, -1, -1], [2, -1, -1], [0, 0, 0], [0, 0, 0], [false, false, false], [0, 0, 0]) },
        { "right_children[0] = -3 is out of range", new TreeSpec([1, -1, -1], [-3, -1, -1], [0, 0, 0], [0, 0, 0], [false, false, false], [0, 0, 0]) },
        { "reached twice", new TreeSpec([1, 2, -1], [2, 0, -1], [0, 0, 0], [0, 0, 0], [false, false, false], [0, 0, 0]) },
        { "points to itself", new TreeSpec([0, -1, -1], [2, -1, -1], [0, 0, 0], [0, 0, 0], [false, false, false], [0, 0, 0]) },
        { "node 3 is not reachable", new TreeSpec([1, -1, -1, -1], [2, -1, -1, -1], [0, 0, 0, 0], [0, 0, 0, 0], [false, false, false, false], [0, 0, 0, 0]) },
        { "split_indices[0] = 9 is out of range", new TreeSpec([1, -1, -1], [2, -1, -1], [9, 0, 0], [0, 0, 0], [false, false, false], [0, 0, 0]) },
        { "split_conditions[0] is NaN", new TreeSpec([1, -1, -1], [2, -1, -1], [0, 0, 0], [float.NaN, 0, 0], [false, false, false], [0, 0, 0]) },
        { "leaf value[2]", new TreeSpec([1, -1, -1], [2, -1, -1], [0, 0, 0], [0, 0, 0], [false, false, false], [0, 0, float.PositiveInfinity]) },
    };

    [Theory]
    [MemberData(nameof(BadTrees))]
    public void Malformed_trees_are_rejected_naming_the_field(string expectedMessage, TreeSpec bad)
    {
        var ex = Assert.Throws<ModelFormatException>(() => TreeEnsemble.Create([bad], 3, 0f, TreeOutput.RawMargin));
        Assert.Contains(expectedMessage, ex.Message);
    }
}
