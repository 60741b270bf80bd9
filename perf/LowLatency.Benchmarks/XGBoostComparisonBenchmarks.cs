using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using LowLatency.Models.Trees;

namespace LowLatency.Benchmarks;

/// <summary>
/// The same ensemble scored by xgboost's C library (baseline, in-place dense prediction, one thread) and by
/// ours: one event per call, and a batch of rows per call. GlobalSetup first checks that both produce the
/// same margins for every row, so the comparison is between equal work.
/// </summary>
public unsafe class XGBoostComparisonBenchmarks
{
    private const int Features = 64;
    private const int BatchRows = 4096;
    private TreeEnsemble _forest = null!;
    private XGBoostNative _xgb = null!;
    private float[] _rows = null!;
    private float[] _margins = null!;
    private byte[][] _singleInterfaces = null!;
    private byte[] _batchInterface = null!;
    private GCHandle _config;
    private int _next;

    /// <summary>Trees × depth.</summary>
    [Params("100x6", "500x8")]
    public string Shape { get; set; } = "100x6";

    /// <summary>Builds the ensemble, loads it into libxgboost, and checks that both agree.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x');
        _forest = ModelInputs.Forest(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), Features, 7);
        _xgb = new XGBoostNative(XGBoostNative.ToXGBoostJson(_forest));
        _rows = GC.AllocateArray<float>(BatchRows * Features, pinned: true);
        ModelInputs.Rows(BatchRows, Features, 3).CopyTo(_rows, 0);
        _margins = new float[BatchRows];
        _config = GCHandle.Alloc(XGBoostNative.MarginConfig, GCHandleType.Pinned);
        fixed (float* p = _rows)
        {
            _batchInterface = GC.AllocateArray<byte>(0, pinned: true);
            var batch = XGBoostNative.ArrayInterface(p, BatchRows, Features);
            _batchInterface = GC.AllocateArray<byte>(batch.Length, pinned: true);
            batch.CopyTo(_batchInterface, 0);
            _singleInterfaces = new byte[256][];
            for (int r = 0; r < 256; r++)
            {
                var one = XGBoostNative.ArrayInterface(p + (r * Features), 1, Features);
                _singleInterfaces[r] = GC.AllocateArray<byte>(one.Length, pinned: true);
                one.CopyTo(_singleInterfaces[r], 0);
            }
        }

        var theirs = XGBoostBatch().ToArray();
        _forest.MarginBatch(_rows, Features, _margins);
        for (int r = 0; r < BatchRows; r++)
        {
            if (BitConverter.SingleToInt32Bits(theirs[r]) != BitConverter.SingleToInt32Bits(_margins[r]))
            {
                throw new InvalidOperationException($"libxgboost ({_xgb.LibraryPath}) and TreeEnsemble disagree on row {r}: {theirs[r]:R} vs {_margins[r]:R}");
            }
        }
    }

    /// <summary>Releases the booster.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _xgb.Dispose();
        _config.Free();
    }

    private ReadOnlySpan<float> XGBoostBatch()
    {
        fixed (byte* ai = _batchInterface, cfg = XGBoostNative.MarginConfig)
        {
            return _xgb.PredictDense(ai, cfg, BatchRows);
        }
    }

    /// <summary>libxgboost, one event per XGBoosterPredictFromDense call.</summary>
    [Benchmark(Baseline = true)]
    public float XGBoostSingle()
    {
        _next = (_next + 1) & 255;
        fixed (byte* ai = _singleInterfaces[_next], cfg = XGBoostNative.MarginConfig)
        {
            return _xgb.PredictDense(ai, cfg, 1)[0];
        }
    }

    /// <summary>Ours, one event per call.</summary>
    [Benchmark]
    public float OursSingle()
    {
        _next = (_next + 1) & 255;
        return _forest.Margin(_rows.AsSpan(_next * Features, Features));
    }

    /// <summary>libxgboost, 4096 rows in one call (one thread); per-row time.</summary>
    [Benchmark(OperationsPerInvoke = BatchRows)]
    public float XGBoostBatchPerRow() => XGBoostBatch()[0];

    /// <summary>Ours, 4096 rows through MarginBatch; per-row time.</summary>
    [Benchmark(OperationsPerInvoke = BatchRows)]
    public float OursBatchPerRow()
    {
        _forest.MarginBatch(_rows, Features, _margins);
        return _margins[0];
    }
}
