namespace LowLatency.Models.Trees;

/// <summary>Turning the flat arrays back into per-tree specs (serializer, inspection).</summary>
public sealed partial class TreeEnsemble
{
    /// <summary>
    /// Rebuilds one <see cref="TreeSpec"/> per tree with tree-local indices, in tree order. Cover holds the
    /// effective node weights the Saabas means were computed from, so <see cref="Create"/> on the result
    /// reproduces this ensemble exactly (same margins, same contributions).
    /// </summary>
    public IReadOnlyList<TreeSpec> ToSpecs() => SpecsWith(_value);

    /// <summary>The specs of <see cref="ToSpecs"/> with each leaf's value taken from <paramref name="nodeValues"/> (by global node).</summary>
    private TreeSpec[] SpecsWith(ReadOnlySpan<float> nodeValues)
    {
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
            var zero = new bool[n];
            var sets = new uint[]?[n];
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
                zero[i] = (_flags[g] & FlagZeroMissing) != 0;
                anyZero |= zero[i];
                if ((_flags[g] & FlagCategorical) != 0)
                {
                    sets[i] = (uint[])_categories[_categoryIndex[g]].Clone();
                    anyCategorical = true;
                }
            }

            specs[t] = new TreeSpec(left, right, feature, threshold, defaultLeft, leaf)
            {
                Cover = cover,
                ZeroIsMissing = anyZero ? zero : null,
                CategorySets = anyCategorical ? sets : null,
            };
        }

        return specs;
    }
}
