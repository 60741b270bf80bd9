using BenchmarkDotNet.Attributes;
using LowLatency.Models;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Trees;

namespace LowLatency.Benchmarks;

/// <summary>Synthetic model inputs shared by the model benchmarks (fixed seeds, built once in GlobalSetup).</summary>
internal static class ModelInputs
{
    public static TreeEnsemble Forest(int trees, int depth, int features, int seed)
    {
        var rng = new Random(seed);
        var specs = new List<TreeSpec>(trees);
        for (int t = 0; t < trees; t++)
        {
            int n = (2 << depth) - 1;
            var left = new int[n];
            var right = new int[n];
            var feature = new int[n];
            var threshold = new float[n];
            var dl = new bool[n];
            var leaf = new float[n];
            int internalNodes = (1 << depth) - 1;
            for (int i = 0; i < n; i++)
            {
                bool isLeaf = i >= internalNodes;
                left[i] = isLeaf ? -1 : (2 * i) + 1;
                right[i] = isLeaf ? -1 : (2 * i) + 2;
                feature[i] = rng.Next(features);
                threshold[i] = (float)((rng.NextDouble() * 2) - 1);
                dl[i] = rng.Next(2) == 0;
                leaf[i] = (float)((rng.NextDouble() - 0.5) * 0.1);
            }

            specs.Add(new TreeSpec(left, right, feature, threshold, dl, leaf));
        }

        return TreeEnsemble.Create(specs, features, 0f, TreeOutput.LogisticFloat32);
    }

    public static float[] Rows(int count, int features, int seed)
    {
        var rng = new Random(seed);
        var x = new float[count * features];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextDouble() < 0.05 ? float.NaN : (float)((rng.NextDouble() * 2) - 1);
        }

        return x;
    }
}

/// <summary>
/// Logistic regression, 64 dense + 16 hashed features: a naive scalar loop over plain arrays (baseline),
/// the model's scalar kernel, the SIMD dispatch, and the champion with top-5 reason codes.
/// </summary>
public class ModelLogisticBenchmarks
{
    private LogisticModel _model = null!;
    private float[] _x = null!;
    private ulong[] _keys = null!;
    private float[] _w = null!;
    private float[] _table = null!;
    private ChampionModel _champion = null!;
    private float[] _scratch = null!;
    private Contribution[] _reasons = null!;

    /// <summary>Builds the model and one event.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        var w = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var table = Enumerable.Range(0, 1 << 18).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        _model = new LogisticModel(w, table, 0.1f);
        _w = w;
        _table = table;
        _x = ModelInputs.Rows(1, 64, 1);
        _keys = Enumerable.Range(0, 16).Select(i => (ulong)rng.NextInt64()).ToArray();
        _champion = ChampionModel.FromLogistic(_model, [.. Enumerable.Range(0, 64).Select(i => "f" + i)]);
        _scratch = new float[_champion.ExplainSlots(16)];
        _reasons = new Contribution[5];
    }

    /// <summary>What one would write first: a for loop over arrays, NaN skipped, a modulo hash, Math.Exp.</summary>
    [Benchmark(Baseline = true)]
    public float NaiveLoop()
    {
        double m = 0.1;
        for (int i = 0; i < _w.Length; i++)
        {
            if (!float.IsNaN(_x[i]))
            {
                m += _w[i] * _x[i];
            }
        }

        foreach (ulong k in _keys)
        {
            m += _table[(int)(k % (ulong)_table.Length)];
        }

        return (float)(1 / (1 + Math.Exp(-m)));
    }

    /// <summary>The model's scalar dot product, same hashing and sigmoid.</summary>
    [Benchmark]
    public float Scalar() => LowLatency.Models.Logistic.SigmoidFast(_model.MarginScalar(_x, _keys));

    /// <summary>Vector512 (or Vector256+FMA) dot product.</summary>
    [Benchmark]
    public float Simd() => _model.Probability(_x, _keys);

    /// <summary>The champion (logistic only) scoring plus the exact top-5 reason codes.</summary>
    [Benchmark]
    public float ChampionExplainTop5() => _champion.Explain(_x, _keys, _scratch, _reasons).Probability;
}

/// <summary>Tree ensembles, single event: plain node walk (baseline) vs the complete-tree kernels.</summary>
public class ModelTreeBenchmarks
{
    private const int Features = 64;
    private TreeEnsemble _forest = null!;
    private float[] _rows = null!;
    private float[] _margins = null!;
    private float[] _contrib = null!;
    private CompiledForest _eight = null!;
    private int _next;

    /// <summary>Trees × depth.</summary>
    [Params("100x6", "500x8")]
    public string Shape { get; set; } = "100x6";

    /// <summary>Builds a full-depth random ensemble and 256 rows.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x');
        _forest = ModelInputs.Forest(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), Features, 7);
        _rows = ModelInputs.Rows(256, Features, 3);
        _margins = new float[256];
        _contrib = new float[Features];
        _eight = _forest.CompileWithLanes(8)!;
    }

    private ReadOnlySpan<float> NextRow()
    {
        // Rotate rows so the branch predictor cannot learn one path.
        _next = (_next + 1) & 255;
        return _rows.AsSpan(_next * Features, Features);
    }

    /// <summary>Branchy node walk over the flat arrays, one tree after another.</summary>
    [Benchmark(Baseline = true)]
    public float NodeWalk() => _forest.MarginNodeWalk(NextRow());

    /// <summary>Scalar walk over the complete-tree layout.</summary>
    [Benchmark]
    public float CompiledScalar() => _forest.Compiled!.SumLeavesScalar(NextRow(), 0f);

    /// <summary>The 8-lane gather layout: one AVX2 chain, eight trees per step.</summary>
    [Benchmark]
    public float Simd8Lane() => _eight.SumLeavesAvx2(NextRow(), 0f);

    /// <summary>The 16-lane gather layout (the default before the interleaved walk): two AVX2 chains per group.</summary>
    [Benchmark]
    public float Simd16Lane() => _forest.Compiled!.SumLeavesAvx2(NextRow(), 0f);

    /// <summary>The default through Margin: sixteen trees walked at once by scalar code (InterleavedForest).</summary>
    [Benchmark]
    public float Simd() => _forest.Margin(NextRow());

    /// <summary>Saabas reason codes for all features, the default: the interleaved walk records each tree's leaf slot, then the path's steps are read from a table.</summary>
    [Benchmark]
    public float Contributions() => _forest.Contributions(NextRow(), _contrib);

    /// <summary>Saabas reason codes by the node walk with means (the default before the table; same bits).</summary>
    [Benchmark]
    public float ContributionsNodeWalk()
    {
        Array.Clear(_contrib);
        return _forest.AddContributionsNodeWalk(NextRow(), _contrib, 1f, out _);
    }

    /// <summary>256 rows with the node walk; divide by 256 for per-row cost.</summary>
    [Benchmark(OperationsPerInvoke = 256)]
    public void NodeWalkBatch256()
    {
        for (int r = 0; r < 256; r++)
        {
            _margins[r] = _forest.MarginNodeWalk(_rows.AsSpan(r * Features, Features));
        }
    }

    /// <summary>256 rows through <see cref="TreeEnsemble.Margin"/> one by one (sixteen trees walked at once); per-row cost.</summary>
    [Benchmark(OperationsPerInvoke = 256)]
    public void InterleavedRowByRow256()
    {
        for (int r = 0; r < 256; r++)
        {
            _margins[r] = _forest.Margin(_rows.AsSpan(r * Features, Features));
        }
    }

    /// <summary>
    /// 256 rows through <see cref="TreeEnsemble.MarginBatch"/>: leaf bitvectors across 32 rows where the trees fit them
    /// (100x6 here; 500x8 has 128 leaves under each root child and goes row by row as <see cref="InterleavedRowByRow256"/>); per-row cost.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 256)]
    public void SimdBatch256() => _forest.MarginBatch(_rows, Features, _margins);

    /// <summary>256 rows across rows (eight rows per AVX2 step, one tree at a time); per-row cost.</summary>
    [Benchmark(OperationsPerInvoke = 256)]
    public void SimdAcrossRows256() => _forest.MarginBatchAcrossRows(_rows, Features, _margins);
}
