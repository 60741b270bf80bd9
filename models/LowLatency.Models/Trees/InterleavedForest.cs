using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LowLatency.Models.Trees;

/// <summary>
/// Single-event layout of a numeric-split ensemble: trees padded to one depth D (a shallow leaf copied into
/// every leaf slot below it), each tree a 1-based breadth-first array of 8-byte nodes (threshold, feature)
/// for levels 0..D−2, so a path touches one cache line for levels 0–2 and one per deeper level, and its
/// last level as 16-byte records holding the split and both leaves, so the leaf costs no line of its own
/// (measured 12–15 % faster than leaves in an array of their own). Sixteen trees are walked at once by plain scalar code, sixteen independent chains
/// the core overlaps: i ← 2i + (x ≥ threshold) (eight chains left it waiting on load latency; 32 spill too
/// much). No gathers: on the AMD cores measured here an 8-lane AVX2
/// gather costs several times its eight scalar loads, and three gathers per level bounded the SIMD kernel.
/// <para>
/// Comparisons are integer: thresholds and features are stored as order-preserving 32-bit keys (−0 taken as
/// +0, negative floats with their magnitude bits flipped), so x &lt; t as floats exactly when key(x) &lt;
/// key(t) as ints, and a level costs two dependent integer loads, a compare and a lea — shorter than the
/// float load-compare-flags chain. Missing values without a branch: each event is copied twice, NaN taken
/// as int.MaxValue (right of every threshold) in the first copy and int.MinValue (left of every threshold,
/// −∞ included) in the second; a default-left node reads the second copy, a default-right node the first.
/// </para>
/// <para>
/// Leaves are added one by one in tree order onto the base margin: the float sum of a sequential walk and
/// of XGBoost.
/// </para>
/// </summary>
internal sealed unsafe class InterleavedForest
{
    /// <summary>Trees walked together (independent dependency chains).</summary>
    public const int Lanes = 16;

    /// <summary>Largest feature count compiled: two copies of the event live on the stack (16 KiB).</summary>
    public const int MaxFeatures = 2048;

    private readonly Node[] _nodes;
    private readonly long[] _last; // LastSplit records (16 bytes) from _lastBase: an 8-byte-element array can be 64-byte aligned
    private readonly Node* _nodeBase;
    private readonly LastSplit* _lastBase;
    private readonly int _nodeOffset;
    private readonly int _treeCount;
    private readonly int _featureCount;
    private SaabasStep[] _steps = [];
    private float _rootMeanSum;

    private InterleavedForest(int treeCount, int depth, int featureCount)
    {
        _treeCount = treeCount;
        Depth = depth;
        _featureCount = featureCount;
        long trees = (long)(treeCount + Lanes - 1) / Lanes * Lanes;
        // Pinned, so the cached pointers stay valid for the life of this (immutable) object; both start on a
        // 64-byte boundary so a tree's levels 0-2 share one cache line and a last split never straddles two.
        _nodes = GC.AllocateArray<Node>(checked((int)(trees << (depth - 1)) + 8), pinned: true);
        _last = GC.AllocateArray<long>(checked((int)(trees << (depth - 1)) * 2) + 8, pinned: true);
        _nodeBase = (Node*)Align64(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_nodes)));
        _lastBase = (LastSplit*)Align64(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_last)));
        _nodeOffset = (int)(_nodeBase - (Node*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_nodes)));
    }

    private static void* Align64(void* p) => (void*)(((nuint)p + 63) & ~(nuint)63);

    /// <summary>Depth every tree is padded to.</summary>
    public int Depth { get; }

    /// <summary>Bytes of node and leaf arrays (what must stay in cache).</summary>
    public long Bytes => (_nodes.LongLength * sizeof(Node)) + (_last.LongLength * sizeof(long));

    /// <summary>
    /// Builds the layout, or returns null when the ensemble has non-numeric splits, more than
    /// <see cref="MaxFeatures"/> features, trees deeper than <see cref="TreeEnsemble.MaxCompiledDepth"/>,
    /// or would exceed 2^24 node slots (128 MiB of nodes: trees are padded to the deepest one).
    /// </summary>
    public static InterleavedForest? TryBuild(TreeEnsemble e)
    {
        int depth = e.MaxDepth;
        long slots = (long)(e.TreeCount + Lanes - 1) / Lanes * Lanes << Math.Min(depth, 30);
        if (depth < 1 || depth > TreeEnsemble.MaxCompiledDepth || e.FeatureCount > MaxFeatures || !e.AllSplitsNumeric() || slots > (1 << 24))
        {
            return null;
        }

        var f = new InterleavedForest(e.TreeCount, depth, e.FeatureCount);
        for (int t = 0; t < e.TreeCount; t++)
        {
            f.Place(e, t << (depth - 1), e.RootOf(t), 1, 0);
        }

        if (((long)e.TreeCount << depth) <= MaxExplainSlots)
        {
            f.BuildSaabasSteps(e);
        }

        return f;
    }

    /// <summary>
    /// Rewrites the layout and the reason-code table from <paramref name="e"/>, the ensemble this was built from, after its
    /// leaf values changed in place (same trees, so the same shape: every slot is written again, nothing allocated).
    /// </summary>
    internal void Refresh(TreeEnsemble e)
    {
        for (int t = 0; t < _treeCount; t++)
        {
            Place(e, t << (Depth - 1), e.RootOf(t), 1, 0);
        }

        if (_steps.Length > 0)
        {
            BuildSaabasSteps(e);
        }
    }

    /// <summary>
    /// The reason-code table: for tree t's heap position i (1-based, levels 0..D−1, at t·2^D + i) the split's feature and
    /// the two Saabas steps mean(child) − mean(node), or feature −1 below a leaf of a shallower path. Computed in float
    /// exactly as the node walk computes them, and the root means summed in tree order as it sums them, so explaining
    /// through this table gives the node walk's contributions bit for bit.
    /// </summary>
    private void BuildSaabasSteps(TreeEnsemble e)
    {
        if (_steps.Length == 0)
        {
            _steps = new SaabasStep[(long)_treeCount << Depth];
        }

        _steps.AsSpan().Fill(new SaabasStep(-1, 0f, 0f));
        float rootSum = 0f;
        for (int t = 0; t < _treeCount; t++)
        {
            int root = e.RootOf(t);
            rootSum += e.NodeMeanOf(root);
            PlaceSteps(e, t << Depth, root, 1, 0);
        }

        _rootMeanSum = rootSum;
    }

    private void PlaceSteps(TreeEnsemble e, int treeBase, int node, int i, int level)
    {
        if (level == Depth || e.IsLeaf(node))
        {
            return; // padding below stays feature −1
        }

        int left = e.LeftOf(node);
        int right = e.RightOf(node);
        float mean = e.NodeMeanOf(node);
        _steps[treeBase + i] = new SaabasStep(e.FeatureOf(node), e.NodeMeanOf(left) - mean, e.NodeMeanOf(right) - mean);
        PlaceSteps(e, treeBase, left, 2 * i, level + 1);
        PlaceSteps(e, treeBase, right, (2 * i) + 1, level + 1);
    }

    /// <summary>
    /// Places the subtree of <paramref name="node"/> at 1-based position <paramref name="i"/> of the tree
    /// starting at <paramref name="treeBase"/>: levels 0..D−2 in the node array, level D−1 with its two leaves
    /// in the last-split array.
    /// </summary>
    private void Place(TreeEnsemble e, int treeBase, int node, int i, int level)
    {
        bool leaf = e.IsLeaf(node);
        // A leaf above the last level becomes a padding split, feature 0 against 0: either way leads to a
        // copy of it.
        int threshold = leaf ? 0 : OrderedKey(e.ThresholdOf(node));
        int feature = leaf ? 0 : e.FeatureOf(node) + (e.DefaultLeftOf(node) ? _featureCount : 0);
        int left = leaf ? node : e.LeftOf(node);
        int right = leaf ? node : e.RightOf(node);
        if (level == Depth - 1)
        {
            // Both children are leaves: no tree is deeper than the padded depth.
            _lastBase[treeBase + i - (1 << level)] = new LastSplit(threshold, feature, e.LeafValueOf(left), e.LeafValueOf(right));
            return;
        }

        _nodes[_nodeOffset + treeBase + i] = new Node(threshold, feature);
        Place(e, treeBase, left, 2 * i, level + 1);
        Place(e, treeBase, right, (2 * i) + 1, level + 1);
    }

    /// <summary>
    /// Adds every tree's leaf in tree order onto <paramref name="start"/>. Caller guarantees
    /// <paramref name="x"/> holds at least the ensemble's feature count.
    /// </summary>
    [SkipLocalsInit]
    public float SumLeaves(ReadOnlySpan<float> x, float start)
    {
        int f = _featureCount;
        int* xs = stackalloc int[2 * f];
        FillCopies(x, xs, f);
        return Walk<NoSlots>(xs, start, null);
    }

    /// <summary>
    /// Saabas reason codes from the same walk as <see cref="SumLeaves"/>: returns the leaf sum onto
    /// <paramref name="start"/> and adds <paramref name="perTree"/>·(mean(child) − mean(node)) for every split on every
    /// path to <paramref name="destination"/>[feature], in tree order, root to leaf: the node walk's float operations in
    /// the node walk's order, so the same bits. <paramref name="rootMeanSum"/> is Σ root means in tree order. The walk
    /// records each tree's leaf slot; the path back to it needs no dependent loads (its heap positions are the slot's
    /// prefixes). Caller guarantees x and destination hold the feature count and at most
    /// <see cref="MaxExplainTrees"/> trees.
    /// </summary>
    [SkipLocalsInit]
    public float Explain(ReadOnlySpan<float> x, float start, Span<float> destination, float perTree, out float rootMeanSum)
    {
        int f = _featureCount;
        int* xs = stackalloc int[2 * f];
        ushort* slots = stackalloc ushort[_treeCount];
        FillCopies(x, xs, f);
        float leaves = Walk<RecordSlots>(xs, start, slots);
        int depth = Depth;
        fixed (float* dst = destination)
        fixed (SaabasStep* steps = _steps)
        {
            SaabasStep* tree = steps;
            for (int t = 0; t < _treeCount; t++, tree += 1 << depth)
            {
                uint slot = slots[t];
                for (int level = 0; level < depth; level++)
                {
                    SaabasStep* step = tree + ((1u << level) | (slot >> (depth - level)));
                    if (step->Feature < 0)
                    {
                        break; // a shallower leaf: the rest of the padded path is copies of it
                    }

                    // Left and Right are adjacent: indexing by the path's bit costs no branch (a random path
                    // would mispredict half of them).
                    float delta = (&step->Left)[(slot >> (depth - 1 - level)) & 1];
                    dst[step->Feature] += perTree * delta;
                }
            }
        }

        rootMeanSum = _rootMeanSum;
        return leaves;
    }

    /// <summary>The walk compiled for this forest's padded depth.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Walk<TSlots>(int* xs, float start, ushort* slots)
        where TSlots : struct, ISlots => Depth switch
    {
        1 => Walk<D1, TSlots>(xs, start, slots),
        2 => Walk<D2, TSlots>(xs, start, slots),
        3 => Walk<D3, TSlots>(xs, start, slots),
        4 => Walk<D4, TSlots>(xs, start, slots),
        5 => Walk<D5, TSlots>(xs, start, slots),
        6 => Walk<D6, TSlots>(xs, start, slots),
        7 => Walk<D7, TSlots>(xs, start, slots),
        8 => Walk<D8, TSlots>(xs, start, slots),
        9 => Walk<D9, TSlots>(xs, start, slots),
        10 => Walk<D10, TSlots>(xs, start, slots),
        11 => Walk<D11, TSlots>(xs, start, slots),
        _ => Walk<D12, TSlots>(xs, start, slots),
    };

    /// <summary>Most trees <see cref="Explain"/> takes (their leaf slots live on the stack, 2 bytes each).</summary>
    public const int MaxExplainTrees = 16384;

    /// <summary>Largest reason-code table built (trees × 2^depth entries of 12 bytes: 12 MiB); bigger forests explain by the node walk.</summary>
    private const long MaxExplainSlots = 1 << 20;

    /// <summary>Whether <see cref="Explain"/> is available (the reason-code table was built).</summary>
    public bool CanExplain => _steps.Length > 0 && _treeCount <= MaxExplainTrees;

    /// <summary>
    /// Order-preserving integer key of a non-NaN float: for any a, b, a &lt; b exactly when
    /// key(a) &lt; key(b). −0 becomes +0 (they compare equal as floats); a negative float's magnitude bits
    /// are flipped so larger magnitudes sort lower. Infinities map inside (int.MinValue, int.MaxValue).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int OrderedKey(float v)
    {
        int bits = v == 0f ? 0 : BitConverter.SingleToInt32Bits(v);
        return bits ^ ((bits >> 31) & int.MaxValue);
    }

    /// <summary>
    /// xs[0, f): keys of x with NaN → int.MaxValue (default right); xs[f, 2f): NaN → int.MinValue (default left). xs may
    /// overlay x itself (each block is loaded before it is stored), as <see cref="LeafMaskForest"/> uses it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void FillCopies(ReadOnlySpan<float> x, int* xs, int f)
    {
        ref float src = ref MemoryMarshal.GetReference(x);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var right = Vector256.Create(int.MaxValue);
            var left = Vector256.Create(int.MinValue);
            for (; i <= f - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref src, (nuint)i);
                var present = Vector256.Equals(v, v).AsInt32();
                var bits = Vector256.AndNot(v.AsInt32(), Vector256.Equals(v, Vector256<float>.Zero).AsInt32());
                var key = bits ^ ((bits >> 31) & right);
                Vector256.ConditionalSelect(present, key, right).Store(xs + i);
                Vector256.ConditionalSelect(present, key, left).Store(xs + f + i);
            }
        }

        for (; i < f; i++)
        {
            float v = Unsafe.Add(ref src, i);
            bool missing = float.IsNaN(v);
            int key = missing ? 0 : OrderedKey(v);
            xs[i] = missing ? int.MaxValue : key;
            xs[f + i] = missing ? int.MinValue : key;
        }
    }

    /// <summary>
    /// The walk for one padded depth. The depth is a type argument so the tree stride S = 2^(D−1) is a
    /// constant. Lane j keeps its node as a group-relative index a = j·S + i, so every address is
    /// [group + 8·a] and the step is a ← 2a + right − j·S; after D − 1 steps a − S is the lane's last split. Sixteen indices do not all fit the registers; the few the JIT spills
    /// cost less than the latency that eight chains left exposed (measured: 12 lanes ≈ 16, 32 slower).
    /// </summary>
    private float Walk<TDepth, TSlots>(int* xs, float start, ushort* slots)
        where TDepth : struct, IDepth
        where TSlots : struct, ISlots
    {
        const int lanes = Lanes;
        nuint stride = 1u << (TDepth.Value - 1);
        float acc = start;
        Node* g = _nodeBase;
        LastSplit* last = _lastBase - stride; // lane j's a = j·2^(D−1) + i, i in [2^(D−1), 2^D), is its last split a − 2^(D−1)
        for (int remaining = _treeCount; remaining > 0; remaining -= lanes)
        {
            nuint a0 = 1;
            nuint a1 = stride + 1;
            nuint a2 = (2 * stride) + 1;
            nuint a3 = (3 * stride) + 1;
            nuint a4 = (4 * stride) + 1;
            nuint a5 = (5 * stride) + 1;
            nuint a6 = (6 * stride) + 1;
            nuint a7 = (7 * stride) + 1;
            nuint a8 = (8 * stride) + 1;
            nuint a9 = (9 * stride) + 1;
            nuint a10 = (10 * stride) + 1;
            nuint a11 = (11 * stride) + 1;
            nuint a12 = (12 * stride) + 1;
            nuint a13 = (13 * stride) + 1;
            nuint a14 = (14 * stride) + 1;
            nuint a15 = (15 * stride) + 1;
            for (int level = 1; level < TDepth.Value; level++)
            {
                a0 = (2 * a0) + Right(g + a0, xs);
                a1 = (2 * a1) + Right(g + a1, xs) - stride;
                a2 = (2 * a2) + Right(g + a2, xs) - (2 * stride);
                a3 = (2 * a3) + Right(g + a3, xs) - (3 * stride);
                a4 = (2 * a4) + Right(g + a4, xs) - (4 * stride);
                a5 = (2 * a5) + Right(g + a5, xs) - (5 * stride);
                a6 = (2 * a6) + Right(g + a6, xs) - (6 * stride);
                a7 = (2 * a7) + Right(g + a7, xs) - (7 * stride);
                a8 = (2 * a8) + Right(g + a8, xs) - (8 * stride);
                a9 = (2 * a9) + Right(g + a9, xs) - (9 * stride);
                a10 = (2 * a10) + Right(g + a10, xs) - (10 * stride);
                a11 = (2 * a11) + Right(g + a11, xs) - (11 * stride);
                a12 = (2 * a12) + Right(g + a12, xs) - (12 * stride);
                a13 = (2 * a13) + Right(g + a13, xs) - (13 * stride);
                a14 = (2 * a14) + Right(g + a14, xs) - (14 * stride);
                a15 = (2 * a15) + Right(g + a15, xs) - (15 * stride);
            }

            // In tree order, one by one: the same float sum as a sequential walk. Padding trees of the
            // last group are walked but not added.
            if (remaining >= lanes)
            {
                acc += Leaf<TSlots>(last, a0, stride, xs, slots + 0);
                acc += Leaf<TSlots>(last, a1, (2 * stride), xs, slots + 1);
                acc += Leaf<TSlots>(last, a2, (3 * stride), xs, slots + 2);
                acc += Leaf<TSlots>(last, a3, (4 * stride), xs, slots + 3);
                acc += Leaf<TSlots>(last, a4, (5 * stride), xs, slots + 4);
                acc += Leaf<TSlots>(last, a5, (6 * stride), xs, slots + 5);
                acc += Leaf<TSlots>(last, a6, (7 * stride), xs, slots + 6);
                acc += Leaf<TSlots>(last, a7, (8 * stride), xs, slots + 7);
                acc += Leaf<TSlots>(last, a8, (9 * stride), xs, slots + 8);
                acc += Leaf<TSlots>(last, a9, (10 * stride), xs, slots + 9);
                acc += Leaf<TSlots>(last, a10, (11 * stride), xs, slots + 10);
                acc += Leaf<TSlots>(last, a11, (12 * stride), xs, slots + 11);
                acc += Leaf<TSlots>(last, a12, (13 * stride), xs, slots + 12);
                acc += Leaf<TSlots>(last, a13, (14 * stride), xs, slots + 13);
                acc += Leaf<TSlots>(last, a14, (15 * stride), xs, slots + 14);
                acc += Leaf<TSlots>(last, a15, (16 * stride), xs, slots + 15);
            }
            else
            {
                acc = AddTail<TSlots>(acc, last, xs, remaining, stride, slots, [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14]);
            }

            g += lanes * stride;
            last += lanes * stride;
            slots += TSlots.Enabled ? lanes : 0;
        }

        return acc;
    }

    /// <summary>The leaves of a partial last group, in tree order (cold: once per event at most).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float AddTail<TSlots>(float acc, LastSplit* last, int* xs, int count, nuint stride, ushort* slots, ReadOnlySpan<nuint> a)
        where TSlots : struct, ISlots
    {
        for (int j = 0; j < count; j++)
        {
            acc += Leaf<TSlots>(last, a[j], (nuint)(j + 1) * stride, xs, slots + j);
        }

        return acc;
    }

    /// <summary>1 when the event goes right at this node (x ≥ threshold, or missing with default right), else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nuint Right(Node* n, int* xs) => xs[n->Feature] < n->Threshold ? 0u : 1u;

    /// <summary>
    /// The last split of a path decides between the two leaves stored beside it. Lane a's last split is last + a; with
    /// slots recorded, its leaf slot in the padded tree is 2·(a − <paramref name="laneEnd"/>) + right, where laneEnd is
    /// (lane + 1)·2^(D−1) (a − lane·2^(D−1) is the split's heap position, in [2^(D−1), 2^D)).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Leaf<TSlots>(LastSplit* last, nuint a, nuint laneEnd, int* xs, ushort* slot)
        where TSlots : struct, ISlots
    {
        LastSplit* s = last + a;
        uint right = xs[s->Feature] < s->Threshold ? 0u : 1u;
        if (TSlots.Enabled)
        {
            *slot = (ushort)(((uint)(a - laneEnd) << 1) | right);
        }

        return (&s->Left)[right];
    }

    /// <summary>A last-level split with both leaves: one cache line holds the end of the path.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct LastSplit(int threshold, int feature, float left, float right)
    {
        public readonly int Threshold = threshold;
        public readonly int Feature = feature;
        public readonly float Left = left;
        public readonly float Right = right;
    }

    /// <summary>One split of the reason-code table: its feature (−1: padding) and the Saabas steps to each child.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct SaabasStep(int feature, float left, float right)
    {
        public readonly int Feature = feature;
        public readonly float Left = left;
        public readonly float Right = right;
    }

    /// <summary>A split: threshold key and feature index into the doubled event (default-left nodes point into the second copy).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Node(int threshold, int feature)
    {
        public readonly int Threshold = threshold;
        public readonly int Feature = feature;
    }

#pragma warning disable CA1812 // used as type arguments only
    /// <summary>A padded depth as a type, so the JIT compiles one walk per depth with the stride constant.</summary>
    private interface IDepth
    {
        static abstract int Value { get; }
    }

    /// <summary>Whether a walk records each tree's leaf slot (a type, so the plain walk compiles without it).</summary>
    private interface ISlots
    {
        static abstract bool Enabled { get; }
    }

    private readonly struct NoSlots : ISlots { public static bool Enabled => false; }

    private readonly struct RecordSlots : ISlots { public static bool Enabled => true; }

    private readonly struct D1 : IDepth { public static int Value => 1; }

    private readonly struct D2 : IDepth { public static int Value => 2; }

    private readonly struct D3 : IDepth { public static int Value => 3; }

    private readonly struct D4 : IDepth { public static int Value => 4; }

    private readonly struct D5 : IDepth { public static int Value => 5; }

    private readonly struct D6 : IDepth { public static int Value => 6; }

    private readonly struct D7 : IDepth { public static int Value => 7; }

    private readonly struct D8 : IDepth { public static int Value => 8; }

    private readonly struct D9 : IDepth { public static int Value => 9; }

    private readonly struct D10 : IDepth { public static int Value => 10; }

    private readonly struct D11 : IDepth { public static int Value => 11; }

    private readonly struct D12 : IDepth { public static int Value => 12; }
#pragma warning restore CA1812
}
