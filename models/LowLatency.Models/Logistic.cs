using System.Runtime.CompilerServices;

namespace LowLatency.Models;

/// <summary>The logistic link, written so that large |x| neither overflows nor loses the small tail.</summary>
public static class Logistic
{
    /// <summary>
    /// 1 / (1 + e^-x) computed in double and rounded once to float. For x ≥ 0 the exponent is e^-x ≤ 1;
    /// for x &lt; 0 the algebraically equal e^x / (1 + e^x) is used, so exp never sees a large positive
    /// argument and NaN comes out only for NaN in. Both cases share one exp of -|x| and pick the numerator
    /// without a branch: the sign of a margin is what a predictor cannot guess.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float margin)
    {
        double x = margin;
        double e = Math.Exp(-Math.Abs(x));
        return (float)((x >= 0 ? 1.0 : e) / (1.0 + e));
    }

    /// <summary>
    /// XGBoost's float sigmoid 1 / (1 + expf(-x)). Cannot overflow into NaN: for x &lt; -88.7 expf gives
    /// +inf and the result is 0; for large x it is 1. Use it to match XGBoost; prefer <see cref="Sigmoid"/> otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SigmoidFloat32(float margin) => 1.0f / (1.0f + MathF.Exp(-margin));

    /// <summary>Inverse of <see cref="Sigmoid"/>: ln(p / (1 - p)), evaluated in float as XGBoost's ProbToMargin does.</summary>
    public static float LogitFloat(float probability) => -MathF.Log((1.0f / probability) - 1.0f);
}
