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
    /// The same two-sided formula in float: e = e^-|x| by <see cref="MathF.Exp"/>, then (x ≥ 0 ? 1 : e) / (1 + e).
    /// Within 2 ulp of <see cref="Sigmoid"/> (tested on random margins over 2^-20..2^8 and the edge cases),
    /// keeps the small tail (e^-100 is a float denormal, not 0), saturates for huge margins and gives NaN only
    /// for NaN. Deterministic like every float formula here; about 2.5 ns cheaper per call than the double form
    /// on the machine measured (no conversions, float exp and divide), which is why the logistic model and
    /// the champion score with it. Imported tree ensembles keep <see cref="Sigmoid"/> or
    /// <see cref="SigmoidFloat32"/>, whichever matches the library that trained them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SigmoidFast(float margin)
    {
        float e = MathF.Exp(-MathF.Abs(margin));
        return (margin >= 0f ? 1f : e) / (1f + e);
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
