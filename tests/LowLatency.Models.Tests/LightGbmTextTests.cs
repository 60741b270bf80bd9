using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Xunit;
using LowLatency.Models.Import;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests;

public sealed class LightGbmTextTests
{
    private static string Path(string name) => System.IO.Path.Combine(Fixtures.Dir, "lightgbm", name);

    /// <summary>Rows of a hand-worked expected file: feature columns (empty = missing), then margin, then a note.</summary>
    private static List<(float[] X, double Margin)> Expected(string name, int features)
    {
        var rows = new List<(float[], double)>();
        foreach (var line in File.ReadAllLines(Path(name)).Skip(1))
        {
            var cells = line.Split(',');
            var x = cells.Take(features).Select(c => c.Length == 0 ? float.NaN : float.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            rows.Add((x, double.Parse(cells[features], CultureInfo.InvariantCulture)));
        }

        return rows;
    }

    [Theory]
    [InlineData("binary_numeric", 3, TreeOutput.Logistic)]
    [InlineData("regression_categorical", 4, TreeOutput.RawMargin)]
    [InlineData("forest_sigmoid2", 1, TreeOutput.Logistic)]
    public void Hand_written_models_give_the_hand_worked_margins(string name, int features, TreeOutput output)
    {
        var model = LightGbmText.Load(Path(name + ".txt"));
        Assert.Equal(features, model.FeatureCount);
        Assert.Equal(output, model.Output);
        var rows = Expected(name + ".expected.csv", features);
        Assert.NotEmpty(rows);
        foreach (var (x, margin) in rows)
        {
            // Leaf values are dyadic, so the float sum is exact: equality, not tolerance.
            Assert.Equal(margin, model.Margin(x));
            Assert.Equal(margin, model.MarginNodeWalk(x));
            double expectedPrediction = output == TreeOutput.Logistic ? 1.0 / (1.0 + Math.Exp(-margin)) : margin;
            Assert.Equal((float)expectedPrediction, model.Predict(x));
        }
    }

    [Fact]
    public void Feature_names_and_forest_mode_are_read_from_the_header()
    {
        var cat = LightGbmText.Load(Path("regression_categorical.txt"));
        Assert.Equal(["amount", "mcc", "country", "hour"], cat.FeatureNames);
        Assert.False(cat.IsCompiled); // categorical splits need the general walk
        var forest = LightGbmText.Load(Path("forest_sigmoid2.txt"));
        Assert.Equal(TreeAggregation.Average, forest.Aggregation);
        Assert.True(LightGbmText.Load(Path("binary_numeric.txt")).TreeCount == 4);
    }

    [Fact]
    public void Contributions_of_imported_categorical_trees_sum_to_the_margin()
    {
        var model = LightGbmText.Load(Path("regression_categorical.txt"));
        var c = new float[4];
        foreach (var (x, margin) in Expected("regression_categorical.expected.csv", 4))
        {
            double sum = model.Contributions(x, c) + c.Sum(v => (double)v);
            Assert.Equal(margin, sum, 1e-5);
            Assert.Equal(0f, c[3]); // "hour" is never split on
        }
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0000000000000002)]
    [InlineData(-0.3)]
    [InlineData(0.1)]
    [InlineData(1e-40)]
    [InlineData(-1e-40)]
    [InlineData(0.0)]
    [InlineData(3.4e38)]
    [InlineData(1e300)]
    public void Threshold_conversion_keeps_less_or_equal_for_every_nearby_float(double t)
    {
        float strict = LightGbmText.StrictFloatAbove(t);
        float f = (float)t;
        for (int step = -3; step <= 3; step++)
        {
            float x = f;
            for (int k = 0; k < Math.Abs(step); k++)
            {
                x = step > 0 ? MathF.BitIncrement(x) : MathF.BitDecrement(x);
            }

            Assert.Equal(x <= t, x < strict);
        }
    }

    // --- Random models against a naive double evaluator of LightGBM's documented decision rules. ---

    private sealed record Node(int Feature, double Threshold, int DecisionType, int Left, int Right, uint[]? Cats);

    private static bool NaiveGoesLeft(Node n, float xf)
    {
        double x = xf;
        if ((n.DecisionType & 1) != 0)
        {
            if (double.IsNaN(x))
            {
                return false;
            }

            int c = (int)x;
            if (c < 0)
            {
                return false;
            }

            return (c / 32) < n.Cats!.Length && ((n.Cats[c / 32] >> (c % 32)) & 1) != 0;
        }

        int missing = (n.DecisionType >> 2) & 3;
        bool defaultLeft = (n.DecisionType & 2) != 0;
        if (double.IsNaN(x) && missing != 2)
        {
            x = 0;
        }

        if ((missing == 1 && x >= -1e-35f && x <= 1e-35f) || (missing == 2 && double.IsNaN(x)))
        {
            return defaultLeft;
        }

        return x <= n.Threshold;
    }

    private static double NaiveTree(List<Node> nodes, double[] leaves, float[] x)
    {
        if (nodes.Count == 0)
        {
            return leaves[0];
        }

        int i = 0;
        while (true)
        {
            int next = NaiveGoesLeft(nodes[i], x[nodes[i].Feature]) ? nodes[i].Left : nodes[i].Right;
            if (next < 0)
            {
                return leaves[~next];
            }

            i = next;
        }
    }

    private static string Join<T>(IEnumerable<T> values) => string.Join(' ', values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));

    [Property(MaxTest = 80)]
    public bool Random_models_match_a_naive_evaluator_of_the_format(int seed)
    {
        var rng = new Random(seed);
        const int features = 5;
        int treeCount = 1 + rng.Next(12);
        var sb = new StringBuilder();
        sb.Append("tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=4\nobjective=regression\n\n");
        var trees = new List<(List<Node>, double[])>();
        for (int t = 0; t < treeCount; t++)
        {
            int leavesCount = 1 + rng.Next(10);
            var nodes = new List<Node>();
            var leaves = Enumerable.Range(0, leavesCount).Select(_ => Math.Round((rng.NextDouble() - 0.5) * 64) / 64).ToArray();
            // Grow by splitting a random leaf, as LightGBM does: children refer to internal nodes or ~leaf.
            var cats = new List<uint[]>();
            for (int k = 0; k < leavesCount - 1; k++)
            {
                int dt = rng.Next(4) == 0 ? (1 | (rng.Next(2) == 0 ? 8 : 0)) : new[] { 0, 2, 4, 6, 8, 10 }[rng.Next(6)];
                uint[]? set = null;
                double thr = (rng.Next(-8, 9) / 4.0) + (rng.Next(3) == 0 ? 1e-9 * (rng.Next(3) - 1) : 0);
                if ((dt & 1) != 0)
                {
                    set = Enumerable.Range(0, 1 + rng.Next(2)).Select(_ => (uint)rng.NextInt64(0, uint.MaxValue)).ToArray();
                    thr = cats.Count;
                    cats.Add(set);
                }

                nodes.Add(new Node(rng.Next(features), thr, dt, ~k, ~(k + 1), set));
            }

            // Re-link into a valid tree: node k splits the leaf produced earlier.
            var linked = new List<Node>();
            var leafOwner = new Dictionary<int, (int Node, bool Left)>();
            for (int k = 0; k < nodes.Count; k++)
            {
                int splitLeaf = k == 0 ? 0 : rng.Next(k + 1);
                int newLeaf = k + 1;
                var n = nodes[k] with { Left = ~splitLeaf, Right = ~newLeaf };
                linked.Add(n);
                if (k > 0)
                {
                    var (owner, isLeft) = leafOwner[splitLeaf];
                    linked[owner] = isLeft ? linked[owner] with { Left = k } : linked[owner] with { Right = k };
                }

                leafOwner[splitLeaf] = (k, true);
                leafOwner[newLeaf] = (k, false);
            }

            trees.Add((linked, leaves));
            sb.Append(CultureInfo.InvariantCulture, $"Tree={t}\nnum_leaves={leavesCount}\nnum_cat={cats.Count}\n");
            sb.Append(CultureInfo.InvariantCulture, $"split_feature={Join(linked.Select(n => n.Feature))}\n");
            sb.Append(CultureInfo.InvariantCulture, $"threshold={Join(linked.Select(n => n.Threshold.ToString("R", CultureInfo.InvariantCulture)))}\n");
            sb.Append(CultureInfo.InvariantCulture, $"decision_type={Join(linked.Select(n => n.DecisionType))}\n");
            sb.Append(CultureInfo.InvariantCulture, $"left_child={Join(linked.Select(n => n.Left))}\nright_child={Join(linked.Select(n => n.Right))}\n");
            sb.Append(CultureInfo.InvariantCulture, $"leaf_value={Join(leaves.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}\n");
            if (cats.Count > 0)
            {
                var bounds = new List<int> { 0 };
                foreach (var c in cats)
                {
                    bounds.Add(bounds[^1] + c.Length);
                }

                sb.Append(CultureInfo.InvariantCulture, $"cat_boundaries={Join(bounds)}\ncat_threshold={Join(cats.SelectMany(c => c))}\n");
            }

            sb.Append("shrinkage=0.1\n\n\n");
        }

        sb.Append("end of trees\n");
        var model = LightGbmText.Parse(sb.ToString());
        for (int r = 0; r < 60; r++)
        {
            var x = new float[features];
            for (int f = 0; f < features; f++)
            {
                int kind = rng.Next(8);
                x[f] = kind switch
                {
                    0 => float.NaN,
                    1 => 0f,
                    2 => rng.Next(-8, 9) / 4f,
                    3 => MathF.BitIncrement(rng.Next(-8, 9) / 4f),
                    4 => MathF.BitDecrement(rng.Next(-8, 9) / 4f),
                    5 => rng.Next(0, 70),
                    6 => 1e-36f * (rng.Next(3) - 1),
                    _ => (float)((rng.NextDouble() * 6) - 3),
                };
            }

            double expected = trees.Sum(tr => NaiveTree(tr.Item1, tr.Item2, x));
            if (Math.Abs(model.Margin(x) - expected) > 1e-5 || Math.Abs(model.MarginNodeWalk(x) - expected) > 1e-5)
            {
                return false;
            }
        }

        return true;
    }

    // --- Malformed files ---

    private static string Good => File.ReadAllText(Path("binary_numeric.txt"));

    public static TheoryData<string, string, string> Corruptions => new()
    {
        { "tree\n", "xgboost\n", "not a LightGBM text model" },
        { "num_class=1", "num_class=3", "num_class = 3" },
        { "max_feature_idx=2\n", "", "max_feature_idx is missing" },
        { "objective=binary sigmoid:1", "objective=multiclass num_class:3", "objective = 'multiclass" },
        { "objective=binary sigmoid:1", "objective=binary sigmoid:-1", "sigmoid must be a positive number" },
        { "feature_names=f0 f1 f2", "feature_names=f0 f1", "feature_names has 2 names" },
        { "threshold=0.5 1.0000000000000002", "threshold=0.5 abc", "Tree=0.threshold[1] = 'abc' is not a number" },
        { "left_child=1 -2", "left_child=1", "Tree=0.left_child has 1 entries; 2 expected" },
        { "left_child=1 -2", "left_child=1 -7", "Tree=0.left_child[1] = -7 names leaf 6, but num_leaves = 3" },
        { "left_child=1 -2", "left_child=0 -2", "Tree=0.left_child[0] = 0 is not an internal node" },
        { "split_feature=0 1", "split_feature=0 9", "Tree=0.split_feature[1] = 9 is out of range" },
        { "decision_type=0 10", "decision_type=0 14", "Tree=0.decision_type[1] = 14" },
        { "decision_type=0 10", "decision_type=0 1", "Tree=0.threshold[1] = 1.0000000000000002 is not a category-set index" },
        { "leaf_value=0.5 -0.25 0.125", "leaf_value=0.5 -0.25", "Tree=0.leaf_value has 2 entries; 3 expected" },
        { "leaf_value=-1 1", "leaf_value=-1 1e999", "Tree=1.leaf_value[1] is not finite" },
        { "num_leaves=3", "num_leaves=0", "Tree=0.num_leaves = 0" },
        { "Tree=1\n", "Tree=5\n", "Tree=5: expected Tree=1" },
        { "end of trees", "end of tress", "end of trees: the marker is missing" },
        { "is_linear=0\nshrinkage=1\n", "is_linear=1\nshrinkage=1\n", "Tree=0.is_linear = 1" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Malformed_models_are_rejected_naming_the_field(string find, string replace, string message)
    {
        string good = Good;
        Assert.Contains(find, good, StringComparison.Ordinal);
        int at = good.IndexOf(find, StringComparison.Ordinal);
        string bad = string.Concat(good.AsSpan(0, at), replace, good.AsSpan(at + find.Length));
        var ex = Assert.Throws<ModelFormatException>(() => LightGbmText.Parse(bad));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_category_tables_are_rejected()
    {
        string text = File.ReadAllText(Path("regression_categorical.txt"));
        Assert.Contains("cat_boundaries[2] = 4", Assert.Throws<ModelFormatException>(() => LightGbmText.Parse(text.Replace("cat_boundaries=0 1 3", "cat_boundaries=0 1 4", StringComparison.Ordinal))).Message);
        Assert.Contains("cat_threshold[1] = '-1'", Assert.Throws<ModelFormatException>(() => LightGbmText.Parse(text.Replace("cat_threshold=42 1 258", "cat_threshold=42 -1 258", StringComparison.Ordinal))).Message);
        Assert.Contains("threshold[1] = 2 is not a category-set index", Assert.Throws<ModelFormatException>(() => LightGbmText.Parse(text.Replace("threshold=0 1\n", "threshold=0 2\n", StringComparison.Ordinal))).Message);
    }

    [Property(MaxTest = 200)]
    public bool Every_truncation_fails_cleanly_or_loads_a_complete_prefix(PositiveInt cut)
    {
        string good = Good;
        string bad = good[..(cut.Get % good.Length)];
        try
        {
            LightGbmText.Parse(bad);
            return bad.Contains("end of trees", StringComparison.Ordinal);
        }
        catch (ModelFormatException)
        {
            return true;
        }
    }
}
