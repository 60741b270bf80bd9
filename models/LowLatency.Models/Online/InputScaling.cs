using LowLatency.Models.Linear;

namespace LowLatency.Models.Online;

/// <summary>
/// Per-feature standardisation for an online linear learner: z = (x − mean) · inverseScale. FTRL's per-coordinate rates
/// adapt to gradient size, but a feature's margin effect still grows with its magnitude, so raw features spanning orders
/// of magnitude make the large ones thrash; learning on z and folding the scaling back into the weights
/// (<see cref="Fold"/>) gives a scoring model over raw values, so serving never sees the scaling. NaN stays NaN
/// (missing) for the learner; the folded model, like every <see cref="LogisticModel"/>, counts a missing raw value as 0.
/// </summary>
public sealed class InputScaling
{
    private readonly float[] _mean;
    private readonly float[] _inverseScale;

    /// <summary>Uses the given means and inverse scales (copied; finite, the scales positive).</summary>
    public InputScaling(ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseScale)
    {
        if (mean.Length != inverseScale.Length)
        {
            throw new ArgumentException($"{mean.Length} means but {inverseScale.Length} scales.");
        }

        for (int i = 0; i < mean.Length; i++)
        {
            if (!float.IsFinite(mean[i]) || !(inverseScale[i] > 0) || !float.IsFinite(inverseScale[i]))
            {
                throw new ArgumentException($"Feature {i}: mean {mean[i]} and inverse scale {inverseScale[i]} must be finite, the scale positive.");
            }
        }

        _mean = mean.ToArray();
        _inverseScale = inverseScale.ToArray();
    }

    /// <summary>Features scaled.</summary>
    public int Count => _mean.Length;

    /// <summary>Means subtracted (one per feature).</summary>
    public ReadOnlySpan<float> Mean => _mean;

    /// <summary>Multipliers after centring: 1 / standard deviation (1 for a constant feature).</summary>
    public ReadOnlySpan<float> InverseScale => _inverseScale;

    /// <summary>Mean and standard deviation of each column over its finite values (row-major <paramref name="rows"/>).</summary>
    public static InputScaling Fit(ReadOnlySpan<float> rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        int n = rows.Length / columns;
        var sum = new double[columns];
        var sumSq = new double[columns];
        var count = new long[columns];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                float v = rows[(i * columns) + j];
                if (float.IsFinite(v))
                {
                    sum[j] += v;
                    sumSq[j] += (double)v * v;
                    count[j]++;
                }
            }
        }

        var mean = new float[columns];
        var inverse = new float[columns];
        for (int j = 0; j < columns; j++)
        {
            double m = count[j] > 0 ? sum[j] / count[j] : 0;
            double variance = count[j] > 1 ? Math.Max(0, (sumSq[j] / count[j]) - (m * m)) : 0;
            double sd = Math.Sqrt(variance);
            mean[j] = (float)m;
            inverse[j] = sd > 1e-6 ? (float)(1 / sd) : 1f; // a constant column keeps its weight at 0 instead of dividing by 0
        }

        return new InputScaling(mean, inverse);
    }

    /// <summary>Writes z for <paramref name="x"/> into <paramref name="z"/> (same length as <see cref="Count"/>).</summary>
    public void Apply(ReadOnlySpan<float> x, Span<float> z)
    {
        for (int i = 0; i < _mean.Length; i++)
        {
            z[i] = (x[i] - _mean[i]) * _inverseScale[i];
        }
    }

    /// <summary>
    /// The model over raw values equal to <paramref name="scaled"/> over z: weight w_i·s_i, bias b − Σ w_i·s_i·mean_i,
    /// hashed weights unchanged.
    /// </summary>
    public LogisticModel Fold(LogisticModel scaled)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        if (scaled.DenseCount != _mean.Length)
        {
            throw new ArgumentException($"The model has {scaled.DenseCount} dense weights; the scaling has {_mean.Length} features.", nameof(scaled));
        }

        var w = scaled.DenseWeights;
        var folded = new float[w.Length];
        double bias = scaled.Bias;
        for (int i = 0; i < w.Length; i++)
        {
            folded[i] = w[i] * _inverseScale[i];
            bias -= (double)folded[i] * _mean[i];
        }

        return new LogisticModel(folded, scaled.HashedWeights, (float)bias);
    }

    /// <summary>Writes the scaling.</summary>
    public void Write(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_mean.Length);
        for (int i = 0; i < _mean.Length; i++)
        {
            writer.Write(_mean[i]);
            writer.Write(_inverseScale[i]);
        }
    }

    /// <summary>Reads a scaling written by <see cref="Write"/>; <see cref="ModelFormatException"/> when malformed.</summary>
    public static InputScaling Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int n = reader.ReadInt32();
        if (n is < 0 or > 1 << 20)
        {
            throw new ModelFormatException($"input scaling: {n} features is out of range.");
        }

        var mean = new float[n];
        var inverse = new float[n];
        for (int i = 0; i < n; i++)
        {
            mean[i] = reader.ReadSingle();
            inverse[i] = reader.ReadSingle();
        }

        try
        {
            return new InputScaling(mean, inverse);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"input scaling: {e.Message}", e);
        }
    }
}
