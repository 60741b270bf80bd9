using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LowLatency.Models.Trees;

/// <summary>
/// Complete-tree, level-synchronous layout of a numeric-split ensemble: every tree is padded to depth D
/// (a shallow leaf is copied into all leaf slots below it), and L trees (L = 16 by default, or 8) share one group whose node k of lane j sits at [k * L + j]. One SIMD step then advances L trees
/// by one level with three gathers (split code, threshold, feature value) and no branch:
/// k ← 2k + 2 + goLeft(−1/0). The split code is the feature index with the default-left bit in the sign,
/// saving a fourth gather. Single events go across trees (leaves then added one by one in tree order, so
/// the float sum is the same as a sequential walk, and as XGBoost's); batches go across rows (one tree at
/// a time for L rows, each row's accumulator adding its leaves in tree order — equally exact).
/// Single events are scored by <see cref="InterleavedForest"/> now (no gathers, faster at every measured
/// size); the across-trees kernels here stay as the measured comparison, the across-rows one serves
/// <see cref="TreeEnsemble.MarginBatchAcrossRows"/>.
/// </summary>
internal sealed class CompiledForest
{
    private const int MaxEntries = 1 << 24;

    private readonly int[] _code;
    private readonly float[] _threshold;
    private readonly float[] _leaf;
    private readonly int _depth;
    private readonly int _internalPerTree;
    private readonly int _treeCount;
    private readonly int _lanes;
    private readonly int _shift;

    private CompiledForest(int treeCount, int depth, int lanes)
    {
        _treeCount = treeCount;
        _depth = depth;
        _lanes = lanes;
        _shift = lanes == 16 ? 4 : 3;
        _internalPerTree = (1 << depth) - 1;
        int groups = (treeCount + lanes - 1) / lanes;
        _code = GC.AllocateArray<int>(groups * _internalPerTree * lanes, pinned: true);
        _threshold = GC.AllocateArray<float>(groups * _internalPerTree * lanes, pinned: true);
        _leaf = GC.AllocateArray<float>(groups * (1 << depth) * lanes, pinned: true);
    }

    /// <summary>Depth every tree is padded to.</summary>
    public int Depth => _depth;

    /// <summary>Trees per group (8 or 16).</summary>
    public int Lanes => _lanes;

    /// <summary>Bytes of node and leaf arrays (what must stay in cache).</summary>
    public long Bytes => (_code.LongLength * 4) + (_threshold.LongLength * 4) + (_leaf.LongLength * 4);

    /// <summary>
    /// Default lane count: 16, i.e. two interleaved AVX2 chains per group (.NET 10 exposes no AVX-512 gather).
    /// In three benchmark runs the two independent chains beat one 8-lane chain (perf/results/models.md):
    /// gather latency, not throughput, bounds a single chain.
    /// </summary>
    public static int PreferredLanes => 16;

    /// <summary>Builds the layout, or returns null when the ensemble has non-numeric splits or is too deep or too large.</summary>
    public static CompiledForest? TryBuild(TreeEnsemble e, int lanes = 0)
    {
        lanes = lanes == 0 ? PreferredLanes : lanes;
        if (lanes is not (8 or 16))
        {
            throw new ArgumentOutOfRangeException(nameof(lanes), lanes, "8 or 16");
        }

        int depth = e.MaxDepth;
        long groups = (e.TreeCount + lanes - 1) / lanes;
        if (depth < 1 || depth > TreeEnsemble.MaxCompiledDepth || !e.AllSplitsNumeric() || groups * (2L << depth) * lanes > MaxEntries)
        {
            return null;
        }

        var c = new CompiledForest(e.TreeCount, depth, lanes);
        for (int t = 0; t < e.TreeCount; t++)
        {
            c.Place(e, t, e.RootOf(t), 0, 0);
        }

        return c;
    }

    /// <summary>
    /// Rewrites the layout from <paramref name="e"/>, the ensemble it was built from, after its leaf values changed in
    /// place (<see cref="TreeEnsemble.OverwriteLeafValues"/>): the splits are the same, so every entry lands where it
    /// was, and nothing is allocated.
    /// </summary>
    internal void Refresh(TreeEnsemble e)
    {
        if (e.TreeCount != _treeCount || e.MaxDepth != _depth)
        {
            throw new ArgumentException($"The layout holds {_treeCount} trees of depth {_depth}; the ensemble has {e.TreeCount} of depth {e.MaxDepth}.", nameof(e));
        }

        for (int t = 0; t < e.TreeCount; t++)
        {
            Place(e, t, e.RootOf(t), 0, 0);
        }
    }

    private void Place(TreeEnsemble e, int t, int node, int k, int level)
    {
        int group = t / _lanes;
        int lane = t % _lanes;
        if (level == _depth)
        {
            _leaf[(((group << _depth) + (k - _internalPerTree)) * _lanes) + lane] = e.LeafValueOf(node);
            return;
        }

        int slot = (((group * _internalPerTree) + k) * _lanes) + lane;
        if (e.IsLeaf(node))
        {
            // Padding split: feature 0, either way leads to a copy of this leaf.
            _code[slot] = 0;
            _threshold[slot] = 0f;
            Place(e, t, node, (2 * k) + 1, level + 1);
            Place(e, t, node, (2 * k) + 2, level + 1);
            return;
        }

        _code[slot] = e.FeatureOf(node) | (e.DefaultLeftOf(node) ? int.MinValue : 0);
        _threshold[slot] = e.ThresholdOf(node);
        Place(e, t, e.LeftOf(node), (2 * k) + 1, level + 1);
        Place(e, t, e.RightOf(node), (2 * k) + 2, level + 1);
    }

    /// <summary>Accumulates the leaves in tree order onto <paramref name="start"/> with the widest kernel available.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float SumLeaves(ReadOnlySpan<float> x, float start) =>
        Avx2.IsSupported ? SumLeavesAvx2(x, start) : SumLeavesScalar(x, start);

    /// <summary>
    /// AVX2 gathers, eight trees per step; with the 16-lane layout the two halves of a group advance together
    /// as two independent dependency chains (gather latency, not throughput, bounds one chain). Caller
    /// guarantees x covers every split feature.
    /// </summary>
    public unsafe float SumLeavesAvx2(ReadOnlySpan<float> x, float start)
    {
        float acc = start;
        int depth = _depth;
        int shift = _shift;
        int internalPerGroup = _internalPerTree * _lanes;
        int leavesPerGroup = (1 << depth) * _lanes;
        var laneA = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var laneB = laneA + Vector256.Create(8);
        var two = Vector256.Create(2);
        var featureMask = Vector256.Create(int.MaxValue);
        var internalCount = Vector256.Create(_internalPerTree);
        float* tmp = stackalloc float[16];
        fixed (float* xp = x)
        {
            int* code = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_code));
            float* thr = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_threshold));
            float* leaf = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_leaf));
            for (int remaining = _treeCount; remaining > 0; remaining -= _lanes)
            {
                var ka = Vector256<int>.Zero;
                if (_lanes == 16 && remaining > 8)
                {
                    ka = TopLevels(code, thr, 0, 16, depth, xp);
                    var kb = TopLevels(code, thr, 8, 16, depth, xp);
                    for (int level = Math.Min(depth, 2); level < depth; level++)
                    {
                        var ia = (ka << 4) + laneA;
                        var ib = (kb << 4) + laneB;
                        var ca = Avx2.GatherVector256(code, ia, 4);
                        var cb = Avx2.GatherVector256(code, ib, 4);
                        var ta = Avx2.GatherVector256(thr, ia, 4);
                        var tb = Avx2.GatherVector256(thr, ib, 4);
                        var va = Avx2.GatherVector256(xp, ca & featureMask, 4);
                        var vb = Avx2.GatherVector256(xp, cb & featureMask, 4);
                        ka = (ka << 1) + two + (Vector256.LessThan(va, ta).AsInt32() | (~Vector256.Equals(va, va).AsInt32() & (ca >> 31)));
                        kb = (kb << 1) + two + (Vector256.LessThan(vb, tb).AsInt32() | (~Vector256.Equals(vb, vb).AsInt32() & (cb >> 31)));
                    }

                    Avx2.GatherVector256(leaf, ((ka - internalCount) << 4) + laneA, 4).Store(tmp);
                    Avx2.GatherVector256(leaf, ((kb - internalCount) << 4) + laneB, 4).Store(tmp + 8);
                }
                else
                {
                    ka = TopLevels(code, thr, 0, _lanes, depth, xp);
                    for (int level = Math.Min(depth, 2); level < depth; level++)
                    {
                        var idx = (ka << shift) + laneA;
                        var c = Avx2.GatherVector256(code, idx, 4);
                        var th = Avx2.GatherVector256(thr, idx, 4);
                        var v = Avx2.GatherVector256(xp, c & featureMask, 4);
                        var less = Vector256.LessThan(v, th).AsInt32();
                        var missing = ~Vector256.Equals(v, v).AsInt32();
                        // Sign bit of the code is default-left; arithmetic shift spreads it to a full-lane mask.
                        var goLeft = less | (missing & (c >> 31));
                        ka = (ka << 1) + two + goLeft;
                    }

                    Avx2.GatherVector256(leaf, ((ka - internalCount) << shift) + laneA, 4).Store(tmp);
                }

                // In tree order, one by one: the same float sum as a sequential walk.
                int n = Math.Min(remaining, _lanes);
                for (int j = 0; j < n; j++)
                {
                    acc += tmp[j];
                }

                code += internalPerGroup;
                thr += internalPerGroup;
                leaf += leavesPerGroup;
            }
        }

        return acc;
    }

    /// <summary>
    /// Levels 0 and 1 without node gathers: at level 0 every lane is at node 0, whose eight lanes are
    /// contiguous (a plain load); at level 1 each lane is at node 1 or 2, a blend of two plain loads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> TopLevels(int* code, float* thr, int laneOffset, int lanes, int depth, float* xp)
    {
        var k = Advance(Vector256<int>.Zero, Vector256.Load(code + laneOffset), Vector256.Load(thr + laneOffset), xp);
        if (depth > 1)
        {
            var right = Vector256.Equals(k, Vector256.Create(2));
            var c = Vector256.ConditionalSelect(right, Vector256.Load(code + (2 * lanes) + laneOffset), Vector256.Load(code + lanes + laneOffset));
            var th = Vector256.ConditionalSelect(right.AsSingle(), Vector256.Load(thr + (2 * lanes) + laneOffset), Vector256.Load(thr + lanes + laneOffset));
            k = Advance(k, c, th, xp);
        }

        return k;
    }

    /// <summary>One level: gather the feature values, compare, and step to child 2k+1 (left) or 2k+2 (right).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<int> Advance(Vector256<int> k, Vector256<int> code, Vector256<float> threshold, float* xp, Vector256<int> rowOffset = default)
    {
        var v = Avx2.GatherVector256(xp, (code & Vector256.Create(int.MaxValue)) + rowOffset, 4);
        var goLeft = Vector256.LessThan(v, threshold).AsInt32() | (~Vector256.Equals(v, v).AsInt32() & (code >> 31));
        return (k << 1) + Vector256.Create(2) + goLeft;
    }

    /// <summary>Scalar walk over the same layout: the fallback without AVX2 and the reference for the SIMD kernels.</summary>
    public float SumLeavesScalar(ReadOnlySpan<float> x, float start)
    {
        float acc = start;
        int internalPerGroup = _internalPerTree * _lanes;
        for (int t = 0; t < _treeCount; t++)
        {
            int group = t / _lanes;
            int lane = t % _lanes;
            int k = 0;
            for (int level = 0; level < _depth; level++)
            {
                int slot = (group * internalPerGroup) + (k * _lanes) + lane;
                int code = _code[slot];
                float v = x[code & int.MaxValue];
                bool left = float.IsNaN(v) ? code < 0 : v < _threshold[slot];
                k = (2 * k) + (left ? 1 : 2);
            }

            acc += _leaf[(((group << _depth) + (k - _internalPerTree)) * _lanes) + lane];
        }

        return acc;
    }

    /// <summary>
    /// Across rows: for each block of 8 rows (AVX2), one tree at a time, each lane a row; every row's sum gets
    /// its leaves in tree order, exactly as <see cref="SumLeavesScalar"/>. Returns the number of rows done
    /// (a multiple of 8); the caller finishes the rest one by one. Rows are <paramref name="stride"/> floats apart.
    /// </summary>
    public unsafe int SumLeavesBatchAvx2(ReadOnlySpan<float> rows, int stride, Span<float> sums, float start)
    {
        if (!Avx2.IsSupported)
        {
            return 0;
        }

        int blocks = sums.Length / 8;
        int depth = _depth;
        int shift = _shift;
        var two = Vector256.Create(2);
        var featureMask = Vector256.Create(int.MaxValue);
        var internalCount = Vector256.Create(_internalPerTree);
        var rowOffset = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * Vector256.Create(stride);
        fixed (float* xp0 = rows)
        fixed (float* outp = sums)
        {
            int* code0 = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_code));
            float* thr0 = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_threshold));
            float* leaf0 = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_leaf));
            for (int b = 0; b < blocks; b++)
            {
                float* xp = xp0 + ((long)b * 8 * stride);
                var acc = Vector256.Create(start);
                for (int t = 0; t < _treeCount; t++)
                {
                    int group = t >> shift;
                    int lane = t & (_lanes - 1);
                    int first = (group * _internalPerTree * _lanes) + lane;
                    var nodeBase = Vector256.Create(first);
                    // Every row starts at node 0 and then is at node 1 or 2: broadcasts, not gathers.
                    var k = Advance(Vector256<int>.Zero, Vector256.Create(code0[first]), Vector256.Create(thr0[first]), xp, rowOffset);
                    if (depth > 1)
                    {
                        var right = Vector256.Equals(k, two);
                        var c1 = Vector256.ConditionalSelect(right, Vector256.Create(code0[first + (2 * _lanes)]), Vector256.Create(code0[first + _lanes]));
                        var t1 = Vector256.ConditionalSelect(right.AsSingle(), Vector256.Create(thr0[first + (2 * _lanes)]), Vector256.Create(thr0[first + _lanes]));
                        k = Advance(k, c1, t1, xp, rowOffset);
                    }

                    for (int level = Math.Min(depth, 2); level < depth; level++)
                    {
                        var idx = (k << shift) + nodeBase;
                        var c = Avx2.GatherVector256(code0, idx, 4);
                        var th = Avx2.GatherVector256(thr0, idx, 4);
                        var v = Avx2.GatherVector256(xp, (c & featureMask) + rowOffset, 4);
                        var less = Vector256.LessThan(v, th).AsInt32();
                        var missing = ~Vector256.Equals(v, v).AsInt32();
                        var goLeft = less | (missing & (c >> 31));
                        k = (k << 1) + two + goLeft;
                    }

                    var leafBase = Vector256.Create((group << depth) * _lanes + lane);
                    acc += Avx2.GatherVector256(leaf0, ((k - internalCount) << shift) + leafBase, 4);
                }

                acc.Store(outp + (b * 8));
            }
        }

        return blocks * 8;
    }
}
