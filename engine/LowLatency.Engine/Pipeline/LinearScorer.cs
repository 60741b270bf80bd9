using System.Runtime.CompilerServices;
using LowLatency.Models.Training;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// The pipeline's minimal model: logistic regression over the dense features, immutable once built
/// (a new version is a new object, published by one reference write). Reason codes are exact: each
/// feature's contribution is w·(x − mean), and the contributions plus <see cref="BaselineMargin"/> sum to
/// the margin. The model-runtime issue replaces it with the SIMD logistic + tree champion.
/// </summary>
public sealed class LinearScorer
{
    private readonly float[] _weights;
    private readonly float[] _impute;

    /// <summary>Builds a scorer from trained weights.</summary>
    public LinearScorer(LogisticFit fit, uint version)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (fit.Weights.Length != fit.ImputeValues.Length || fit.Weights.Length > FeatureBuffer.Capacity)
        {
            throw new ArgumentException($"Model has {fit.Weights.Length} weights and {fit.ImputeValues.Length} impute values; need equal counts, at most {FeatureBuffer.Capacity}.");
        }

        foreach (float w in fit.Weights)
        {
            if (!float.IsFinite(w))
            {
                throw new ArgumentException("Model weights must be finite.");
            }
        }

        _weights = GC.AllocateArray<float>(fit.Weights.Length, pinned: true);
        _impute = GC.AllocateArray<float>(fit.Weights.Length, pinned: true);
        fit.Weights.CopyTo(_weights, 0);
        fit.ImputeValues.CopyTo(_impute, 0);
        Bias = fit.Bias;
        Version = version;
        double baseline = fit.Bias;
        for (int i = 0; i < _weights.Length; i++)
        {
            baseline += (double)_weights[i] * _impute[i];
        }

        BaselineMargin = (float)baseline;
    }

    /// <summary>Model version reported in decisions.</summary>
    public uint Version { get; }

    /// <summary>Intercept.</summary>
    public float Bias { get; }

    /// <summary>The margin of an event whose features all equal the training means.</summary>
    public float BaselineMargin { get; }

    /// <summary>Number of features the model expects.</summary>
    public int FeatureCount => _weights.Length;

    /// <summary>Fraud probability for <paramref name="features"/> (NaN = missing, replaced by the training mean).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Score(ReadOnlySpan<float> features) => Sigmoid(Margin(features));

    /// <summary>The log-odds for <paramref name="features"/>.</summary>
    public float Margin(ReadOnlySpan<float> features)
    {
        float z = Bias;
        var w = _weights;
        var m = _impute;
        for (int i = 0; i < w.Length; i++)
        {
            float x = features[i];
            z += w[i] * (float.IsFinite(x) ? x : m[i]);
        }

        return z;
    }

    /// <summary>
    /// Writes the <paramref name="reasons"/>.Length largest positive contributions (those pushing toward fraud),
    /// largest first; returns how many were written.
    /// </summary>
    public int TopReasons(ReadOnlySpan<float> features, Span<ReasonCode> reasons)
    {
        int count = 0;
        for (int i = 0; i < _weights.Length; i++)
        {
            float x = features[i];
            float c = _weights[i] * ((float.IsFinite(x) ? x : _impute[i]) - _impute[i]);
            if (c <= 0)
            {
                continue;
            }

            // Insertion into a tiny sorted array: k is 4, so this beats any heap.
            int pos = count < reasons.Length ? count++ : reasons.Length;
            while (pos > 0 && reasons[pos - 1].Contribution < c)
            {
                if (pos < reasons.Length)
                {
                    reasons[pos] = reasons[pos - 1];
                }

                pos--;
            }

            if (pos < reasons.Length)
            {
                reasons[pos] = new ReasonCode { FeatureId = (ushort)i, Contribution = c };
            }
        }

        return count;
    }

    /// <summary>Overflow-free logistic function.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float z) => z >= 0 ? 1f / (1f + MathF.Exp(-z)) : MathF.Exp(z) / (1f + MathF.Exp(z));
}
