using LowLatency.Models.Trees;

namespace LowLatency.Models.Training;

/// <summary>
/// Batch gradient boosting of regression trees under logistic loss, second order (the XGBoost recipe). Each
/// feature is cut once into quantile bins; each round takes g = p − y and h = p(1 − p) per row and grows one
/// tree depth-wise on a row sample, splitting every node at the feature and bin boundary of best gain
/// G_L²/(H_L + λ) + G_R²/(H_R + λ) − G²/(H + λ), with missing values (NaN) sent to whichever side gains more;
/// a leaf is −η·G/(H + λ) and each node's cover is its H, so the ensemble's Saabas reason codes weight paths
/// as the training data did. Only the smaller child's histogram is built from its rows; the larger one is the
/// parent's minus it. Split thresholds are bin edges and "left" is x &lt; edge, the evaluation rule of
/// <see cref="TreeEnsemble"/>, so the trees score new rows exactly as they partitioned the training rows.
/// Runs off the hot path (start-up, learner thread); deterministic: same rows, options and seed, same trees.
/// </summary>
public static class GradientBoostingTrainer
{
    private const int CutSampleRows = 20_000;
    private const double MinGain = 1e-9;

    /// <summary>
    /// Trains on <paramref name="rows"/> (row-major, <paramref name="columns"/> per row, NaN = missing) against 0/1
    /// <paramref name="labels"/>; the ensemble reads all <paramref name="columns"/> features and outputs sigmoid(margin).
    /// </summary>
    public static TreeEnsemble Train(ReadOnlySpan<float> rows, int columns, ReadOnlySpan<byte> labels, GradientBoostingOptions? options = null, IReadOnlyList<string>? featureNames = null)
    {
        options ??= new GradientBoostingOptions();
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (rows.Length % columns != 0)
        {
            throw new ArgumentException($"rows has {rows.Length} values, not a multiple of {columns} columns.", nameof(rows));
        }

        int n = rows.Length / columns;
        if (n != labels.Length)
        {
            throw new ArgumentException($"{n} rows but {labels.Length} labels.", nameof(labels));
        }

        if (n == 0)
        {
            throw new ArgumentException("No training rows.", nameof(rows));
        }

        var edges = CutPoints(rows, columns, options.Bins);
        var grower = new Grower(Bin(rows, columns, edges, options.Bins), columns, edges, options, n);
        double positives = 0;
        foreach (byte y in labels)
        {
            positives += y != 0 ? 1 : 0;
        }

        double prior = Math.Clamp(positives / n, 1e-6, 1 - 1e-6);
        float baseMargin = (float)Math.Log(prior / (1 - prior));
        var margin = new double[n];
        Array.Fill(margin, baseMargin);
        var trees = new TreeSpec[options.Trees];
        var rng = new SplitMix64(options.Seed);
        for (int t = 0; t < trees.Length; t++)
        {
            for (int i = 0; i < n; i++)
            {
                double m = margin[i];
                double p = m >= 0 ? 1.0 / (1.0 + Math.Exp(-m)) : Math.Exp(m) / (1.0 + Math.Exp(m));
                grower.Gradient[i] = p - (labels[i] != 0 ? 1.0 : 0.0);
                grower.Hessian[i] = Math.Max(p * (1 - p), 1e-16);
            }

            trees[t] = grower.Grow(ref rng, margin);
        }

        return TreeEnsemble.Create(trees, columns, baseMargin, TreeOutput.Logistic, TreeAggregation.Sum, compile: true, featureNames);
    }

    /// <summary>Per feature, up to bins − 1 strictly increasing cut values at quantiles of a row sample (finite values only).</summary>
    internal static float[][] CutPoints(ReadOnlySpan<float> rows, int columns, int bins)
    {
        int n = rows.Length / columns;
        int step = Math.Max(1, n / CutSampleRows);
        var values = new float[((n - 1) / step) + 1];
        var edges = new float[columns][];
        var cuts = new List<float>(bins);
        for (int f = 0; f < columns; f++)
        {
            int m = 0;
            for (int r = 0; r < n; r += step)
            {
                float v = rows[(r * columns) + f];
                if (float.IsFinite(v))
                {
                    values[m++] = v;
                }
            }

            cuts.Clear();
            Array.Sort(values, 0, m);
            for (int k = 1; k < bins && m > 0; k++)
            {
                // "Left" is x < cut, so a cut at a sampled value separates it from every smaller one.
                float v = values[(int)((long)k * m / bins)];
                if (v > values[0] && (cuts.Count == 0 || v > cuts[^1]))
                {
                    cuts.Add(v);
                }
            }

            edges[f] = [.. cuts];
        }

        return edges;
    }

    /// <summary>Bin of every value: the number of cut values ≤ it (so bin ≤ k ⇔ x &lt; edges[k]), or <paramref name="missingBin"/> for NaN.</summary>
    private static byte[] Bin(ReadOnlySpan<float> rows, int columns, float[][] edges, int missingBin)
    {
        var bins = new byte[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            float v = rows[i];
            if (float.IsNaN(v))
            {
                bins[i] = (byte)missingBin;
                continue;
            }

            var e = edges[i % columns];
            int lo = 0, hi = e.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (e[mid] <= v)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            bins[i] = (byte)lo;
        }

        return bins;
    }

    /// <summary>Grows one tree at a time over the binned rows; owns the per-row gradients and the row index.</summary>
    private sealed class Grower(byte[] bins, int columns, float[][] edges, GradientBoostingOptions options, int rows)
    {
        private readonly int _stride = options.Bins + 1;
        private readonly int _missing = options.Bins;
        private readonly int[] _index = new int[rows];
        private readonly Queue<Pending> _queue = new();
        private readonly TreeBuilder _tree = new();

        public readonly double[] Gradient = new double[rows];
        public readonly double[] Hessian = new double[rows];

        public TreeSpec Grow(ref SplitMix64 rng, double[] margin)
        {
            int m = 0;
            for (int r = 0; r < rows; r++)
            {
                if (options.RowSubsample >= 1 || rng.NextDouble() < options.RowSubsample)
                {
                    _index[m++] = r;
                }
            }

            double g = 0, h = 0;
            for (int i = 0; i < m; i++)
            {
                g += Gradient[_index[i]];
                h += Hessian[_index[i]];
            }

            _tree.Clear();
            _queue.Enqueue(new Pending(_tree.Add(), 0, m, g, h, 0, options.MaxDepth > 0 ? Histogram(0, m) : null));
            while (_queue.TryDequeue(out var p))
            {
                _tree.Cover[p.Node] = (float)p.H;
                if (p.Histogram is null || !BestSplit(p, out var split))
                {
                    _tree.Leaf[p.Node] = (float)(-options.LearningRate * p.G / (p.H + options.L2));
                    continue;
                }

                int mid = Partition(p.Start, p.End, split.Feature, split.Bin, split.DefaultLeft);
                int left = _tree.Add(), right = _tree.Add();
                _tree.Split(p.Node, left, right, split.Feature, edges[split.Feature][split.Bin], split.Bin, split.DefaultLeft);
                int depth = p.Depth + 1;
                double[]? leftHistogram = null, rightHistogram = null;
                if (depth < options.MaxDepth)
                {
                    // Build the smaller child from its rows; the larger is what is left of the parent.
                    bool leftSmaller = mid - p.Start <= p.End - mid;
                    var small = leftSmaller ? Histogram(p.Start, mid) : Histogram(mid, p.End);
                    var large = p.Histogram;
                    for (int i = 0; i < large.Length; i++)
                    {
                        large[i] -= small[i];
                    }

                    (leftHistogram, rightHistogram) = leftSmaller ? (small, large) : (large, small);
                }

                _queue.Enqueue(new Pending(left, p.Start, mid, split.G, split.H, depth, leftHistogram));
                _queue.Enqueue(new Pending(right, mid, p.End, p.G - split.G, p.H - split.H, depth, rightHistogram));
            }

            // Every row (sampled or not) moves by the leaf it falls in, as the ensemble will score it.
            for (int r = 0; r < rows; r++)
            {
                margin[r] += _tree.Leaf[_tree.LeafOf(bins.AsSpan(r * columns, columns), _missing)];
            }

            return _tree.ToSpec();
        }

        private double[] Histogram(int start, int end)
        {
            var histogram = new double[columns * _stride * 2];
            for (int i = start; i < end; i++)
            {
                int r = _index[i];
                double g = Gradient[r], h = Hessian[r];
                int row = r * columns;
                for (int f = 0; f < columns; f++)
                {
                    int j = ((f * _stride) + bins[row + f]) * 2;
                    histogram[j] += g;
                    histogram[j + 1] += h;
                }
            }

            return histogram;
        }

        private bool BestSplit(in Pending p, out Split best)
        {
            best = default;
            double lambda = options.L2, minChild = options.MinChildHessian;
            double parent = p.G * p.G / (p.H + lambda);
            double bestGain = MinGain;
            bool found = false;
            var hist = p.Histogram!;
            for (int f = 0; f < columns; f++)
            {
                int values = edges[f].Length + 1;
                int at = f * _stride * 2;
                double gm = hist[at + (_missing * 2)], hm = hist[at + (_missing * 2) + 1];
                double gl = 0, hl = 0;
                for (int k = 0; k < values - 1; k++)
                {
                    gl += hist[at + (k * 2)];
                    hl += hist[at + (k * 2) + 1];
                    // Missing values right (they are in G − gl), then missing values left.
                    for (int side = 0; side < (hm > 0 ? 2 : 1); side++)
                    {
                        double sg = side == 0 ? gl : gl + gm, sh = side == 0 ? hl : hl + hm;
                        double rg = p.G - sg, rh = p.H - sh;
                        if (sh < minChild || rh < minChild)
                        {
                            continue;
                        }

                        double gain = (sg * sg / (sh + lambda)) + (rg * rg / (rh + lambda)) - parent;
                        if (gain > bestGain)
                        {
                            bestGain = gain;
                            // With no missing value in training, a missing one later follows the heavier side.
                            bool defaultLeft = hm > 0 ? side == 1 : sh >= rh;
                            best = new Split(f, k, defaultLeft, sg, sh);
                            found = true;
                        }
                    }
                }
            }

            return found;
        }

        private int Partition(int start, int end, int feature, int bin, bool defaultLeft)
        {
            int i = start, j = end - 1;
            while (i <= j)
            {
                if (GoesLeft(bins[(_index[i] * columns) + feature], bin, defaultLeft))
                {
                    i++;
                }
                else
                {
                    (_index[i], _index[j]) = (_index[j], _index[i]);
                    j--;
                }
            }

            return i;
        }

        private bool GoesLeft(byte value, int bin, bool defaultLeft) => value == _missing ? defaultLeft : value <= bin;
    }

    private readonly record struct Pending(int Node, int Start, int End, double G, double H, int Depth, double[]? Histogram);

    private readonly record struct Split(int Feature, int Bin, bool DefaultLeft, double G, double H);

    /// <summary>One tree's nodes as they are added (breadth first), with the bin of each split for walking binned rows.</summary>
    private sealed class TreeBuilder
    {
        private readonly List<int> _left = [], _right = [], _feature = [], _bin = [];
        private readonly List<float> _threshold = [];
        private readonly List<bool> _defaultLeft = [];

        public List<float> Leaf { get; } = [];

        public List<float> Cover { get; } = [];

        public void Clear()
        {
            _left.Clear();
            _right.Clear();
            _feature.Clear();
            _bin.Clear();
            _threshold.Clear();
            _defaultLeft.Clear();
            Leaf.Clear();
            Cover.Clear();
        }

        public int Add()
        {
            _left.Add(-1);
            _right.Add(-1);
            _feature.Add(0);
            _bin.Add(0);
            _threshold.Add(0f);
            _defaultLeft.Add(false);
            Leaf.Add(0f);
            Cover.Add(0f);
            return _left.Count - 1;
        }

        public void Split(int node, int left, int right, int feature, float threshold, int bin, bool defaultLeft)
        {
            _left[node] = left;
            _right[node] = right;
            _feature[node] = feature;
            _threshold[node] = threshold;
            _bin[node] = bin;
            _defaultLeft[node] = defaultLeft;
        }

        public int LeafOf(ReadOnlySpan<byte> row, int missing)
        {
            int node = 0;
            while (_left[node] >= 0)
            {
                byte b = row[_feature[node]];
                bool left = b == missing ? _defaultLeft[node] : b <= _bin[node];
                node = left ? _left[node] : _right[node];
            }

            return node;
        }

        public TreeSpec ToSpec() => new([.. _left], [.. _right], [.. _feature], [.. _threshold], [.. _defaultLeft], [.. Leaf]) { Cover = [.. Cover] };
    }

    /// <summary>Steele, Lea and Flood's SplitMix64: a tiny seeded generator for the row samples.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public double NextDouble()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }
}
