using System.Diagnostics.CodeAnalysis;

namespace LowLatency.Models.Online;

/// <summary>
/// Learner state in and out, so that a tree published with a model version continues exactly where it stopped after a
/// rollback or a restart: options, every node in use, the statistics of every leaf (free statistics blocks are not
/// written: a block is cleared when it is handed out), the free list in its order, the split log and the drift monitors.
/// </summary>
public sealed partial class HoeffdingTree
{
    private const uint StateMagic = 0x45525448; // "HTRE"
    private const int StateFormat = 1;

    /// <summary>A deep copy that continues independently (forks a challenger from the champion). Allocates.</summary>
    public HoeffdingTree Clone()
    {
        var copy = new HoeffdingTree(_features, _options);
        copy.CopyFrom(this);
        return copy;
    }

    /// <summary>Whether <see cref="CopyFrom"/> takes <paramref name="other"/> (same feature count and options).</summary>
    public bool CanCopyFrom(HoeffdingTree other) => other is not null && other._features == _features && other._options == _options;

    /// <summary>
    /// Makes this tree continue exactly where <paramref name="other"/> stands, in place: what <see cref="Clone"/> gives,
    /// without allocating (the arrays are sized by the options, so two trees of one shape have the same arrays).
    /// </summary>
    public void CopyFrom(HoeffdingTree other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!CanCopyFrom(other))
        {
            throw new ArgumentException("Hoeffding trees of different shapes or options: copy by Clone instead.", nameof(other));
        }

        other._feature.AsSpan().CopyTo(_feature);
        other._threshold.AsSpan().CopyTo(_threshold);
        other._left.AsSpan().CopyTo(_left);
        other._right.AsSpan().CopyTo(_right);
        other._depth.AsSpan().CopyTo(_depth);
        other._block.AsSpan().CopyTo(_block);
        other._classCount.AsSpan().CopyTo(_classCount);
        other._seenAtLastTry.AsSpan().CopyTo(_seenAtLastTry);
        other._stats.AsSpan().CopyTo(_stats);
        other._freeBlocks.AsSpan().CopyTo(_freeBlocks);
        other._splits.AsSpan().CopyTo(_splits);
        other._alternate.AsSpan().CopyTo(_alternate);
        other._drift.AsSpan().CopyTo(_drift);
        other._trial.AsSpan().CopyTo(_trial);
        _nodeCount = other._nodeCount;
        _freeCount = other._freeCount;
        _splitCount = other._splitCount;
        _examples = other._examples;
        _splitsRefusedForSpace = other._splitsRefusedForSpace;
        AlternatesStarted = other.AlternatesStarted;
        AlternatesSwapped = other.AlternatesSwapped;
        AlternatesDropped = other.AlternatesDropped;
        AlternatesRefusedForSpace = other.AlternatesRefusedForSpace;
    }

    /// <summary>Writes the tree's whole learning state (see the type's remarks).</summary>
    public void WriteState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(StateMagic);
        writer.Write(StateFormat);
        writer.Write(_features);
        var o = _options;
        writer.Write(o.GracePeriod);
        writer.Write(o.Delta);
        writer.Write(o.TieThreshold);
        writer.Write(o.SplitCandidates);
        writer.Write(o.MaxNodes);
        writer.Write(o.MaxDepth);
        writer.Write(o.LeafPrior);
        writer.Write(o.Adaptive);
        writer.Write(o.DriftDelta);
        writer.Write(o.DriftLambda);
        writer.Write(o.AlternateTrial);
        writer.Write(_examples);
        writer.Write(_splitsRefusedForSpace);
        writer.Write(AlternatesStarted);
        writer.Write(AlternatesSwapped);
        writer.Write(AlternatesDropped);
        writer.Write(AlternatesRefusedForSpace);
        writer.Write(_nodeCount);
        for (int n = 0; n < _nodeCount; n++)
        {
            writer.Write(_feature[n]);
            writer.Write(_threshold[n]);
            writer.Write(_left[n]);
            writer.Write(_right[n]);
            writer.Write(_depth[n]);
            writer.Write(_block[n]);
            writer.Write(_classCount[n * 2]);
            writer.Write(_classCount[(n * 2) + 1]);
            writer.Write(_seenAtLastTry[n]);
            writer.Write(_alternate[n]);
            for (int k = 0; k < DriftStats; k++)
            {
                writer.Write(_drift[(n * DriftStats) + k]);
            }

            for (int k = 0; k < 3; k++)
            {
                writer.Write(_trial[(n * 3) + k]);
            }

            if (_block[n] >= 0)
            {
                foreach (double v in _stats.AsSpan(_block[n] * _blockSize, _blockSize))
                {
                    writer.Write(v);
                }
            }
        }

        writer.Write(_freeCount);
        for (int b = 0; b < _freeCount; b++)
        {
            writer.Write(_freeBlocks[b]);
        }

        writer.Write(_splitCount);
        foreach (var s in Splits)
        {
            writer.Write(s.Node);
            writer.Write(s.Examples);
            writer.Write(s.Feature);
            writer.Write(s.Threshold);
            writer.Write(s.BestGain);
            writer.Write(s.SecondGain);
            writer.Write(s.Epsilon);
        }
    }

    /// <summary>Reads a tree written by <see cref="WriteState"/>; <see cref="ModelFormatException"/> names what is malformed.</summary>
    public static HoeffdingTree ReadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ReadUInt32() != StateMagic)
        {
            Bad("magic is not HTRE");
        }

        int format = reader.ReadInt32();
        if (format != StateFormat)
        {
            Bad($"format {format} is not {StateFormat}");
        }

        int features = reader.ReadInt32();
        if (features is < 1 or > 1 << 16)
        {
            Bad($"feature count {features} is out of range");
        }

        HoeffdingTree tree;
        try
        {
            var options = new HoeffdingTreeOptions
            {
                GracePeriod = reader.ReadInt32(),
                Delta = reader.ReadDouble(),
                TieThreshold = reader.ReadDouble(),
                SplitCandidates = reader.ReadInt32(),
                MaxNodes = reader.ReadInt32(),
                MaxDepth = reader.ReadInt32(),
                LeafPrior = reader.ReadDouble(),
                Adaptive = reader.ReadBoolean(),
                DriftDelta = reader.ReadDouble(),
                DriftLambda = reader.ReadDouble(),
                AlternateTrial = reader.ReadInt32(),
            };
            tree = new HoeffdingTree(features, options);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"Hoeffding tree state: {e.Message}", e);
        }

        tree._examples = reader.ReadInt64();
        tree._splitsRefusedForSpace = reader.ReadInt64();
        tree.AlternatesStarted = reader.ReadInt64();
        tree.AlternatesSwapped = reader.ReadInt64();
        tree.AlternatesDropped = reader.ReadInt64();
        tree.AlternatesRefusedForSpace = reader.ReadInt64();
        int nodes = reader.ReadInt32();
        int blocks = tree._freeBlocks.Length;
        if (nodes < 1 || nodes > tree._options.MaxNodes)
        {
            Bad($"{nodes} nodes for a tree of at most {tree._options.MaxNodes}");
        }

        var used = new bool[blocks];
        for (int n = 0; n < nodes; n++)
        {
            tree._feature[n] = reader.ReadInt32();
            tree._threshold[n] = reader.ReadSingle();
            tree._left[n] = reader.ReadInt32();
            tree._right[n] = reader.ReadInt32();
            tree._depth[n] = reader.ReadInt32();
            tree._block[n] = reader.ReadInt32();
            tree._classCount[n * 2] = reader.ReadDouble();
            tree._classCount[(n * 2) + 1] = reader.ReadDouble();
            tree._seenAtLastTry[n] = reader.ReadInt64();
            tree._alternate[n] = reader.ReadInt32();
            for (int k = 0; k < DriftStats; k++)
            {
                tree._drift[(n * DriftStats) + k] = reader.ReadDouble();
            }

            for (int k = 0; k < 3; k++)
            {
                tree._trial[(n * 3) + k] = reader.ReadDouble();
            }

            int block = tree._block[n];
            bool leaf = block >= 0;
            bool walkable = leaf || tree._left[n] >= 0;
            if ((uint)tree._feature[n] >= (uint)features || !float.IsFinite(tree._threshold[n]) || tree._depth[n] is < 0 or > 64
                || (walkable && !leaf && ((uint)tree._left[n] >= (uint)nodes || (uint)tree._right[n] >= (uint)nodes))
                || (tree._alternate[n] >= 0 && tree._alternate[n] >= nodes)
                || !(tree._classCount[n * 2] >= 0) || !(tree._classCount[(n * 2) + 1] >= 0))
            {
                Bad($"node {n} is malformed (feature {tree._feature[n]}, children {tree._left[n]}/{tree._right[n]}, depth {tree._depth[n]}, alternate {tree._alternate[n]})");
            }

            if (leaf)
            {
                if (block >= blocks || used[block])
                {
                    Bad($"node {n} names statistics block {block}, out of range or shared");
                }

                used[block] = true;
                var stats = tree._stats.AsSpan(block * tree._blockSize, tree._blockSize);
                for (int k = 0; k < stats.Length; k++)
                {
                    stats[k] = reader.ReadDouble();
                }
            }
        }

        tree._nodeCount = nodes;
        int free = reader.ReadInt32();
        if (free < 0 || free > blocks)
        {
            Bad($"{free} free statistics blocks of {blocks}");
        }

        for (int b = 0; b < free; b++)
        {
            int block = reader.ReadInt32();
            if ((uint)block >= (uint)blocks || used[block])
            {
                Bad($"free statistics block {block} is out of range or in use");
            }

            used[block] = true;
            tree._freeBlocks[b] = block;
        }

        tree._freeCount = free;
        int splits = reader.ReadInt32();
        if (splits < 0 || splits > tree._splits.Length)
        {
            Bad($"{splits} splits recorded for room for {tree._splits.Length}");
        }

        for (int s = 0; s < splits; s++)
        {
            tree._splits[s] = new HoeffdingSplit(reader.ReadInt32(), reader.ReadInt64(), reader.ReadInt32(), reader.ReadSingle(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
        }

        tree._splitCount = splits;
        if (tree._block[0] < 0 && tree._left[0] < 0)
        {
            Bad("the root is neither a leaf nor a split");
        }

        return tree;
    }

    [DoesNotReturn]
    private static void Bad(string why) => throw new ModelFormatException($"Hoeffding tree state: {why}.");
}
