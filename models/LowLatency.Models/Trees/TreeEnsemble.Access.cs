using System.Runtime.CompilerServices;

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

    /// <summary>
    /// The AVX2 gather layout (across rows for batches; across trees only when the event is too wide for
    /// <see cref="InterleavedForest"/>), built on first use: single-event scoring never needs it, so a model
    /// swapped in by the learner does not pay for it. Racing builders make equal layouts; one is kept.
    /// </summary>
    internal CompiledForest? Compiled
    {
        get
        {
            var box = Volatile.Read(ref _acrossRows);
            return box is not null ? box.Value : _compile ? BuildCompiled() : null;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private CompiledForest? BuildCompiled()
    {
        var built = new StrongBox<CompiledForest?>(CompiledForest.TryBuild(this));
        return (Interlocked.CompareExchange(ref _acrossRows, built, null) ?? built).Value;
    }

    internal InterleavedForest? Interleaved => _interleaved;

    /// <summary>
    /// The leaf-bitvector layout behind <see cref="MarginBatch"/>, built on first use (null where the machine lacks AVX-512
    /// or the trees do not fit it); racing builders make equal layouts, one is kept.
    /// </summary>
    internal LeafMaskForest? LeafMasks
    {
        get
        {
            var box = Volatile.Read(ref _leafMasks);
            return box is not null ? box.Value : BuildLeafMasks();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private LeafMaskForest? BuildLeafMasks()
    {
        var built = new StrongBox<LeafMaskForest?>(LeafMaskForest.TryBuild(this));
        return (Interlocked.CompareExchange(ref _leafMasks, built, null) ?? built).Value;
    }

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
