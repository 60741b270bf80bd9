using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LowLatency.Models.Explain;
using LowLatency.Models.Linear;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Champion;

/// <summary>
/// The production model: a logistic regression over dense features plus hashed keys, and/or a tree
/// ensemble over the same dense vector, combined as configured by <see cref="ChampionBlend"/>. Immutable
/// and thread-safe; publish a new one by a single reference write. Scoring and explaining allocate
/// nothing: reason-code scratch space is the caller's (stackalloc of <see cref="ExplainSlots"/> floats).
/// Reason-code feature indices: i &lt; DenseCount is dense feature i (named by <see cref="Layout"/>);
/// DenseCount + k is the k-th sparse key of the call.
/// <para>
/// An optional third part, the online tree (<see cref="OnlineTree"/>: the snapshot of a Hoeffding tree the learner grows
/// from the labels), scores on the same tree runtime; its margin, times <see cref="ChampionBlend.OnlineTreeWeight"/>, is
/// added to the combined margin in either combination mode, and its Saabas contributions join the reason codes.
/// </para>
/// </summary>
public sealed class ChampionModel
{
    private readonly float[] _reference;
    private readonly float[] _referenceTerms;
    private readonly float _referenceMargin;

    /// <summary>
    /// Builds a champion; at least one of the two models must be present and match the layout. <paramref name="reference"/>
    /// (optional, one value per dense feature, typically the training means) is the point the logistic reason codes are
    /// measured from: contribution i is w_i·(x_i − r_i) rather than w_i·x_i, so a feature that sits at its usual value
    /// explains nothing, as a tree's Saabas contributions (measured from the root's mean) already do. Scores never change.
    /// </summary>
    public ChampionModel(ModelLayout layout, LogisticModel? logistic, TreeEnsemble? trees, ChampionBlend blend, IReadOnlyList<float>? reference = null, TreeEnsemble? onlineTree = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        blend.Validate();
        if (logistic is null && trees is null)
        {
            throw new ModelFormatException("champion: neither a logistic model nor a tree ensemble is present.");
        }

        if (logistic is not null)
        {
            if (logistic.DenseCount != layout.DenseCount)
            {
                throw new ModelFormatException($"logistic.dense_weights has {logistic.DenseCount} weights; layout.feature_names has {layout.DenseCount} features.");
            }

            if (logistic.HashBits != layout.HashBits)
            {
                throw new ModelFormatException($"logistic.hashed_weights has 2^{logistic.HashBits} slots; layout.hash_bits = {layout.HashBits}.");
            }
        }

        if (trees is not null && trees.FeatureCount > layout.DenseCount)
        {
            throw new ModelFormatException($"trees.feature_count = {trees.FeatureCount} exceeds layout.feature_names ({layout.DenseCount} features).");
        }

        if (onlineTree is not null)
        {
            if (onlineTree.Output != TreeOutput.Logistic)
            {
                throw new ModelFormatException($"online_tree.output = {onlineTree.Output}; an online tree is a logistic (log-odds) model.");
            }

            if (onlineTree.FeatureCount > layout.DenseCount)
            {
                throw new ModelFormatException($"online_tree.feature_count = {onlineTree.FeatureCount} exceeds layout.feature_names ({layout.DenseCount} features).");
            }

            if (logistic is null && trees!.Output == TreeOutput.RawMargin)
            {
                throw new ModelFormatException("online_tree: a regression ensemble cannot be combined with a log-odds online tree.");
            }
        }

        _reference = [];
        _referenceTerms = [];
        if (reference is { Count: > 0 })
        {
            if (reference.Count != layout.DenseCount)
            {
                throw new ModelFormatException($"reference has {reference.Count} values; layout.feature_names has {layout.DenseCount} features.");
            }

            _reference = [.. reference];
            for (int i = 0; i < _reference.Length; i++)
            {
                if (!float.IsFinite(_reference[i]))
                {
                    throw new ModelFormatException($"reference[{i}] = {_reference[i]} is not finite.");
                }
            }

            if (logistic is not null)
            {
                _referenceTerms = new float[_reference.Length];
                double sum = 0;
                for (int i = 0; i < _reference.Length; i++)
                {
                    _referenceTerms[i] = logistic.DenseWeights[i] * _reference[i];
                    sum += _referenceTerms[i];
                }

                _referenceMargin = (float)sum;
            }
        }

        Layout = layout;
        Logistic = logistic;
        Trees = trees;
        OnlineTree = onlineTree;
        Blend = blend;
    }

    /// <summary>A champion made of one logistic model (margin = its margin).</summary>
    public static ChampionModel FromLogistic(LogisticModel logistic, IReadOnlyList<string> featureNames)
    {
        ArgumentNullException.ThrowIfNull(logistic);
        return new ChampionModel(new ModelLayout(featureNames, logistic.HashBits), logistic, null, ChampionBlend.Sum);
    }

    /// <summary>A champion made of one ensemble (margin and prediction exactly the ensemble's); names default to the ensemble's or f0…fn.</summary>
    public static ChampionModel FromTrees(TreeEnsemble trees, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(trees);
        var names = featureNames ?? (trees.FeatureNames.Count > 0 ? trees.FeatureNames : null);
        var layout = names is null ? ModelLayout.Positional(trees.FeatureCount) : new ModelLayout(names, 0);
        return new ChampionModel(layout, null, trees, ChampionBlend.Sum);
    }

    /// <summary>Expected input.</summary>
    public ModelLayout Layout { get; }

    /// <summary>The logistic part, or null.</summary>
    public LogisticModel? Logistic { get; }

    /// <summary>The tree part, or null.</summary>
    public TreeEnsemble? Trees { get; }

    /// <summary>The online tree part (a learner's Hoeffding tree as a one-tree logistic ensemble), or null.</summary>
    public TreeEnsemble? OnlineTree { get; }

    /// <summary>Combination configuration.</summary>
    public ChampionBlend Blend { get; }

    /// <summary>The point logistic reason codes are measured from (one value per dense feature), or empty: measured from 0.</summary>
    public ReadOnlySpan<float> Reference => _reference;

    /// <summary>
    /// The same layout, blend and reference with other parts (a learner's new weights or refit leaves; the online tree is
    /// kept); the parts must fit the layout as in the constructor.
    /// </summary>
    public ChampionModel WithParts(LogisticModel? logistic, TreeEnsemble? trees) => new(Layout, logistic, trees, Blend, _reference, OnlineTree);

    /// <summary>The same layout and reference with other parts and blend (null <paramref name="onlineTree"/> = no online tree).</summary>
    public ChampionModel WithParts(LogisticModel? logistic, TreeEnsemble? trees, TreeEnsemble? onlineTree, ChampionBlend blend) =>
        new(Layout, logistic, trees, blend, _reference, onlineTree);

    /// <summary>Scratch floats <see cref="Explain"/> needs for a call with <paramref name="sparseKeyCount"/> keys.</summary>
    public int ExplainSlots(int sparseKeyCount) => Layout.DenseCount + sparseKeyCount;

    /// <summary>Combined margin. <paramref name="dense"/> must hold at least <see cref="ModelLayout.DenseCount"/> values (NaN = missing).</summary>
    public float Margin(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> sparseKeys)
    {
        if (dense.Length < Layout.DenseCount)
        {
            ThrowShort(dense.Length, Layout.DenseCount);
        }

        return Margin(dense, sparseKeys, Trees is { } t ? t.Margin(dense) : 0f);
    }

    /// <summary>
    /// <see cref="Margin(ReadOnlySpan{float}, ReadOnlySpan{ulong})"/> with the tree ensemble's margin already computed
    /// (<paramref name="treeMargin"/> = <see cref="Trees"/>.Margin(dense), for instance a row of
    /// <see cref="TreeEnsemble.MarginBatch"/>): the same operations in the same order, so the same bits.
    /// </summary>
    public float Margin(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> sparseKeys, float treeMargin)
    {
        if (dense.Length < Layout.DenseCount)
        {
            ThrowShort(dense.Length, Layout.DenseCount);
        }

        float mL = Logistic is { } l ? Blend.LogisticWeight * l.Margin(dense, sparseKeys) : 0f;
        float mT = Trees is not null ? Blend.TreeWeight * treeMargin : 0f;
        float margin = Combine(mL, mT, out _);
        if (OnlineTree is { } h)
        {
            margin += Blend.OnlineTreeWeight * h.Margin(dense);
        }

        return margin;
    }

    /// <summary>
    /// Prediction scale: a lone tree ensemble keeps its own transform (so an imported XGBoost model matches
    /// XGBoost's probabilities, and a regression stays a raw value); anything with a logistic part uses the
    /// stable float sigmoid (<see cref="Models.Logistic.SigmoidFast"/>, as <see cref="LogisticModel.Probability"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ToProbability(float margin) =>
        Logistic is null && OnlineTree is null && Trees is { } t ? t.Transform(margin) : Models.Logistic.SigmoidFast(margin);

    /// <summary>True when <see cref="ToProbability"/> is a probability (false for a lone regression ensemble).</summary>
    public bool IsClassifier => Logistic is not null || Trees!.Output != TreeOutput.RawMargin;

    /// <summary>Margin and probability of one event.</summary>
    public ChampionScore Score(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> sparseKeys)
    {
        float m = Margin(dense, sparseKeys);
        return new ChampionScore(m, ToProbability(m), 0f, 0);
    }

    /// <summary>
    /// Scores one event and writes its top reason codes, largest |contribution| first, into
    /// <paramref name="reasons"/> (its length is k). Logistic contributions are exact (w·x, and the table
    /// weight each key hit); tree contributions are Saabas; both are scaled by their blend weight and merged
    /// per feature in <paramref name="scratch"/> (at least <see cref="ExplainSlots"/> floats, left holding
    /// every feature's merged contribution). For <see cref="ChampionCombination.WeightedMargin"/>,
    /// bias + Σ scratch = margin within float tolerance; for Max, the winning model's contributions are used.
    /// </summary>
    public ChampionScore Explain(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> sparseKeys, Span<float> scratch, Span<Contribution> reasons)
    {
        int slots = Layout.DenseCount + sparseKeys.Length;
        if (dense.Length < Layout.DenseCount)
        {
            ThrowShort(dense.Length, Layout.DenseCount);
        }

        if (scratch.Length < slots)
        {
            ThrowScratch(scratch.Length, slots);
        }

        var work = scratch[..slots];
        work.Clear();
        float mL = Logistic is { } l ? Blend.LogisticWeight * l.Margin(dense, sparseKeys) : 0f;
        float bias = Blend.Intercept;
        float mT = 0f;
        bool treesExplained = false;
        if (Trees is { } t)
        {
            if (Blend.Mode == ChampionCombination.Max && Logistic is not null)
            {
                mT = Blend.TreeWeight * t.Margin(dense); // whether the trees explain depends on who wins
            }
            else
            {
                // The trees always count: one walk gives their margin and their Saabas contributions.
                bias += t.AddContributions(dense, work, Blend.TreeWeight, out float treeMargin);
                mT = Blend.TreeWeight * treeMargin;
                treesExplained = true;
            }
        }

        float margin = Combine(mL, mT, out int winner);
        if (Logistic is { } lr && winner != 2)
        {
            bias += AddLogisticContributions(lr, dense, sparseKeys, work);
        }

        if (Trees is { } tr && winner != 1 && !treesExplained)
        {
            bias += tr.AddContributions(dense, work, Blend.TreeWeight);
        }

        if (OnlineTree is { } h)
        {
            bias += h.AddContributions(dense, work, Blend.OnlineTreeWeight, out float onlineMargin);
            margin += Blend.OnlineTreeWeight * onlineMargin;
        }

        int count = TopContributions.Select(work, reasons);
        return new ChampionScore(margin, ToProbability(margin), bias, count);
    }

    /// <summary>
    /// Adds wL·w_i·(x_i − r_i) (wL·w_i·x_i without a reference; a missing x counts 0) to slot i and wL·table[slot(key k)]
    /// to slot DenseCount + k, in one pass; returns the logistic part's share of the bias, wL·(b + Σ w_i·r_i).
    /// </summary>
    private float AddLogisticContributions(LogisticModel lr, ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys, Span<float> work)
    {
        float wl = Blend.LogisticWeight;
        var w = lr.DenseWeights;
        int n = Layout.DenseCount;
        var terms = _referenceTerms.Length > 0 ? _referenceTerms.AsSpan(0, n) : default;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Eight features a step, the scalar loop's operations lane by lane (no fused multiply-add), so the same
            // bits; a missing value is a select, not a branch (which mispredicted wherever NaNs come and go).
            ref float x = ref MemoryMarshal.GetReference(dense);
            ref float wr = ref MemoryMarshal.GetReference(w);
            ref float acc = ref MemoryMarshal.GetReference(work);
            var scale = Vector256.Create(wl);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref x, (nuint)i);
                var term = Vector256.ConditionalSelect(Vector256.Equals(v, v), Vector256.LoadUnsafe(ref wr, (nuint)i) * v, Vector256<float>.Zero);
                if (!terms.IsEmpty)
                {
                    term -= Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(terms), (nuint)i);
                }

                (Vector256.LoadUnsafe(ref acc, (nuint)i) + (scale * term)).StoreUnsafe(ref acc, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float v = dense[i];
            float term = float.IsNaN(v) ? 0f : w[i] * v;
            work[i] += wl * (terms.IsEmpty ? term : term - terms[i]);
        }

        var table = lr.HashedWeights;
        for (int k = 0; k < keys.Length; k++)
        {
            work[n + k] += wl * table[FeatureHasher.Slot(keys[k], lr.HashBits)];
        }

        return wl * (lr.Bias + _referenceMargin);
    }

    /// <summary>Combines the weighted margins; winner 0 = both count, 1 = logistic, 2 = trees (Max mode only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Combine(float weightedLogistic, float weightedTrees, out int winner)
    {
        winner = 0;
        if (Blend.Mode == ChampionCombination.Max && Logistic is not null && Trees is not null)
        {
            winner = weightedTrees > weightedLogistic ? 2 : 1;
            return Blend.Intercept + (winner == 2 ? weightedTrees : weightedLogistic);
        }

        return Blend.Intercept + weightedLogistic + weightedTrees;
    }

    [DoesNotReturn]
    private static void ThrowShort(int have, int need) =>
        throw new ArgumentException($"dense holds {have} values; the champion's layout has {need} features.", "dense");

    [DoesNotReturn]
    private static void ThrowScratch(int have, int need) =>
        throw new ArgumentException($"scratch holds {have} floats; {need} are needed (ExplainSlots).", "scratch");
}
