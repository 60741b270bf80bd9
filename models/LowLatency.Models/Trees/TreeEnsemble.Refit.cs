using System.Diagnostics.CodeAnalysis;

namespace LowLatency.Models.Trees;

/// <summary>
/// Leaf-level access for online refitting: which leaf an event reaches in each tree, and a copy of the
/// ensemble with new leaf values. The structure (splits, thresholds, missing-value rules, categories) is
/// never changed, so a refit model routes every event exactly as the imported one did.
/// </summary>
public sealed partial class TreeEnsemble
{
    /// <summary>Global node index of the leaf that <paramref name="features"/> reaches in tree <paramref name="tree"/>.</summary>
    public int LeafIndex(int tree, ReadOnlySpan<float> features)
    {
        if ((uint)tree >= (uint)TreeCount)
        {
            ThrowTree(tree, TreeCount);
        }

        if (features.Length < FeatureCount)
        {
            ThrowShort(features.Length, FeatureCount);
        }

        return Leaf(_treeRoot[tree], features);
    }

    /// <summary>Whether global node <paramref name="node"/> is a leaf.</summary>
    public bool IsLeafNode(int node) => _left[node] < 0;

    /// <summary>Value of global node <paramref name="node"/> (the leaf output for leaves, 0 for internal nodes).</summary>
    public float NodeValue(int node) => _value[node];

    /// <summary>
    /// A new ensemble with the same trees and leaf values taken from <paramref name="nodeValues"/> (indexed by
    /// global node; entries of internal nodes are ignored). Validated like any imported model: a non-finite
    /// leaf is a <see cref="ModelFormatException"/>. Node weights (training cover) are kept, so the copy's Saabas
    /// reason codes weight paths as the original's did, over the new leaf values. Allocates: a learner-thread operation.
    /// </summary>
    public TreeEnsemble WithLeafValues(ReadOnlySpan<float> nodeValues)
    {
        if (nodeValues.Length != NodeCount)
        {
            ThrowValues(nodeValues.Length, NodeCount);
        }

        var specs = new TreeSpec[TreeCount];
        for (int t = 0; t < TreeCount; t++)
        {
            int start = _treeRoot[t];
            int end = t + 1 < TreeCount ? _treeRoot[t + 1] : NodeCount;
            int n = end - start;
            var left = new int[n];
            var right = new int[n];
            var feature = new int[n];
            var threshold = new float[n];
            var defaultLeft = new bool[n];
            var leaf = new float[n];
            var cover = new float[n];
            var zeroMissing = new bool[n];
            var categories = new uint[]?[n];
            bool anyZero = false, anyCategorical = false;
            for (int i = 0; i < n; i++)
            {
                int g = start + i;
                bool isLeaf = _left[g] < 0;
                left[i] = isLeaf ? -1 : _left[g] - start;
                right[i] = isLeaf ? -1 : _right[g] - start;
                feature[i] = isLeaf ? 0 : _feature[g];
                threshold[i] = _threshold[g];
                defaultLeft[i] = (_flags[g] & FlagDefaultLeft) != 0;
                leaf[i] = isLeaf ? nodeValues[g] : 0f;
                cover[i] = _weight[g];
                zeroMissing[i] = (_flags[g] & FlagZeroMissing) != 0;
                anyZero |= zeroMissing[i];
                if ((_flags[g] & FlagCategorical) != 0)
                {
                    categories[i] = _categories[_categoryIndex[g]];
                    anyCategorical = true;
                }
            }

            specs[t] = new TreeSpec(left, right, feature, threshold, defaultLeft, leaf)
            {
                Cover = cover,
                ZeroIsMissing = anyZero ? zeroMissing : null,
                CategorySets = anyCategorical ? categories : null,
            };
        }

        return Create(specs, FeatureCount, BaseMargin, Output, Aggregation, compile: _compile);
    }

    /// <summary>
    /// Replaces the leaf values of this ensemble in place with those of <paramref name="nodeValues"/> (indexed by global
    /// node; internal entries ignored), and every layout derived from them (node means, the interleaved kernel and its
    /// reason-code table), so it then scores bit for bit like <see cref="WithLeafValues"/> of the same values, without
    /// allocating. Ensembles are immutable once shared: this is for one that never leaves its owner (the leaf refitter's
    /// working copy). Validates every value before changing anything.
    /// </summary>
    internal void OverwriteLeafValues(ReadOnlySpan<float> nodeValues)
    {
        if (nodeValues.Length != NodeCount)
        {
            ThrowValues(nodeValues.Length, NodeCount);
        }

        for (int n = 0; n < NodeCount; n++)
        {
            if (_left[n] < 0 && !float.IsFinite(nodeValues[n]))
            {
                throw new ModelFormatException($"leaf value {nodeValues[n]} at node {n} is not finite.");
            }
        }

        for (int n = 0; n < NodeCount; n++)
        {
            if (_left[n] < 0)
            {
                _value[n] = nodeValues[n];
            }
        }

        for (int t = 0; t < TreeCount; t++)
        {
            // The stored weights are the ones the means were first computed with (cover clipped at 0, or leaf counts),
            // so recomputing from them gives the means a fresh build from these values gives.
            ComputeMeans(_treeRoot[t], 0, _weight, 0, out _);
        }

        _interleaved?.Refresh(this);
        Volatile.Write(ref _acrossRows, null); // the across-rows layout, if any was built, is rebuilt on next use
    }

    [DoesNotReturn]
    private static void ThrowTree(int tree, int count) =>
        throw new ArgumentOutOfRangeException(nameof(tree), $"Tree {tree} is outside [0, {count}).");

    [DoesNotReturn]
    private static void ThrowValues(int have, int need) =>
        throw new ArgumentException($"nodeValues holds {have} values; the ensemble has {need} nodes.", "nodeValues");
}
