using System.Diagnostics.CodeAnalysis;

namespace LowLatency.Models.Trees;

/// <summary>
/// Reason codes for trees: Saabas path-based contributions (not TreeSHAP). Every node carries the
/// cover-weighted mean of the leaves below it; walking the event's path, each split moves the prediction
/// from the parent's mean to the child's mean, and that step is credited to the split's feature. The sum
/// telescopes: bias (base margin + Σ root means) + Σ contributions = Σ leaves + base = the margin, up to
/// float rounding. Cheap (one walk per tree, no allocation) but, unlike TreeSHAP, order-dependent: a
/// feature split near the root gets credit that SHAP would share.
/// </summary>
public sealed partial class TreeEnsemble
{
    /// <summary>
    /// Adds each feature's Saabas contribution, times <paramref name="scale"/>, to
    /// <paramref name="destination"/>[feature] (which is not cleared, so several models can merge into one
    /// buffer). Returns the bias (base margin plus root means, scaled like the margin), so that
    /// bias + Σ contributions equals <see cref="Margin"/> within float tolerance. For averaged forests the
    /// contributions and root means are divided by the tree count, as the margin is.
    /// </summary>
    public float AddContributions(ReadOnlySpan<float> features, Span<float> destination, float scale = 1f) =>
        AddContributions(features, destination, scale, out _);

    /// <summary>
    /// <see cref="AddContributions(ReadOnlySpan{float}, Span{float}, float)"/> that also returns the ensemble's
    /// <see cref="Margin"/> from the same walk: the leaves are summed in float in tree order from the base margin, the
    /// sum every evaluation path of this class reproduces bit for bit, so explaining costs one walk instead of two.
    /// </summary>
    public float AddContributions(ReadOnlySpan<float> features, Span<float> destination, float scale, out float margin)
    {
        if (features.Length < FeatureCount)
        {
            ThrowShort(features.Length, FeatureCount);
        }

        if (destination.Length < FeatureCount)
        {
            ThrowShortContributions(destination.Length, FeatureCount);
        }

        float perTree = Aggregation == TreeAggregation.Sum ? scale : scale / TreeCount;
        float start = Aggregation == TreeAggregation.Sum ? BaseMargin : 0f;
        if (_interleaved is { CanExplain: true } fast)
        {
            // The same sums in the same order as the walk below, from the sixteen-trees-at-once kernel.
            margin = Finish(fast.Explain(features, start, destination, perTree, out float roots));
            return (scale * BaseMargin) + (perTree * roots);
        }

        return AddContributionsNodeWalk(features, destination, scale, out margin);
    }

    /// <summary>
    /// Reference for <see cref="AddContributions(ReadOnlySpan{float}, Span{float}, float, out float)"/>, and its path
    /// for ensembles the interleaved kernel does not take: each tree walked node by node, every split kind.
    /// </summary>
    internal float AddContributionsNodeWalk(ReadOnlySpan<float> features, Span<float> destination, float scale, out float margin)
    {
        float perTree = Aggregation == TreeAggregation.Sum ? scale : scale / TreeCount;
        float rootSum = 0f;
        float leaves = Aggregation == TreeAggregation.Sum ? BaseMargin : 0f;
        int[] left = _left, right = _right, feature = _feature;
        float[] mean = _nodeMean, value = _value;
        for (int t = 0; t < _treeRoot.Length; t++)
        {
            int node = _treeRoot[t];
            rootSum += mean[node];
            int l;
            while ((l = left[node]) >= 0)
            {
                int f = feature[node];
                int next = GoesLeft(node, features[f]) ? l : right[node];
                destination[f] += perTree * (mean[next] - mean[node]);
                node = next;
            }

            leaves += value[node];
        }

        margin = Finish(leaves);
        return (scale * BaseMargin) + (perTree * rootSum);
    }

    /// <summary>Clears the first <see cref="FeatureCount"/> slots of destination, then <see cref="AddContributions(ReadOnlySpan{float}, Span{float}, float)"/>.</summary>
    public float Contributions(ReadOnlySpan<float> features, Span<float> destination)
    {
        if (destination.Length < FeatureCount)
        {
            ThrowShortContributions(destination.Length, FeatureCount);
        }

        destination[..FeatureCount].Clear();
        return AddContributions(features, destination);
    }

    /// <summary>Cover-weighted mean leaf value below a node (tests and inspection).</summary>
    internal float NodeMeanOf(int node) => _nodeMean[node];

    [DoesNotReturn]
    private static void ThrowShortContributions(int have, int need) =>
        throw new ArgumentException($"destination holds {have} values; the ensemble reads {need} features.", "destination");
}
