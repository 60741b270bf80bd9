using System.Runtime.CompilerServices;

namespace LowLatency.Models.Online;

/// <summary>
/// Drift adaptation in the manner of the Hoeffding Adaptive Tree (Bifet &amp; Gavaldà 2009), with
/// Page-Hinkley in place of ADWIN as each node's change detector: a node whose error rises grows an
/// alternate subtree on the same examples, and the better of the two after a trial period keeps the place.
/// Node slots of a replaced or dropped subtree are not reused (their leaf statistics blocks are), so a tree
/// that adapts often reaches <see cref="HoeffdingTreeOptions.MaxNodes"/> sooner; after that it stops
/// growing (counted in <see cref="SplitsRefusedForSpace"/> and <see cref="AlternatesRefusedForSpace"/>).
/// </summary>
public sealed partial class HoeffdingTree
{
    private const int DriftStats = 4; // n, mean, cumulative deviation, its minimum
    private readonly int[] _alternate;  // alternate subtree root per node, -1 for none
    private readonly double[] _drift;   // Page-Hinkley state per node
    private readonly double[] _trial;   // per node with an alternate: examples, main error sum, alternate error sum

    /// <summary>Alternate subtrees started on a drift alarm.</summary>
    public long AlternatesStarted { get; private set; }

    /// <summary>Alternates that replaced their node's subtree.</summary>
    public long AlternatesSwapped { get; private set; }

    /// <summary>Alternates dropped for not beating the subtree they shadowed.</summary>
    public long AlternatesDropped { get; private set; }

    /// <summary>Alarms that could not start an alternate (no node or statistics space left).</summary>
    public long AlternatesRefusedForSpace { get; private set; }

    private void LearnAdaptive(ReadOnlySpan<float> x, bool label)
    {
        Span<int> path = stackalloc int[66];
        int depth = 0;
        int n = 0;
        while (true)
        {
            path[depth++] = n;
            if (_block[n] >= 0)
            {
                break;
            }

            n = x[_feature[n]] < _threshold[n] ? _left[n] : _right[n];
        }

        int leaf = n;
        double y = label ? 1 : 0;
        double error = Math.Abs(y - Probability(leaf));
        for (int d = 0; d < depth - 1; d++)
        {
            int node = path[d];
            int alternate = _alternate[node];
            if (alternate >= 0)
            {
                int altLeaf = LeafFrom(alternate, x);
                double altError = Math.Abs(y - Probability(altLeaf));
                LearnAtLeaf(altLeaf, x, label);
                ref double trial = ref _trial[node * 3];
                trial += 1;
                Unsafe.Add(ref trial, 1) += error;
                Unsafe.Add(ref trial, 2) += altError;
                if (trial >= _options.AlternateTrial && Decide(node))
                {
                    return; // the example's old path is gone; the alternate that replaced it has learned it
                }
            }
            else if (DriftAlarm(node, error))
            {
                StartAlternate(node);
            }
        }

        LearnAtLeaf(leaf, x, label);
    }

    private double Probability(int leaf)
    {
        double prior = _options.LeafPrior;
        return (_classCount[(leaf * 2) + 1] + prior) / (_classCount[leaf * 2] + _classCount[(leaf * 2) + 1] + (2 * prior));
    }

    private int LeafFrom(int n, ReadOnlySpan<float> x)
    {
        while (_block[n] < 0)
        {
            n = x[_feature[n]] < _threshold[n] ? _left[n] : _right[n];
        }

        return n;
    }

    /// <summary>Page-Hinkley on the node's error stream (see <see cref="Evaluation.PageHinkley"/> for the test itself).</summary>
    private bool DriftAlarm(int node, double error)
    {
        var s = _drift.AsSpan(node * DriftStats, DriftStats);
        s[0] += 1;
        s[1] += (error - s[1]) / s[0];
        s[2] += error - s[1] - _options.DriftDelta;
        s[3] = Math.Min(s[3], s[2]);
        if (s[0] >= 30 && s[2] - s[3] > _options.DriftLambda)
        {
            s.Clear();
            return true;
        }

        return false;
    }

    private void StartAlternate(int node)
    {
        if (_nodeCount + 1 > _options.MaxNodes || _freeCount < 1)
        {
            AlternatesRefusedForSpace++;
            return;
        }

        int root = _nodeCount++;
        MakeLeaf(root, _depth[node]);
        _alternate[node] = root;
        _trial.AsSpan(node * 3, 3).Clear();
        AlternatesStarted++;
    }

    /// <summary>Ends a trial: the alternate takes the node's place if it erred less. Returns true on a swap.</summary>
    private bool Decide(int node)
    {
        int alternate = _alternate[node];
        bool swap = _trial[(node * 3) + 2] < _trial[(node * 3) + 1];
        _alternate[node] = -1;
        _trial.AsSpan(node * 3, 3).Clear();
        _drift.AsSpan(node * DriftStats, DriftStats).Clear();
        if (!swap)
        {
            FreeSubtree(alternate);
            AlternatesDropped++;
            return false;
        }

        // Release the old subtree's statistics, then move the alternate's root into the node's slot so the
        // parent's child index stays valid. The alternate's old slot is abandoned.
        FreeChildren(node);
        _feature[node] = _feature[alternate];
        _threshold[node] = _threshold[alternate];
        _left[node] = _left[alternate];
        _right[node] = _right[alternate];
        _block[node] = _block[alternate];
        _classCount[node * 2] = _classCount[alternate * 2];
        _classCount[(node * 2) + 1] = _classCount[(alternate * 2) + 1];
        _seenAtLastTry[node] = _seenAtLastTry[alternate];
        _block[alternate] = -1;
        _left[alternate] = -1;
        AlternatesSwapped++;
        return true;
    }

    /// <summary>Returns the statistics blocks of every leaf under <paramref name="node"/> (itself included) and drops nested alternates.</summary>
    private void FreeSubtree(int node)
    {
        if (_alternate[node] >= 0)
        {
            FreeSubtree(_alternate[node]);
            _alternate[node] = -1;
        }

        if (_block[node] >= 0)
        {
            _freeBlocks[_freeCount++] = _block[node];
            _block[node] = -1;
            _left[node] = -1; // neither leaf nor walkable: an abandoned slot
            return;
        }

        FreeChildren(node);
    }

    private void FreeChildren(int node)
    {
        if (_block[node] >= 0)
        {
            _freeBlocks[_freeCount++] = _block[node];
            return;
        }

        if (_left[node] >= 0)
        {
            FreeSubtree(_left[node]);
            FreeSubtree(_right[node]);
        }
    }

    private void ResetNodeMonitors(int node)
    {
        _alternate[node] = -1;
        _drift.AsSpan(node * DriftStats, DriftStats).Clear();
        _trial.AsSpan(node * 3, 3).Clear();
    }
}
