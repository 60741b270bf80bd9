using System.Diagnostics.CodeAnalysis;

namespace LowLatency.Models.Online;

/// <summary>Learner state in and out: the full z and n per coordinate, so a restored learner continues exactly.</summary>
public sealed partial class FtrlLearner
{
    private const uint StateMagic = 0x4C525446; // "FTRL"
    private const int StateFormat = 1;

    /// <summary>
    /// Writes options, counters and every non-zero coordinate (index, z, n). √n is not written: it is
    /// recomputed on load, and the correctly rounded root of the same n is the same double.
    /// </summary>
    public void WriteState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(StateMagic);
        writer.Write(StateFormat);
        writer.Write(_denseCount);
        writer.Write(_options.Alpha);
        writer.Write(_options.Beta);
        writer.Write(_options.L1);
        writer.Write(_options.L2);
        writer.Write(_options.HashBits);
        writer.Write(_options.MaxSparseKeys);
        writer.Write(_options.GradientClip);
        writer.Write(_updates);
        int nonZero = 0;
        for (int i = 0; i < CoordinateCount; i++)
        {
            var (z, n) = StateAt(i);
            nonZero += z != 0 || n != 0 ? 1 : 0;
        }

        writer.Write(nonZero);
        for (int i = 0; i < CoordinateCount; i++)
        {
            var (z, n) = StateAt(i);
            if (z != 0 || n != 0)
            {
                writer.Write(i);
                writer.Write(z);
                writer.Write(n);
            }
        }
    }

    /// <summary>Reads a learner written by <see cref="WriteState"/>; throws <see cref="ModelFormatException"/> on anything malformed.</summary>
    public static FtrlLearner ReadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ReadUInt32() != StateMagic)
        {
            Bad("magic is not FTRL");
        }

        int format = reader.ReadInt32();
        if (format != StateFormat)
        {
            Bad($"format {format} is not {StateFormat}");
        }

        int dense = reader.ReadInt32();
        if (dense is < 0 or > 1 << 20)
        {
            Bad($"dense count {dense} is out of range");
        }

        FtrlOptions options;
        try
        {
            options = new FtrlOptions
            {
                Alpha = reader.ReadDouble(),
                Beta = reader.ReadDouble(),
                L1 = reader.ReadDouble(),
                L2 = reader.ReadDouble(),
                HashBits = reader.ReadInt32(),
                MaxSparseKeys = reader.ReadInt32(),
                GradientClip = reader.ReadDouble(),
            };
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"FTRL state: {e.Message}");
        }

        var learner = new FtrlLearner(dense, options) { _updates = reader.ReadInt64() };
        int nonZero = reader.ReadInt32();
        if (nonZero < 0 || nonZero > learner.CoordinateCount)
        {
            Bad($"{nonZero} coordinates for a table of {learner.CoordinateCount}");
        }

        for (int k = 0; k < nonZero; k++)
        {
            int i = reader.ReadInt32();
            if ((uint)i >= (uint)learner.CoordinateCount)
            {
                Bad($"coordinate index {i} is out of range");
            }

            double z = reader.ReadDouble();
            double n = reader.ReadDouble();
            if (!double.IsFinite(z) || !(n >= 0) || !double.IsFinite(n))
            {
                Bad($"coordinate {i} has z={z}, n={n}");
            }

            learner.SetStateAt(i, z, n);
        }

        return learner;
    }

    /// <summary>A deep copy that continues independently (used to fork a challenger from the champion).</summary>
    public FtrlLearner Clone()
    {
        var copy = new FtrlLearner(_denseCount, _options);
        copy.CopyFrom(this);
        return copy;
    }

    /// <summary>Whether <see cref="CopyFrom"/> takes <paramref name="other"/> (same dense count and options).</summary>
    public bool CanCopyFrom(FtrlLearner other) => other is not null && other._denseCount == _denseCount && other._options == _options;

    /// <summary>
    /// Makes this learner continue exactly where <paramref name="other"/> stands (weights state and update count), in
    /// place: what <see cref="Clone"/> gives, without allocating. Both must have the same dense count and options.
    /// </summary>
    public void CopyFrom(FtrlLearner other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!CanCopyFrom(other))
        {
            throw new ArgumentException("FTRL learners of different shapes or options: copy by Clone instead.", nameof(other));
        }

        other._denseZ.AsSpan().CopyTo(_denseZ);
        other._denseN.AsSpan().CopyTo(_denseN);
        other._denseSqrtN.AsSpan().CopyTo(_denseSqrtN);
        other._sparse.AsSpan().CopyTo(_sparse);
        _updates = other._updates;
    }

    /// <summary>Coordinates in the state file's numbering: dense 0..D−1, the bias D, hashed slot s at D + 1 + s.</summary>
    private int CoordinateCount => _denseCount + _sparse.Length;

    private (double Z, double N) StateAt(int i) =>
        i < _denseCount ? (_denseZ[i], _denseN[i]) : (_sparse[i - _denseCount].Z, _sparse[i - _denseCount].N);

    private void SetStateAt(int i, double z, double n)
    {
        if (i < _denseCount)
        {
            _denseZ[i] = z;
            _denseN[i] = n;
            _denseSqrtN[i] = Math.Sqrt(n);
        }
        else
        {
            _sparse[i - _denseCount] = new Coordinate { Z = z, N = n, SqrtN = Math.Sqrt(n) };
        }
    }

    [DoesNotReturn]
    private static void Bad(string why) => throw new ModelFormatException($"FTRL state: {why}.");
}
