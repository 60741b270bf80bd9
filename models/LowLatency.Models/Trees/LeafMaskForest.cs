using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LowLatency.Models.Trees;

/// <summary>
/// Batch layout of a numeric-split ensemble, evaluated across events by leaf bitvectors (QuickScorer's idea, one event
/// per 32-bit vector lane, <see cref="Lanes"/> events per call). Each tree is kept as its root split and the root's two
/// subtrees; a subtree's leaves are numbered left to right, and every event carries a 32-bit set of the leaves it may
/// still reach in each subtree, all set at first. Every split of the subtree is then tested for every event at once:
/// where the event goes right, the leaves of the split's left child are removed from its set. No split on the event's
/// path removes its exit leaf and every other leaf is removed by some split on that path, so the lowest leaf left is
/// the exit leaf. The root split picks which subtree's leaf counts.
/// <para>
/// Every split is tested (not only those on the path), but as two vector loads, two compares and two masked ANDs per
/// split for 32 events, with no dependent loads and no branches: the walk of <see cref="InterleavedForest"/> spends
/// two dependent loads per split per event. Comparisons are on the order-preserving integer keys of
/// <see cref="InterleavedForest.OrderedKey"/>, each event held twice (missing as int.MaxValue for default-right splits,
/// as int.MinValue for default-left ones), so a split goes right exactly where the walk's does. Leaves are added in
/// tree order onto the start value, lane by lane: every margin has the walk's bits.
/// </para>
/// <para>
/// Needs AVX-512 (F, CD) and at most 32 leaves under each child of every root (trees of depth ≤ 6 always qualify);
/// <see cref="TryBuild"/> returns null otherwise and the caller walks events one by one.
/// </para>
/// </summary>
internal sealed unsafe class LeafMaskForest
{
    /// <summary>Events one call evaluates (two vectors of sixteen).</summary>
    public const int Lanes = 32;

    /// <summary>Widest event the key matrix (built on the stack, 2 copies × features × 32 lanes × 4 bytes) may hold.</summary>
    public const int MaxFeatures = 256;

    private const int SubtreeLeaves = 32;
    private const int LeavesPerTree = 2 * SubtreeLeaves;

    private readonly Split[] _splits;
    private readonly TreeHead[] _heads;
    private readonly float[] _leaves;
    private readonly int _featureCount;

    private LeafMaskForest(int treeCount, int splitCount, int featureCount)
    {
        _featureCount = featureCount;
        _splits = GC.AllocateArray<Split>(Math.Max(1, splitCount), pinned: true);
        _heads = GC.AllocateArray<TreeHead>(treeCount, pinned: true);
        _leaves = GC.AllocateArray<float>(treeCount * LeavesPerTree, pinned: true);
    }

    /// <summary>Whether this machine runs the kernel (AVX-512 F and CD).</summary>
    public static bool IsSupported => Avx512F.IsSupported && Avx512CD.IsSupported;

    /// <summary>The layout, or null when the machine lacks AVX-512, a split is not numeric, the event is wider than <see cref="MaxFeatures"/>, or a root child has more than 32 leaves.</summary>
    public static LeafMaskForest? TryBuild(TreeEnsemble e)
    {
        if (!IsSupported || e.FeatureCount > MaxFeatures || !e.AllSplitsNumeric())
        {
            return null;
        }

        int splits = 0;
        for (int t = 0; t < e.TreeCount; t++)
        {
            int root = e.RootOf(t);
            if (e.IsLeaf(root))
            {
                continue;
            }

            if (LeafCount(e, e.LeftOf(root)) > SubtreeLeaves || LeafCount(e, e.RightOf(root)) > SubtreeLeaves)
            {
                return null;
            }

            splits += SplitCount(e, e.LeftOf(root)) + SplitCount(e, e.RightOf(root));
        }

        var f = new LeafMaskForest(e.TreeCount, splits, e.FeatureCount);
        f.Fill(e);
        return f;
    }

    /// <summary>Rewrites the leaf values from <paramref name="e"/>, the ensemble this was built from, after its leaves changed in place.</summary>
    internal void Refresh(TreeEnsemble e) => Fill(e);

    private void Fill(TreeEnsemble e)
    {
        int next = 0;
        for (int t = 0; t < e.TreeCount; t++)
        {
            int root = e.RootOf(t);
            Span<float> leaves = _leaves.AsSpan(t * LeavesPerTree, LeavesPerTree);
            if (e.IsLeaf(root))
            {
                // One leaf: both sides of a dummy root reach it.
                leaves[0] = leaves[SubtreeLeaves] = e.LeafValueOf(root);
                _heads[t] = new TreeHead(0, 0, next, 0, next, 0);
                continue;
            }

            int leftStart = next;
            int leafIndex = 0;
            Place(e, e.LeftOf(root), ref next, ref leafIndex, leaves[..SubtreeLeaves]);
            int rightStart = next;
            leafIndex = 0;
            Place(e, e.RightOf(root), ref next, ref leafIndex, leaves[SubtreeLeaves..]);
            _heads[t] = new TreeHead(InterleavedForest.OrderedKey(e.ThresholdOf(root)), ColumnOf(e, root), leftStart, rightStart - leftStart, rightStart, next - rightStart);
        }
    }

    /// <summary>Key-matrix row of a split's feature: the default-left copy follows the default-right one.</summary>
    private int ColumnOf(TreeEnsemble e, int node) => e.FeatureOf(node) + (e.DefaultLeftOf(node) ? _featureCount : 0);

    /// <summary>Numbers the subtree's leaves from <paramref name="leafIndex"/> on, left to right, and lists its splits (preorder).</summary>
    private void Place(TreeEnsemble e, int node, ref int next, ref int leafIndex, Span<float> leaves)
    {
        if (e.IsLeaf(node))
        {
            leaves[leafIndex++] = e.LeafValueOf(node);
            return;
        }

        int at = next++;
        int first = leafIndex;
        Place(e, e.LeftOf(node), ref next, ref leafIndex, leaves);
        int leftLeaves = leafIndex - first;
        // Going right rules out the left child's leaves: keep every bit but theirs.
        uint leftMask = (leftLeaves == 32 ? uint.MaxValue : (1u << leftLeaves) - 1) << first;
        _splits[at] = new Split(InterleavedForest.OrderedKey(e.ThresholdOf(node)), ColumnOf(e, node) * Lanes, ~leftMask);
        Place(e, e.RightOf(node), ref next, ref leafIndex, leaves);
    }

    private static int LeafCount(TreeEnsemble e, int node) => e.IsLeaf(node) ? 1 : LeafCount(e, e.LeftOf(node)) + LeafCount(e, e.RightOf(node));

    private static int SplitCount(TreeEnsemble e, int node) => e.IsLeaf(node) ? 0 : 1 + SplitCount(e, e.LeftOf(node)) + SplitCount(e, e.RightOf(node));

    /// <summary>
    /// Adds every tree's leaf in tree order onto <paramref name="start"/> for <paramref name="count"/> (1 to
    /// <see cref="Lanes"/>) events: row r is <paramref name="rows"/>[r·stride ..], its margin goes to
    /// <paramref name="sums"/>[r]. Caller guarantees each row holds the ensemble's features.
    /// </summary>
    [SkipLocalsInit]
    public void SumLeaves(ReadOnlySpan<float> rows, int stride, int count, float start, Span<float> sums)
    {
        int f = _featureCount;
        // Row c of the key matrix: feature c (c < f: missing as int.MaxValue; c ≥ f: feature c − f, missing as
        // int.MinValue) of the 32 events, 128 bytes.
        int* keys = stackalloc int[(2 * f * Lanes) + 16];
        keys = (int*)(((nint)keys + 63) & ~(nint)63);
        Transpose(rows, stride, count, keys, f);
        Vector512<float> acc0 = Vector512.Create(start), acc1 = acc0;
        fixed (Split* splits = _splits)
        fixed (TreeHead* heads = _heads)
        fixed (float* leaves = _leaves)
        {
            float* lv = leaves;
            for (TreeHead* h = heads, end = heads + _heads.Length; h < end; h++, lv += LeavesPerTree)
            {
                (Vector512<uint> l0, Vector512<uint> l1) = Survivors(splits + h->LeftStart, h->LeftCount, keys);
                (Vector512<uint> r0, Vector512<uint> r1) = Survivors(splits + h->RightStart, h->RightCount, keys);
                int* rootKeys = keys + (h->RootColumn * Lanes);
                var rootThreshold = Vector512.Create(h->RootThreshold);
                Vector512<int> right0 = Vector512.GreaterThanOrEqual(Vector512.Load(rootKeys), rootThreshold);
                Vector512<int> right1 = Vector512.GreaterThanOrEqual(Vector512.Load(rootKeys + 16), rootThreshold);
                Vector512<float> a = Vector512.Load(lv), b = Vector512.Load(lv + 16), c = Vector512.Load(lv + 32), d = Vector512.Load(lv + 48);
                acc0 += Vector512.ConditionalSelect(right0.AsSingle(), Avx512F.PermuteVar16x32x2(c, LowestBit(r0), d), Avx512F.PermuteVar16x32x2(a, LowestBit(l0), b));
                acc1 += Vector512.ConditionalSelect(right1.AsSingle(), Avx512F.PermuteVar16x32x2(c, LowestBit(r1), d), Avx512F.PermuteVar16x32x2(a, LowestBit(l1), b));
            }
        }

        float* out32 = stackalloc float[Lanes];
        acc0.Store(out32);
        acc1.Store(out32 + 16);
        new ReadOnlySpan<float>(out32, count).CopyTo(sums);
    }

    /// <summary>
    /// The leaves each of the 32 events may still reach after every split of one subtree. Splits are taken two at a
    /// time into separate sets (four independent chains of masked ANDs, ANDed at the end): one chain per group left
    /// the loop waiting on its own latency.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<uint>, Vector512<uint>) Survivors(Split* s, int count, int* keys)
    {
        Vector512<uint> a0 = Vector512<uint>.AllBitsSet, a1 = a0, b0 = a0, b1 = a0;
        Split* end = s + count;
        for (; s + 1 < end; s += 2)
        {
            a0 = Apply(s, keys, a0);
            a1 = Apply(s, keys + 16, a1);
            b0 = Apply(s + 1, keys, b0);
            b1 = Apply(s + 1, keys + 16, b1);
        }

        if (s < end)
        {
            a0 = Apply(s, keys, a0);
            a1 = Apply(s, keys + 16, a1);
        }

        return (a0 & b0, a1 & b1);
    }

    /// <summary>One split on sixteen events: where an event goes right, the split's left leaves leave its set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Apply(Split* s, int* keys, Vector512<uint> set)
    {
        Vector512<uint> right = Vector512.GreaterThanOrEqual(Vector512.Load(keys + s->Column), Vector512.Create(s->Threshold)).AsUInt32();
        return Vector512.ConditionalSelect(right, set & Vector512.Create(s->Keep), set);
    }

    /// <summary>Index of each lane's lowest set bit (never zero here: the exit leaf survives).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> LowestBit(Vector512<uint> v)
    {
        Vector512<uint> lowest = v & (Vector512<uint>.Zero - v);
        return (Vector512.Create(31u) - Avx512CD.LeadingZeroCount(lowest)).AsInt32();
    }

    /// <summary>
    /// Writes the key matrix: the rows' features transposed (row c of the matrix holds feature c of every event), then
    /// turned into keys as the single-event walk turns an event, with the default-left copy below. Lanes past
    /// <paramref name="count"/> are 0.
    /// </summary>
    private static void Transpose(ReadOnlySpan<float> rows, int stride, int count, int* keys, int f)
    {
        float* columns = (float*)keys;
        if (count < Lanes)
        {
            new Span<float>(columns, f * Lanes).Clear();
        }

        ref float first = ref MemoryMarshal.GetReference(rows);
        for (int r = 0; r < count; r++)
        {
            ref float row = ref Unsafe.Add(ref first, r * stride);
            float* column = columns + r;
            for (int c = 0; c < f; c++, column += Lanes)
            {
                *column = Unsafe.Add(ref row, c);
            }
        }

        // The walk's conversion, over the whole matrix: its default-right copy overwrites the floats in place (each block is
        // read before it is written), its default-left copy lands right after them.
        InterleavedForest.FillCopies(new ReadOnlySpan<float>(columns, f * Lanes), keys, f * Lanes);
    }

    /// <summary>A split of a subtree: threshold key, its key-matrix row times <see cref="Lanes"/>, and the leaves kept when an event goes right.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Split(int threshold, int column, uint keep)
    {
        public readonly int Threshold = threshold;
        public readonly int Column = column;
        public readonly uint Keep = keep;
    }

    /// <summary>A tree: its root split and where each subtree's splits are listed.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct TreeHead(int rootThreshold, int rootColumn, int leftStart, int leftCount, int rightStart, int rightCount)
    {
        public readonly int RootThreshold = rootThreshold;
        public readonly int RootColumn = rootColumn;
        public readonly int LeftStart = leftStart;
        public readonly int LeftCount = leftCount;
        public readonly int RightStart = rightStart;
        public readonly int RightCount = rightCount;
    }
}
