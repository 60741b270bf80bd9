using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LowLatency.Models.Trees;

/// <summary>
/// Complete-tree, level-synchronous layout of a numeric-split ensemble: every tree is padded to depth D
/// (a shallow leaf is copied into all leaf slots below it), and eight trees share one group whose node k
/// of lane j sits at [k * 8 + j]. One AVX2 step then advances eight trees by one level with three
/// gathers (split code, threshold, feature value) and no branch: k ← 2k + 2 + goLeft(−1/0). The split
/// code is the feature index with the default-left bit in the sign, saving a fourth gather.
/// Leaves are added to the accumulator one by one in tree order, so the float sum is the same as a
/// sequential walk (and as XGBoost's).
/// </summary>
internal sealed class CompiledForest
{
    private const int Lanes = 8;
    private const int MaxEntries = 1 << 24;

    private readonly int[] _code;
    private readonly float[] _threshold;
    private readonly float[] _leaf;
    private readonly int _depth;
    private readonly int _internalPerTree;
    private readonly int _treeCount;

    private CompiledForest(int treeCount, int depth)
    {
        _treeCount = treeCount;
        _depth = depth;
        _internalPerTree = (1 << depth) - 1;
        int groups = (treeCount + Lanes - 1) / Lanes;
        _code = GC.AllocateArray<int>(groups * _internalPerTree * Lanes, pinned: true);
        _threshold = GC.AllocateArray<float>(groups * _internalPerTree * Lanes, pinned: true);
        _leaf = GC.AllocateArray<float>(groups * (1 << depth) * Lanes, pinned: true);
    }

    /// <summary>Depth every tree is padded to.</summary>
    public int Depth => _depth;

    /// <summary>Builds the layout, or returns null when the ensemble has non-numeric splits or is too deep or too large.</summary>
    public static CompiledForest? TryBuild(TreeEnsemble e)
    {
        int depth = e.MaxDepth;
        long groups = (e.TreeCount + Lanes - 1) / Lanes;
        if (depth < 1 || depth > TreeEnsemble.MaxCompiledDepth || !e.AllSplitsNumeric() || groups * (2L << depth) * Lanes > MaxEntries)
        {
            return null;
        }

        var c = new CompiledForest(e.TreeCount, depth);
        for (int t = 0; t < e.TreeCount; t++)
        {
            c.Place(e, t, e.RootOf(t), 0, 0);
        }

        return c;
    }

    private void Place(TreeEnsemble e, int t, int node, int k, int level)
    {
        int group = t / Lanes;
        int lane = t % Lanes;
        if (level == _depth)
        {
            _leaf[(((group << _depth) + (k - _internalPerTree)) * Lanes) + lane] = e.LeafValueOf(node);
            return;
        }

        int slot = (((group * _internalPerTree) + k) * Lanes) + lane;
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

    /// <summary>Accumulates the leaves in tree order onto the base margin (or 0 for averaging).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float SumLeaves(ReadOnlySpan<float> x, float baseMargin, bool startFromBase) =>
        Avx2.IsSupported ? SumLeavesAvx2(x, startFromBase ? baseMargin : 0f) : SumLeavesScalar(x, startFromBase ? baseMargin : 0f);

    /// <summary>Eight trees per step with AVX2 gathers. Caller guarantees x covers every split feature.</summary>
    public unsafe float SumLeavesAvx2(ReadOnlySpan<float> x, float start)
    {
        float acc = start;
        int depth = _depth;
        int internalPerGroup = _internalPerTree * Lanes;
        int leavesPerGroup = (1 << depth) * Lanes;
        var lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        var two = Vector256.Create(2);
        var featureMask = Vector256.Create(int.MaxValue);
        var internalCount = Vector256.Create(_internalPerTree);
        Vector256<float> leaves;
        float* tmp = stackalloc float[Lanes];
        fixed (float* xp = x)
        {
            int* code = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_code));
            float* thr = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_threshold));
            float* leaf = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_leaf));
            int remaining = _treeCount;
            for (; remaining > 0; remaining -= Lanes)
            {
                var k = Vector256<int>.Zero;
                for (int level = 0; level < depth; level++)
                {
                    var idx = (k << 3) + lane;
                    var c = Avx2.GatherVector256(code, idx, 4);
                    var th = Avx2.GatherVector256(thr, idx, 4);
                    var v = Avx2.GatherVector256(xp, c & featureMask, 4);
                    var less = Vector256.LessThan(v, th).AsInt32();
                    var missing = ~Vector256.Equals(v, v).AsInt32();
                    // Sign bit of the code is default-left; arithmetic shift spreads it to a full-lane mask.
                    var goLeft = less | (missing & (c >> 31));
                    k = (k << 1) + two + goLeft;
                }

                leaves = Avx2.GatherVector256(leaf, ((k - internalCount) << 3) + lane, 4);
                leaves.Store(tmp);
                int n = Math.Min(remaining, Lanes);
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

    /// <summary>Scalar walk over the same layout: the fallback without AVX2 and the reference for the SIMD kernel.</summary>
    public float SumLeavesScalar(ReadOnlySpan<float> x, float start)
    {
        float acc = start;
        int internalPerGroup = _internalPerTree * Lanes;
        for (int t = 0; t < _treeCount; t++)
        {
            int group = t / Lanes;
            int lane = t % Lanes;
            int k = 0;
            for (int level = 0; level < _depth; level++)
            {
                int slot = (group * internalPerGroup) + (k * Lanes) + lane;
                int code = _code[slot];
                float v = x[code & int.MaxValue];
                bool left = float.IsNaN(v) ? code < 0 : v < _threshold[slot];
                k = (2 * k) + (left ? 1 : 2);
            }

            acc += _leaf[(((group << _depth) + (k - _internalPerTree)) * Lanes) + lane];
        }

        return acc;
    }
}
