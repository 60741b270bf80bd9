using System.Runtime.CompilerServices;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Online;

/// <summary>
/// An incremental decision tree for binary labels (VFDT: Domingos &amp; Hulten, "Mining High-Speed Data
/// Streams", KDD 2000). Each leaf keeps class counts and, per feature and class, a streaming Gaussian
/// (Welford mean/variance, min, max). Every <see cref="HoeffdingTreeOptions.GracePeriod"/> examples a leaf
/// evaluates candidate thresholds by information gain, estimating each side's class mass from the Gaussian
/// CDFs, and splits when the best feature beats the runner-up by more than the Hoeffding bound
/// ε = √(R² ln(1/δ) / 2n) (R = 1 bit for two classes), or when ε has shrunk below the tie threshold τ.
/// Missing values (NaN) are not observed and go right at prediction, as with XGBoost's default-right.
/// <para>
/// All nodes and leaf statistics live in arrays sized by <see cref="HoeffdingTreeOptions.MaxNodes"/> at
/// construction; statistic blocks of split leaves are recycled, so <see cref="Learn"/> never allocates.
/// </para>
/// </summary>
public sealed partial class HoeffdingTree
{
    private const int StatsPerClass = 5; // n, mean, m2, min, max
    private readonly HoeffdingTreeOptions _options;
    private readonly int _features;
    private readonly int _blockSize;

    // Nodes.
    private readonly int[] _feature;
    private readonly float[] _threshold;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly int[] _depth;
    private readonly int[] _block;       // statistics block of a leaf, -1 for internal nodes
    private readonly double[] _classCount; // [node * 2 + class], kept for leaves (prediction)
    private readonly long[] _seenAtLastTry;
    private int _nodeCount;

    // Leaf statistics blocks and their free list.
    private readonly double[] _stats;
    private readonly int[] _freeBlocks;
    private int _freeCount;

    private readonly HoeffdingSplit[] _splits;
    private int _splitCount;
    private long _examples;
    private long _splitsRefusedForSpace;

    /// <summary>Creates a one-leaf tree over <paramref name="features"/> dense features.</summary>
    public HoeffdingTree(int features, HoeffdingTreeOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        _options = options ?? new HoeffdingTreeOptions();
        _options.Validate();
        _features = features;
        _blockSize = features * 2 * StatsPerClass;
        int nodes = _options.MaxNodes;
        _feature = new int[nodes];
        _threshold = new float[nodes];
        _left = new int[nodes];
        _right = new int[nodes];
        _depth = new int[nodes];
        _block = new int[nodes];
        _classCount = new double[nodes * 2];
        _seenAtLastTry = new long[nodes];
        int leaves = (nodes / 2) + 1;
        _stats = new double[(long)leaves * _blockSize];
        _freeBlocks = new int[leaves];
        for (int b = 0; b < leaves; b++)
        {
            _freeBlocks[b] = leaves - 1 - b;
        }

        _freeCount = leaves;
        _splits = new HoeffdingSplit[leaves];
        _alternate = new int[nodes];
        Array.Fill(_alternate, -1);
        _drift = new double[nodes * DriftStats];
        _trial = new double[nodes * 3];
        _nodeCount = 1;
        MakeLeaf(0, 0);
    }

    /// <summary>Number of dense features.</summary>
    public int FeatureCount => _features;

    /// <summary>Nodes in use.</summary>
    public int NodeCount => _nodeCount;

    /// <summary>Examples learned.</summary>
    public long Examples => _examples;

    /// <summary>Splits that passed the bound but found no room (MaxNodes reached).</summary>
    public long SplitsRefusedForSpace => _splitsRefusedForSpace;

    /// <summary>Every split made, in order, with its evidence.</summary>
    public ReadOnlySpan<HoeffdingSplit> Splits => _splits.AsSpan(0, _splitCount);

    /// <summary>The Hoeffding bound for range 1 (bits) after <paramref name="n"/> examples.</summary>
    public double Bound(long n) => Math.Sqrt(Math.Log(1 / _options.Delta) / (2.0 * n));

    /// <summary>Probability of the positive class: the smoothed class share at the example's leaf.</summary>
    public double Probability(ReadOnlySpan<float> x)
    {
        int leaf = LeafOf(x);
        double prior = _options.LeafPrior;
        return (_classCount[(leaf * 2) + 1] + prior) / (_classCount[leaf * 2] + _classCount[(leaf * 2) + 1] + (2 * prior));
    }

    /// <summary>Log-odds of the positive class at the example's leaf, ln((n₁ + prior) / (n₀ + prior)): the leaf value <see cref="Snapshot"/> publishes.</summary>
    public double Margin(ReadOnlySpan<float> x) => LeafLogOdds(LeafOf(x));

    /// <summary>ln((n₁ + prior) / (n₀ + prior)) of one leaf node.</summary>
    private double LeafLogOdds(int leaf)
    {
        double prior = _options.LeafPrior;
        return Math.Log((_classCount[(leaf * 2) + 1] + prior) / (_classCount[leaf * 2] + prior));
    }

    /// <summary>Learns one example (x needs <see cref="FeatureCount"/> values; longer is fine, shorter is ignored and returns false).</summary>
    public bool Learn(ReadOnlySpan<float> x, bool label)
    {
        if (x.Length < _features)
        {
            return false;
        }

        _examples++;
        if (_options.Adaptive)
        {
            LearnAdaptive(x, label);
        }
        else
        {
            LearnAtLeaf(LeafOf(x), x, label);
        }

        return true;
    }

    /// <summary>Adds the example to a leaf's statistics and tries a split when the grace period is over.</summary>
    private void LearnAtLeaf(int leaf, ReadOnlySpan<float> x, bool label)
    {
        int c = label ? 1 : 0;
        _classCount[(leaf * 2) + c] += 1;
        Span<double> block = _stats.AsSpan(_block[leaf] * _blockSize, _blockSize);
        for (int f = 0; f < _features; f++)
        {
            float v = x[f];
            if (float.IsFinite(v))
            {
                Observe(block.Slice(((f * 2) + c) * StatsPerClass, StatsPerClass), v);
            }
        }

        long seen = (long)(_classCount[leaf * 2] + _classCount[(leaf * 2) + 1]);
        if (seen - _seenAtLastTry[leaf] >= _options.GracePeriod)
        {
            _seenAtLastTry[leaf] = seen;
            TrySplit(leaf, seen);
        }
    }

    /// <summary>
    /// The tree as an immutable <see cref="TreeEnsemble"/> (one tree, logistic output, leaf = log-odds of its
    /// smoothed class share), so it scores on the same runtime as imported models. Allocates.
    /// </summary>
    public TreeEnsemble Snapshot()
    {
        // Renumber reachable nodes depth-first so the spec has no holes.
        var order = new List<int>();
        var map = new int[_nodeCount];
        var stack = new Stack<int>();
        stack.Push(0);
        while (stack.Count > 0)
        {
            int n = stack.Pop();
            map[n] = order.Count;
            order.Add(n);
            if (_block[n] < 0)
            {
                stack.Push(_right[n]);
                stack.Push(_left[n]);
            }
        }

        int count = order.Count;
        var left = new int[count];
        var right = new int[count];
        var feature = new int[count];
        var threshold = new float[count];
        var defaultLeft = new bool[count];
        var leafValue = new float[count];
        var cover = new float[count];
        double prior = _options.LeafPrior;
        for (int i = 0; i < count; i++)
        {
            int n = order[i];
            bool leaf = _block[n] >= 0;
            left[i] = leaf ? -1 : map[_left[n]];
            right[i] = leaf ? -1 : map[_right[n]];
            feature[i] = leaf ? 0 : _feature[n];
            threshold[i] = leaf ? 0 : _threshold[n];
            if (leaf)
            {
                leafValue[i] = (float)LeafLogOdds(n);
                cover[i] = (float)(_classCount[n * 2] + _classCount[(n * 2) + 1] + (2 * prior));
            }
        }

        // Covers (examples per node, prior included) weight the internal node values of Saabas reason codes: children
        // come after their parent in depth-first order, so one backward pass sums them up.
        for (int i = count - 1; i >= 0; i--)
        {
            if (left[i] >= 0)
            {
                cover[i] = cover[left[i]] + cover[right[i]];
            }
        }

        return TreeEnsemble.Create([new TreeSpec(left, right, feature, threshold, defaultLeft, leafValue) { Cover = cover }], _features, 0f, TreeOutput.Logistic);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int LeafOf(ReadOnlySpan<float> x)
    {
        int n = 0;
        while (_block[n] < 0)
        {
            // NaN compares false, so a missing value goes right.
            n = x[_feature[n]] < _threshold[n] ? _left[n] : _right[n];
        }

        return n;
    }

    private static void Observe(Span<double> s, double v)
    {
        // Welford's update: numerically stable mean and sum of squared deviations.
        double n = s[0] + 1;
        double delta = v - s[1];
        s[0] = n;
        s[1] += delta / n;
        s[2] += delta * (v - s[1]);
        if (n == 1)
        {
            s[3] = v;
            s[4] = v;
        }
        else
        {
            s[3] = Math.Min(s[3], v);
            s[4] = Math.Max(s[4], v);
        }
    }

    private void TrySplit(int leaf, long seen)
    {
        double n0 = _classCount[leaf * 2], n1 = _classCount[(leaf * 2) + 1];
        if (n0 == 0 || n1 == 0 || _depth[leaf] >= _options.MaxDepth)
        {
            return; // a pure leaf has nothing to gain
        }

        double parentEntropy = Entropy(n0, n1);
        ReadOnlySpan<double> block = _stats.AsSpan(_block[leaf] * _blockSize, _blockSize);
        double best = 0, second = 0;
        int bestFeature = -1;
        double bestThreshold = 0, bestLeft0 = 0, bestLeft1 = 0;
        for (int f = 0; f < _features; f++)
        {
            var s0 = block.Slice(f * 2 * StatsPerClass, StatsPerClass);
            var s1 = block.Slice(((f * 2) + 1) * StatsPerClass, StatsPerClass);
            double lo = Math.Min(s0[0] > 0 ? s0[3] : double.MaxValue, s1[0] > 0 ? s1[3] : double.MaxValue);
            double hi = Math.Max(s0[0] > 0 ? s0[4] : double.MinValue, s1[0] > 0 ? s1[4] : double.MinValue);
            double featureBest = 0, featureThreshold = 0, featureLeft0 = 0, featureLeft1 = 0;
            if (hi > lo)
            {
                int k = _options.SplitCandidates;
                for (int j = 1; j <= k; j++)
                {
                    double t = lo + ((hi - lo) * j / (k + 1));
                    // Class mass below t from the Gaussians; examples missing this feature count right, where a NaN goes.
                    double l0 = s0[0] * GaussianBelow(s0, t), l1 = s1[0] * GaussianBelow(s1, t);
                    double r0 = n0 - l0, r1 = n1 - l1;
                    double nl = l0 + l1, nr = r0 + r1;
                    if (nl <= 0 || nr <= 0)
                    {
                        continue;
                    }

                    double gain = parentEntropy - (((nl * Entropy(l0, l1)) + (nr * Entropy(r0, r1))) / (n0 + n1));
                    if (gain > featureBest)
                    {
                        featureBest = gain;
                        featureThreshold = t;
                        featureLeft0 = l0;
                        featureLeft1 = l1;
                    }
                }
            }

            if (featureBest > best)
            {
                second = best;
                best = featureBest;
                bestFeature = f;
                bestThreshold = featureThreshold;
                bestLeft0 = featureLeft0;
                bestLeft1 = featureLeft1;
            }
            else if (featureBest > second)
            {
                second = featureBest;
            }
        }

        double epsilon = Bound(seen);
        if (bestFeature < 0 || !(best - second > epsilon || epsilon < _options.TieThreshold))
        {
            return;
        }

        if (_nodeCount + 2 > _options.MaxNodes || _freeCount < 1)
        {
            _splitsRefusedForSpace++;
            return;
        }

        int left = _nodeCount, right = _nodeCount + 1;
        _nodeCount += 2;
        _splits[_splitCount++] = new HoeffdingSplit(leaf, seen, bestFeature, (float)bestThreshold, best, second, epsilon);
        // The leaf's block goes back to the pool first, so one split needs only one new block net.
        _freeBlocks[_freeCount++] = _block[leaf];
        _block[leaf] = -1;
        _feature[leaf] = bestFeature;
        _threshold[leaf] = (float)bestThreshold;
        _left[leaf] = left;
        _right[leaf] = right;
        MakeLeaf(left, _depth[leaf] + 1);
        MakeLeaf(right, _depth[leaf] + 1);
        // Children start from the split's estimated class masses, so predictions do not jump back to the prior.
        _classCount[left * 2] = bestLeft0;
        _classCount[(left * 2) + 1] = bestLeft1;
        _classCount[right * 2] = n0 - bestLeft0;
        _classCount[(right * 2) + 1] = n1 - bestLeft1;
        _seenAtLastTry[left] = (long)(bestLeft0 + bestLeft1);
        _seenAtLastTry[right] = (long)(n0 + n1 - bestLeft0 - bestLeft1);
    }

    private void MakeLeaf(int node, int depth)
    {
        ResetNodeMonitors(node);
        int block = _freeBlocks[--_freeCount];
        _block[node] = block;
        _depth[node] = depth;
        _left[node] = -1;
        _right[node] = -1;
        _classCount[node * 2] = 0;
        _classCount[(node * 2) + 1] = 0;
        _seenAtLastTry[node] = 0;
        _stats.AsSpan(block * _blockSize, _blockSize).Clear();
    }

    /// <summary>Estimated share of one class's observed values below t.</summary>
    private static double GaussianBelow(ReadOnlySpan<double> s, double t)
    {
        double n = s[0];
        if (n == 0)
        {
            return 0;
        }

        if (t < s[3])
        {
            return 0;
        }

        if (t > s[4])
        {
            return 1;
        }

        double sd = n > 1 ? Math.Sqrt(s[2] / (n - 1)) : 0;
        if (sd <= 0)
        {
            return t > s[1] ? 1 : 0;
        }

        return NormalCdf((t - s[1]) / sd);
    }

    private static double Entropy(double a, double b)
    {
        double n = a + b;
        if (n <= 0)
        {
            return 0;
        }

        double h = 0;
        if (a > 0)
        {
            h -= a / n * Math.Log2(a / n);
        }

        if (b > 0)
        {
            h -= b / n * Math.Log2(b / n);
        }

        return h;
    }

    /// <summary>Standard normal CDF via erfc (Abramowitz &amp; Stegun 7.1.26, |error| ≤ 1.5e-7, ample for split choice).</summary>
    internal static double NormalCdf(double z)
    {
        double x = Math.Abs(z) / Math.Sqrt(2);
        double t = 1 / (1 + (0.3275911 * x));
        double poly = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
        double erfc = poly * Math.Exp(-x * x);
        return z >= 0 ? 1 - (0.5 * erfc) : 0.5 * erfc;
    }
}
