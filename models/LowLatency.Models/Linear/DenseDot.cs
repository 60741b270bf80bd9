using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LowLatency.Models.Linear;

/// <summary>
/// Dot product of a weight vector with a feature vector in which NaN means "missing" and contributes
/// nothing. Three kernels step down Vector512 → Vector256 (FMA) → scalar; the scalar one is the
/// reference the tests hold the others to. The vector kernels reassociate the sum, so they agree with
/// the scalar kernel to rounding, not bit for bit; each kernel on its own is deterministic.
/// </summary>
public static class DenseDot
{
    /// <summary>Dot product with the widest kernel this machine accelerates. Spans must have equal length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ReadOnlySpan<float> weights, ReadOnlySpan<float> x)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return Vector512Kernel(weights, x);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return Vector256Kernel(weights, x);
        }

        return Scalar(weights, x);
    }

    /// <summary>Reference kernel: left-to-right sum in float, NaN features skipped.</summary>
    public static float Scalar(ReadOnlySpan<float> weights, ReadOnlySpan<float> x)
    {
        int n = Math.Min(weights.Length, x.Length);
        float sum = 0f;
        for (int i = 0; i < n; i++)
        {
            float v = x[i];
            if (!float.IsNaN(v))
            {
                sum += weights[i] * v;
            }
        }

        return sum;
    }

    /// <summary>256-bit kernel with fused multiply-add; two accumulators hide the FMA latency.</summary>
    public static float Vector256Kernel(ReadOnlySpan<float> weights, ReadOnlySpan<float> x)
    {
        int n = Math.Min(weights.Length, x.Length);
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref float f = ref MemoryMarshal.GetReference(x);
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            var x0 = Vector256.LoadUnsafe(ref f, (nuint)i);
            var x1 = Vector256.LoadUnsafe(ref f, (nuint)(i + 8));
            // x == x is false only for NaN: masking turns missing features into 0 without a branch.
            x0 &= Vector256.Equals(x0, x0);
            x1 &= Vector256.Equals(x1, x1);
            acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)i), x0, acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)(i + 8)), x1, acc1);
        }

        if (i <= n - 8)
        {
            var x0 = Vector256.LoadUnsafe(ref f, (nuint)i);
            x0 &= Vector256.Equals(x0, x0);
            acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, (nuint)i), x0, acc0);
            i += 8;
        }

        float sum = Vector256.Sum(acc0 + acc1);
        return sum + Scalar(weights[i..n], x[i..n]);
    }

    /// <summary>
    /// 512-bit kernel; the remainder is folded in with a 256-bit kernel. Missing lanes are skipped by a
    /// masked FMA (the accumulator lane keeps its value), and the two accumulators are reduced by halving
    /// (512 → 256 → 128 → 64 → 32): fewer steps than <see cref="Vector512.Sum{T}(Vector512{T})"/>. Inlined
    /// into its callers: for the 64-feature model the call and its register spills cost more than the loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Vector512Kernel(ReadOnlySpan<float> weights, ReadOnlySpan<float> x)
    {
        int n = Math.Min(weights.Length, x.Length);
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref float f = ref MemoryMarshal.GetReference(x);
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        int i = 0;
        for (; i <= n - 32; i += 32)
        {
            var x0 = Vector512.LoadUnsafe(ref f, (nuint)i);
            var x1 = Vector512.LoadUnsafe(ref f, (nuint)(i + 16));
            acc0 = Vector512.ConditionalSelect(Vector512.Equals(x0, x0), Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, (nuint)i), x0, acc0), acc0);
            acc1 = Vector512.ConditionalSelect(Vector512.Equals(x1, x1), Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, (nuint)(i + 16)), x1, acc1), acc1);
        }

        if (i <= n - 16)
        {
            var x0 = Vector512.LoadUnsafe(ref f, (nuint)i);
            acc0 = Vector512.ConditionalSelect(Vector512.Equals(x0, x0), Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, (nuint)i), x0, acc0), acc0);
            i += 16;
        }

        var a = acc0 + acc1;
        var h = a.GetLower() + a.GetUpper();
        var q = h.GetLower() + h.GetUpper();
        float sum = (q.ToScalar() + q.GetElement(1)) + (q.GetElement(2) + q.GetElement(3));
        return i == n ? sum : sum + Vector256Kernel(weights[i..n], x[i..n]);
    }
}
