using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace LowLatency.Models.Trees;

/// <summary>
/// An immutable ensemble of decision trees (gradient boosted or random forest) in flat struct-of-arrays
/// form. Every node of every tree lives in the same arrays; children are absolute indices. When the trees
/// use only numeric splits and are at most <see cref="MaxCompiledDepth"/> deep, a complete-tree layout is
/// also built: <see cref="InterleavedForest"/> walks sixteen trees at once with scalar loads (the single-event
/// evaluator behind <see cref="Margin"/> and <see cref="MarginBatch"/>). <see cref="CompiledForest"/>, eight rows
/// at once with AVX2 gathers, is built on the first <see cref="MarginBatchAcrossRows"/>.
/// Accumulation matches XGBoost: margin = base margin, then each tree's leaf added in tree order, in float.
/// </summary>
public sealed partial class TreeEnsemble
{
    /// <summary>Largest depth for which the complete-tree SIMD layout is built.</summary>
    public const int MaxCompiledDepth = 12;

    private const byte FlagDefaultLeft = 1;
    private const byte FlagZeroMissing = 2;
    private const byte FlagCategorical = 4;
    private const float ZeroThreshold = 1e-35f;

    private readonly int[] _treeRoot;
    private readonly int[] _feature;
    private readonly float[] _threshold;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly byte[] _flags;
    private readonly float[] _value;
    private readonly float[] _nodeMean;
    private readonly float[] _weight;
    private uint[][] _categories;
    private InterleavedForest? _interleaved;
    private bool _compile;
    private StrongBox<CompiledForest?>? _acrossRows; // built on first use; the box records a failed build too
    private StrongBox<LeafMaskForest?>? _leafMasks; // likewise, for MarginBatch
    private readonly int[] _categoryIndex;

    private TreeEnsemble(int treeCount, int nodeCount, int featureCount, float baseMargin, TreeOutput output, TreeAggregation aggregation)
    {
        TreeCount = treeCount;
        FeatureCount = featureCount;
        BaseMargin = baseMargin;
        Output = output;
        Aggregation = aggregation;
        _treeRoot = new int[treeCount];
        _feature = new int[nodeCount];
        _threshold = new float[nodeCount];
        _left = new int[nodeCount];
        _right = new int[nodeCount];
        _flags = new byte[nodeCount];
        _value = new float[nodeCount];
        _nodeMean = new float[nodeCount];
        _weight = new float[nodeCount];
        _categoryIndex = new int[nodeCount];
        _categories = [];
    }

    /// <summary>Number of trees.</summary>
    public int TreeCount { get; }

    /// <summary>Total number of nodes over all trees.</summary>
    public int NodeCount => _feature.Length;

    /// <summary>Number of input features the ensemble reads (highest split feature + 1, or as declared).</summary>
    public int FeatureCount { get; }

    /// <summary>Base margin (in margin space) the leaves are added to.</summary>
    public float BaseMargin { get; }

    /// <summary>How the margin maps to the prediction.</summary>
    public TreeOutput Output { get; }

    /// <summary>How leaves combine.</summary>
    public TreeAggregation Aggregation { get; }

    /// <summary>Feature names the trees were trained on, when the source recorded them (else empty).</summary>
    public IReadOnlyList<string> FeatureNames { get; private set; } = [];

    /// <summary>Deepest root-to-leaf path (number of splits).</summary>
    public int MaxDepth { get; private set; }

    /// <summary>True when a complete-tree layout, not the node walk, evaluates <see cref="Margin"/>.</summary>
    public bool IsCompiled => _interleaved is not null || Compiled is not null;

    /// <summary>
    /// Validates and flattens the trees. Throws <see cref="ModelFormatException"/> naming the tree, field and
    /// node for wrong array lengths, child indices out of range, nodes reached twice (cycles or shared
    /// subtrees), unreachable nodes, feature indices out of range, NaN thresholds or non-finite leaves.
    /// </summary>
    /// <param name="trees">Trees in evaluation order.</param>
    /// <param name="featureCount">Declared number of features; 0 = infer from the splits.</param>
    /// <param name="baseMargin">Base margin in margin space.</param>
    /// <param name="output">Output transform.</param>
    /// <param name="aggregation">Sum (boosting) or average (forest).</param>
    /// <param name="compile">Build the complete-tree layouts when the trees allow it (false: node walk only).</param>
    /// <param name="featureNames">Optional names of the features (count must equal the feature count).</param>
    public static TreeEnsemble Create(IReadOnlyList<TreeSpec> trees, int featureCount, float baseMargin, TreeOutput output,
        TreeAggregation aggregation = TreeAggregation.Sum, bool compile = true, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(trees);
        if (trees.Count == 0)
        {
            throw new ModelFormatException("trees: the ensemble has no trees.");
        }

        if (!float.IsFinite(baseMargin))
        {
            throw new ModelFormatException($"base_score: margin {baseMargin} is not finite.");
        }

        int total = 0;
        int maxFeature = -1;
        for (int t = 0; t < trees.Count; t++)
        {
            ValidateShape(trees[t], t, featureCount, ref maxFeature);
            total += trees[t].NodeCount;
        }

        int features = featureCount > 0 ? featureCount : maxFeature + 1;
        if (featureNames is { Count: > 0 } && featureNames.Count != features)
        {
            throw new ModelFormatException($"feature_names has {featureNames.Count} entries; the model reads {features} features.");
        }

        var e = new TreeEnsemble(trees.Count, total, features, baseMargin, output, aggregation);
        e.Fill(trees);
        e.FeatureNames = featureNames is { Count: > 0 } ? [.. featureNames] : [];
        e._compile = compile;
        if (compile)
        {
            e._interleaved = InterleavedForest.TryBuild(e);
        }

        return e;
    }

    private static void ValidateShape(TreeSpec tree, int t, int featureCount, ref int maxFeature)
    {
        int n = tree.NodeCount;
        if (n == 0)
        {
            throw new ModelFormatException($"trees[{t}].left_children: the tree has no nodes.");
        }

        CheckLength(tree.Right.Length, n, t, "right_children");
        CheckLength(tree.Feature.Length, n, t, "split_indices");
        CheckLength(tree.Threshold.Length, n, t, "split_conditions");
        CheckLength(tree.DefaultLeft.Length, n, t, "default_left");
        CheckLength(tree.LeafValue.Length, n, t, "leaf values");
        if (tree.Cover is not null)
        {
            CheckLength(tree.Cover.Length, n, t, "sum_hessian");
        }

        if (tree.ZeroIsMissing is not null)
        {
            CheckLength(tree.ZeroIsMissing.Length, n, t, "missing type");
        }

        if (tree.CategorySets is not null)
        {
            CheckLength(tree.CategorySets.Length, n, t, "categories");
        }

        var seen = new bool[n];
        seen[0] = true;
        // Visiting in index order is not enough for arbitrary layouts, so walk from the root with a stack;
        // a node reached twice means a cycle or a shared subtree, both rejected.
        var stack = new Stack<(int Node, int Depth)>();
        stack.Push((0, 0));
        while (stack.Count > 0)
        {
            var (i, depth) = stack.Pop();
            if (depth > 64)
            {
                throw new ModelFormatException($"trees[{t}]: depth exceeds 64 at node {i}.");
            }

            int l = tree.Left[i];
            int r = tree.Right[i];
            if (l == -1 && r == -1)
            {
                if (!float.IsFinite(tree.LeafValue[i]))
                {
                    throw new ModelFormatException($"trees[{t}].leaf value[{i}] = {tree.LeafValue[i].ToString(System.Globalization.CultureInfo.InvariantCulture)} is not finite.");
                }

                continue;
            }

            CheckChild(l, n, t, i, "left_children");
            CheckChild(r, n, t, i, "right_children");
            int f = tree.Feature[i];
            if (f < 0 || (featureCount > 0 && f >= featureCount))
            {
                throw new ModelFormatException($"trees[{t}].split_indices[{i}] = {f} is out of range [0, {(featureCount > 0 ? featureCount : int.MaxValue)}).");
            }

            maxFeature = Math.Max(maxFeature, f);
            bool categorical = tree.CategorySets?[i] is not null;
            if (!categorical && float.IsNaN(tree.Threshold[i]))
            {
                throw new ModelFormatException($"trees[{t}].split_conditions[{i}] is NaN.");
            }

            foreach (int c in (ReadOnlySpan<int>)[l, r])
            {
                if (seen[c])
                {
                    throw new ModelFormatException($"trees[{t}]: node {c} is reached twice (cycle or shared subtree) from node {i}.");
                }

                seen[c] = true;
                stack.Push((c, depth + 1));
            }
        }

        int unreachable = Array.IndexOf(seen, false);
        if (unreachable >= 0)
        {
            throw new ModelFormatException($"trees[{t}]: node {unreachable} is not reachable from the root.");
        }
    }

    private static void CheckLength(int actual, int expected, int t, string field)
    {
        if (actual != expected)
        {
            throw new ModelFormatException($"trees[{t}].{field} has {actual} entries; left_children has {expected}.");
        }
    }

    private static void CheckChild(int child, int n, int t, int node, string field)
    {
        if (child < 0 || child >= n)
        {
            throw new ModelFormatException($"trees[{t}].{field}[{node}] = {child} is out of range [0, {n}).");
        }

        if (child == node)
        {
            throw new ModelFormatException($"trees[{t}].{field}[{node}] points to itself (cycle).");
        }
    }

    private void Fill(IReadOnlyList<TreeSpec> trees)
    {
        var categories = new List<uint[]>();
        int offset = 0;
        int maxDepth = 0;
        for (int t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            _treeRoot[t] = offset;
            for (int i = 0; i < tree.NodeCount; i++)
            {
                int g = offset + i;
                bool leaf = tree.Left[i] == -1;
                _left[g] = leaf ? -1 : tree.Left[i] + offset;
                _right[g] = leaf ? -1 : tree.Right[i] + offset;
                _feature[g] = leaf ? -1 : tree.Feature[i];
                _threshold[g] = tree.Threshold[i];
                _value[g] = leaf ? tree.LeafValue[i] : 0f;
                _categoryIndex[g] = -1;
                byte flags = 0;
                if (!leaf && tree.DefaultLeft[i])
                {
                    flags |= FlagDefaultLeft;
                }

                if (!leaf && tree.ZeroIsMissing is { } zm && zm[i])
                {
                    flags |= FlagZeroMissing;
                }

                if (!leaf && tree.CategorySets?[i] is { } set)
                {
                    flags |= FlagCategorical;
                    _categoryIndex[g] = categories.Count;
                    categories.Add((uint[])set.Clone());
                }

                _flags[g] = flags;
            }

            maxDepth = Math.Max(maxDepth, ComputeMeans(offset, offset, tree.Cover, 0, out _));
            offset += tree.NodeCount;
        }

        MaxDepth = maxDepth;
        _categories = [.. categories];
    }

    /// <summary>Fills cover-weighted node means bottom-up (Saabas needs a value at every node); returns subtree depth.</summary>
    private int ComputeMeans(int node, int offset, float[]? cover, int depth, out double weight)
    {
        if (_left[node] < 0)
        {
            _nodeMean[node] = _value[node];
            weight = cover is null ? 1.0 : Math.Max(cover[node - offset], 0.0);
            _weight[node] = (float)weight;
            return depth;
        }

        int dl = ComputeMeans(_left[node], offset, cover, depth + 1, out double wl);
        int dr = ComputeMeans(_right[node], offset, cover, depth + 1, out double wr);
        double wsum = wl + wr;
        _nodeMean[node] = wsum > 0
            ? (float)(((_nodeMean[_left[node]] * wl) + (_nodeMean[_right[node]] * wr)) / wsum)
            : (float)((_nodeMean[_left[node]] + (double)_nodeMean[_right[node]]) / 2);
        weight = cover is null ? wsum : Math.Max(cover[node - offset], 0.0);
        _weight[node] = (float)weight;
        return Math.Max(dl, dr);
    }

    /// <summary>Margin of one event. <paramref name="features"/> must hold at least <see cref="FeatureCount"/> values; NaN = missing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Margin(ReadOnlySpan<float> features)
    {
        if (features.Length < FeatureCount)
        {
            ThrowShort(features.Length, FeatureCount);
        }

        float start = Aggregation == TreeAggregation.Sum ? BaseMargin : 0f;
        return _interleaved is { } i ? Finish(i.SumLeaves(features, start))
            : Compiled is { } c ? Finish(c.SumLeaves(features, start)) // wider than InterleavedForest.MaxFeatures
            : MarginNodeWalk(features);
    }

    /// <summary>Prediction of one event: the margin, or its sigmoid for logistic outputs.</summary>
    public float Predict(ReadOnlySpan<float> features)
    {
        float m = Margin(features);
        return Transform(m);
    }

    /// <summary>Margins of a batch of rows stored row-major with <paramref name="stride"/> floats per row.</summary>
    public void MarginBatch(ReadOnlySpan<float> rows, int stride, Span<float> margins)
    {
        if (stride < FeatureCount || (long)stride * margins.Length > rows.Length)
        {
            ThrowBatch(rows.Length, stride, margins.Length);
        }

        int r = 0;
        if (ScoresAcrossRows(margins.Length) && LeafMasks is { } masks)
        {
            // Thirty-two rows a call across rows by leaf bitvectors (see perf/RESULTS.md, tenth session).
            float start = Aggregation == TreeAggregation.Sum ? BaseMargin : 0f;
            for (; r < margins.Length; r += LeafMaskForest.Lanes)
            {
                int count = Math.Min(LeafMaskForest.Lanes, margins.Length - r);
                Span<float> group = margins.Slice(r, count);
                masks.SumLeaves(rows[(r * stride)..], stride, count, start, group);
                if (Aggregation != TreeAggregation.Sum)
                {
                    for (int i = 0; i < count; i++)
                    {
                        group[i] = Finish(group[i]);
                    }
                }
            }
        }

        // Row by row with the across-trees kernel otherwise: measured faster here than the across-rows gather kernel
        // (MarginBatchAcrossRows), see perf/results/models.md.
        for (; r < margins.Length; r++)
        {
            margins[r] = Margin(rows.Slice(r * stride, stride));
        }
    }

    /// <summary>Whether <see cref="MarginBatch"/> scores groups of rows across rows by leaf bitvectors here (AVX-512, and at most 32 leaves under each child of every root), rather than row by row.</summary>
    public bool ScoresBatchesAcrossRows => LeafMasks is not null;

    /// <summary>Fewest rows <see cref="MarginBatch"/> evaluates by leaf bitvectors (a call costs the same for 1 row as for 32).</summary>
    public const int MinLeafMaskBatch = 8;

    /// <summary>Whether <see cref="MarginBatch"/> of <paramref name="rows"/> rows scores them across rows (see <see cref="ScoresBatchesAcrossRows"/>) rather than row by row.</summary>
    public bool ScoresAcrossRows(int rows) => rows >= MinLeafMaskBatch && ScoresBatchesAcrossRows;

    /// <summary>
    /// Same result as <see cref="MarginBatch"/>, evaluated across rows: each AVX2 lane is one row, one tree at
    /// a time, so every margin still gets its leaves in tree order and is bit-identical to <see cref="Margin"/>.
    /// </summary>
    public void MarginBatchAcrossRows(ReadOnlySpan<float> rows, int stride, Span<float> margins)
    {
        if (stride < FeatureCount || (long)stride * margins.Length > rows.Length)
        {
            ThrowBatch(rows.Length, stride, margins.Length);
        }

        int done = 0;
        if (Compiled is { } c)
        {
            float start = Aggregation == TreeAggregation.Sum ? BaseMargin : 0f;
            done = c.SumLeavesBatchAvx2(rows, stride, margins, start);
            if (Aggregation != TreeAggregation.Sum)
            {
                for (int r = 0; r < done; r++)
                {
                    margins[r] = Finish(margins[r]);
                }
            }
        }

        for (int r = done; r < margins.Length; r++)
        {
            margins[r] = Margin(rows.Slice(r * stride, stride));
        }
    }

    /// <summary>Rebuilds the complete-tree layout with a given lane count (tests and benchmarks compare 8 and 16).</summary>
    internal CompiledForest? CompileWithLanes(int lanes) => CompiledForest.TryBuild(this, lanes);

    /// <summary>
    /// Reference evaluator and benchmark baseline: walks each tree node by node over the flat arrays,
    /// honouring every split kind (numeric, zero-as-missing, categorical).
    /// </summary>
    public float MarginNodeWalk(ReadOnlySpan<float> features)
    {
        if (features.Length < FeatureCount)
        {
            ThrowShort(features.Length, FeatureCount);
        }

        bool sum = Aggregation == TreeAggregation.Sum;
        float acc = sum ? BaseMargin : 0f;
        for (int t = 0; t < _treeRoot.Length; t++)
        {
            acc += _value[Leaf(_treeRoot[t], features)];
        }

        return sum ? acc : Finish(acc);
    }

    /// <summary>Maps a margin to this ensemble's prediction scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Transform(float margin) => Output switch
    {
        TreeOutput.Logistic => Logistic.Sigmoid(margin),
        TreeOutput.LogisticFloat32 => Logistic.SigmoidFloat32(margin),
        _ => margin,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Finish(float accumulated) =>
        Aggregation == TreeAggregation.Sum ? accumulated : BaseMargin + (accumulated / TreeCount);

    private int Leaf(int node, ReadOnlySpan<float> x)
    {
        while (_left[node] >= 0)
        {
            node = GoesLeft(node, x[_feature[node]]) ? _left[node] : _right[node];
        }

        return node;
    }

    private bool GoesLeft(int node, float v)
    {
        byte flags = _flags[node];
        if ((flags & FlagCategorical) != 0)
        {
            // Truncation toward zero, as LightGBM's static_cast<int>: -0.5 is category 0, -1 is negative.
            if (float.IsNaN(v) || v <= -1f || v >= 2147483648f)
            {
                return false;
            }

            int c = (int)v;
            uint[] set = _categories[_categoryIndex[node]];
            return (c >> 5) < set.Length && (set[c >> 5] & (1u << (c & 31))) != 0;
        }

        if ((flags & FlagZeroMissing) != 0 && (float.IsNaN(v) || MathF.Abs(v) <= ZeroThreshold))
        {
            return (flags & FlagDefaultLeft) != 0;
        }

        return float.IsNaN(v) ? (flags & FlagDefaultLeft) != 0 : v < _threshold[node];
    }

    [DoesNotReturn]
    private static void ThrowShort(int have, int need) =>
        throw new ArgumentException($"features holds {have} values; the ensemble reads {need}.", "features");

    [DoesNotReturn]
    private static void ThrowBatch(int rows, int stride, int count) =>
        throw new ArgumentException($"rows ({rows} floats) with stride {stride} cannot hold {count} rows of the ensemble's features.", "rows");
}
