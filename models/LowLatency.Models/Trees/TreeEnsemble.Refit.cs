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

        return Create(SpecsWith(nodeValues), FeatureCount, BaseMargin, Output, Aggregation, compile: _compile);
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
        // The across-rows layout, if one was built, has the same shape: its leaves are rewritten in place (a failed
        // build stays failed, as the splits did not change).
        Volatile.Read(ref _acrossRows)?.Value?.Refresh(this);
        Volatile.Read(ref _leafMasks)?.Value?.Refresh(this);
    }

    [DoesNotReturn]
    private static void ThrowTree(int tree, int count) =>
        throw new ArgumentOutOfRangeException(nameof(tree), $"Tree {tree} is outside [0, {count}).");

    [DoesNotReturn]
    private static void ThrowValues(int have, int need) =>
        throw new ArgumentException($"nodeValues holds {have} values; the ensemble has {need} nodes.", "nodeValues");
}
