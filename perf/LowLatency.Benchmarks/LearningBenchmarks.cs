using BenchmarkDotNet.Attributes;
using LowLatency.Models.Linear;
using LowLatency.Models.Online;
using LowLatency.Models.Trees;

namespace LowLatency.Benchmarks;

/// <summary>
/// FTRL-Proximal updates (16 dense + 4 hashed keys, 2^18-slot table) against scoring the same rows with a
/// published <see cref="LogisticModel"/> snapshot (baseline). Each invocation runs 4096 rows, so the
/// reported time is per row; updates/s = 1e9 / Mean(ns).
/// </summary>
public class LearningFtrlBenchmarks
{
    private const int Batch = 4096;
    private LearningBenchData _data = null!;
    private FtrlLearner _learner = null!;
    private LogisticModel _snapshot = null!;
    private int _offset;

    /// <summary>Builds the data and a learner warmed by one pass, and its snapshot.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _data = new LearningBenchData();
        _learner = new FtrlLearner(LearningBenchData.Dense, new FtrlOptions { HashBits = 18 });
        for (int r = 0; r < LearningBenchData.Rows; r++)
        {
            _learner.TryUpdate(_data.Row(r), _data.RowKeys(r), _data.Y[r], out _);
        }

        _snapshot = _learner.Snapshot();
    }

    private int NextBatch()
    {
        int start = _offset;
        _offset = (_offset + Batch) % LearningBenchData.Rows;
        return start;
    }

    /// <summary>Scoring with the immutable snapshot (SIMD dot + hashed lookups + sigmoid).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public float ScoreSnapshot()
    {
        int start = NextBatch();
        float sum = 0;
        for (int r = start; r < start + Batch; r++)
        {
            sum += _snapshot.Probability(_data.Row(r), _data.RowKeys(r));
        }

        return sum;
    }

    /// <summary>Test-then-train FTRL step: predict with lazily computed weights, then update z, n per coordinate.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public double FtrlUpdate()
    {
        int start = NextBatch();
        double sum = 0;
        for (int r = start; r < start + Batch; r++)
        {
            _learner.TryUpdate(_data.Row(r), _data.RowKeys(r), _data.Y[r], out double p);
            sum += p;
        }

        return sum;
    }
}

/// <summary>
/// Online tree learners on the same rows: Hoeffding tree prediction (baseline) and learning, and the leaf
/// refit statistics of a 100-tree depth-6 ensemble beside that ensemble's own scoring. Per row, as above.
/// </summary>
public class LearningTreeBenchmarks
{
    private const int Batch = 4096;
    private LearningBenchData _data = null!;
    private HoeffdingTree _tree = null!;
    private TreeEnsemble _forest = null!;
    private LeafRefitter _refitter = null!;
    private int _offset;

    /// <summary>Builds the data, a Hoeffding tree grown on one pass, and a random ensemble.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _data = new LearningBenchData();
        _tree = new HoeffdingTree(LearningBenchData.Dense, new HoeffdingTreeOptions { GracePeriod = 200, MaxNodes = 1023 });
        for (int r = 0; r < LearningBenchData.Rows; r++)
        {
            _tree.Learn(_data.Row(r), _data.Y[r]);
        }

        _forest = ModelInputs.Forest(100, 6, LearningBenchData.Dense, 7);
        _refitter = new LeafRefitter(_forest);
    }

    private int NextBatch()
    {
        int start = _offset;
        _offset = (_offset + Batch) % LearningBenchData.Rows;
        return start;
    }

    /// <summary>Hoeffding tree: leaf lookup and smoothed class share.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public double HoeffdingPredict()
    {
        int start = NextBatch();
        double sum = 0;
        for (int r = start; r < start + Batch; r++)
        {
            sum += _tree.Probability(_data.Row(r));
        }

        return sum;
    }

    /// <summary>Hoeffding tree: leaf lookup, Gaussian statistics of every feature, split attempts every grace period.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public bool HoeffdingLearn()
    {
        int start = NextBatch();
        bool any = false;
        for (int r = start; r < start + Batch; r++)
        {
            any |= _tree.Learn(_data.Row(r), _data.Y[r]);
        }

        return any;
    }

    /// <summary>Scoring the 100×6 ensemble (SIMD complete-tree kernel).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public float EnsembleScore()
    {
        int start = NextBatch();
        float sum = 0;
        for (int r = start; r < start + Batch; r++)
        {
            sum += _forest.Margin(_data.Row(r));
        }

        return sum;
    }

    /// <summary>Leaf refit statistics: the ensemble's margin plus a leaf lookup per tree to add g and h.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public double LeafRefitObserve()
    {
        int start = NextBatch();
        double sum = 0;
        for (int r = start; r < start + Batch; r++)
        {
            sum += _refitter.Observe(_data.Row(r), _data.Y[r]);
        }

        return sum;
    }
}

/// <summary>
/// The label-join store's per-decision cost on the scoring thread with learning on: <see cref="LabelJoinStore.Record"/>
/// into a full store of 262,144 decisions (the serve default) over the payments spec's 113 features and 4 keys, so every
/// record also evicts the oldest. Baseline: the bare copy of the same bytes into a ring of the same size (no index).
/// Per decision: 4,096 per invocation.
/// </summary>
public class LabelJoinBenchmarks
{
    private const int Batch = 4096;
    private const int Capacity = 1 << 18;
    private const int Dense = 113;
    private readonly float[] _dense = new float[Dense];
    private readonly ulong[] _keys = [1, 2, 3, 4];
    private LabelJoinStore _store = null!;
    private float[] _ringFeatures = null!;
    private ulong[] _ringKeys = null!;
    private long _time;
    private ulong _id;
    private int _position;
    private Random _rng = null!;

    /// <summary>Fills the store to capacity.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _store = new LabelJoinStore(new LabelJoinOptions { Capacity = Capacity, Retention = TimeSpan.FromDays(30), DenseCount = Dense, MaxSparseKeys = 16 });
        _ringFeatures = new float[Capacity * Dense];
        _ringKeys = new ulong[Capacity * 16];
        _rng = new Random(5);
        _time = 1_700_000_000_000_000_000;
        _id = 1;
        for (int i = 0; i < Capacity; i++)
        {
            RecordOne();
        }
    }

    private void RecordOne()
    {
        _time += 50_000;
        _store.Record(_id, _time, 0.5f, _dense, _keys);
        _id += (ulong)_rng.Next(1, 3); // gateway ids: increasing with gaps
    }

    /// <summary>The bytes a record stores, copied into a ring with no index.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int CopyOnly()
    {
        for (int i = 0; i < Batch; i++)
        {
            _dense.CopyTo(_ringFeatures.AsSpan(_position * Dense, Dense));
            _keys.CopyTo(_ringKeys.AsSpan(_position * 16, 16));
            _position = (_position + 1) & (Capacity - 1);
        }

        return _position;
    }

    /// <summary>Record into the full store: index lookup, insert, eviction of the oldest (and its id kept as evicted).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long Record()
    {
        for (int i = 0; i < Batch; i++)
        {
            RecordOne();
        }

        return _store.Stored;
    }
}
