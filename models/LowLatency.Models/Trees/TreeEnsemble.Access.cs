namespace LowLatency.Models.Trees;

/// <summary>Read access to the flat node arrays for the compiled layout, serializer and explainers.</summary>
public sealed partial class TreeEnsemble
{
    internal int RootOf(int tree) => _treeRoot[tree];

    internal bool IsLeaf(int node) => _left[node] < 0;

    internal int LeftOf(int node) => _left[node];

    internal int RightOf(int node) => _right[node];

    internal int FeatureOf(int node) => _feature[node];

    internal float ThresholdOf(int node) => _threshold[node];

    internal bool DefaultLeftOf(int node) => (_flags[node] & FlagDefaultLeft) != 0;

    internal float LeafValueOf(int node) => _value[node];

    internal CompiledForest? Compiled => _compiled;

    internal InterleavedForest? Interleaved => _interleaved;

    internal bool AllSplitsNumeric()
    {
        foreach (byte f in _flags)
        {
            if ((f & (FlagZeroMissing | FlagCategorical)) != 0)
            {
                return false;
            }
        }

        return true;
    }
}
