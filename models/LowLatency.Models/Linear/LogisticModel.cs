using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LowLatency.Models.Linear;

/// <summary>
/// Logistic regression over a dense float vector (NaN = missing, contributes 0) plus hashed sparse
/// categoricals. margin = bias + Σ w_i·x_i + Σ_k table[slot(key_k)]. Immutable once built: weights are
/// copied into pinned, 64-byte-aligned buffers, so one instance may be shared by any number of threads
/// and swapped by a single reference write.
/// </summary>
public sealed class LogisticModel
{
    private readonly AlignedBuffer _dense;
    private readonly AlignedBuffer _hashed;

    /// <summary>Builds a model, copying the weights.</summary>
    /// <param name="denseWeights">One weight per dense feature.</param>
    /// <param name="hashedWeights">Weight table for hashed keys; its length must be a power of two (≥ 2).</param>
    /// <param name="bias">Intercept.</param>
    public LogisticModel(ReadOnlySpan<float> denseWeights, ReadOnlySpan<float> hashedWeights, float bias)
    {
        if (hashedWeights.Length < 2 || !BitOperations.IsPow2(hashedWeights.Length) || hashedWeights.Length > (1 << 30))
        {
            ThrowBadTable(hashedWeights.Length);
        }

        CheckFinite(denseWeights, "denseWeights");
        CheckFinite(hashedWeights, "hashedWeights");
        if (!float.IsFinite(bias))
        {
            ThrowNotFinite("bias", 0);
        }

        _dense = new AlignedBuffer(denseWeights);
        _hashed = new AlignedBuffer(hashedWeights);
        Bias = bias;
        HashBits = BitOperations.Log2((uint)hashedWeights.Length);
    }

    /// <summary>Number of dense features the model expects.</summary>
    public int DenseCount => _dense.Length;

    /// <summary>log2 of the hashed table size.</summary>
    public int HashBits { get; }

    /// <summary>Intercept.</summary>
    public float Bias { get; }

    /// <summary>Dense weights (read-only view of the aligned copy).</summary>
    public ReadOnlySpan<float> DenseWeights => _dense.Span;

    /// <summary>Hashed weight table (read-only view).</summary>
    public ReadOnlySpan<float> HashedWeights => _hashed.Span;

    internal nuint DenseAddress => _dense.Address;

    /// <summary>
    /// Margin (log-odds). Dense features beyond <see cref="DenseCount"/> are ignored and missing ones
    /// count as 0, so a short or long vector is never a crash.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Margin(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> sparseKeys) =>
        Bias + DenseDot.Compute(_dense.Span, dense) + HashedSum(sparseKeys);

    /// <summary>Probability of the positive class.</summary>
    public float Probability(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> sparseKeys) =>
        Logistic.Sigmoid(Margin(dense, sparseKeys));

    /// <summary>Margin using the scalar reference dot product (tests and benchmark baseline).</summary>
    public float MarginScalar(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> sparseKeys) =>
        Bias + DenseDot.Scalar(_dense.Span, dense) + HashedSumScalar(sparseKeys);

    /// <summary>
    /// Exact per-input contributions: slot i &lt; DenseCount holds w_i·x_i, slot DenseCount + k the weight
    /// hit by key k. Returns the bias; bias + Σ contributions is the margin up to float reassociation.
    /// </summary>
    public float Contributions(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> sparseKeys, Span<float> destination)
    {
        var w = _dense.Span;
        int n = Math.Min(w.Length, dense.Length);
        if (destination.Length < w.Length + sparseKeys.Length)
        {
            ThrowShortDestination(destination.Length, w.Length + sparseKeys.Length);
        }

        destination[..(w.Length + sparseKeys.Length)].Clear();
        for (int i = 0; i < n; i++)
        {
            float v = dense[i];
            destination[i] = float.IsNaN(v) ? 0f : w[i] * v;
        }

        var table = _hashed.Span;
        for (int k = 0; k < sparseKeys.Length; k++)
        {
            destination[w.Length + k] = table[FeatureHasher.Slot(sparseKeys[k], HashBits)];
        }

        return Bias;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe float HashedSum(ReadOnlySpan<ulong> keys)
    {
        int bits = HashBits;
        float* table = (float*)_hashed.Address; // pinned, never moves; every slot index is < 2^bits = its length
        int i = 0;
        float sum = 0f;
        if (Avx2.IsSupported && keys.Length >= 4)
        {
            // Four keys per step: hash lane-wise, gather four weights, add lane-wise. Four running sums instead of
            // one chain of dependent adds; the order is fixed (lanes, then lanes summed), so results are deterministic.
            ref ulong k0 = ref MemoryMarshal.GetReference(keys);
            var acc = Vector128<float>.Zero;
            for (; i <= keys.Length - 4; i += 4)
            {
                Vector256<ulong> slots = FeatureHasher.Slots(Vector256.LoadUnsafe(ref k0, (nuint)i), bits);
                acc += Avx2.GatherVector128(table, slots.AsInt64(), sizeof(float));
            }

            sum = Vector128.Sum(acc);
        }

        for (; i < keys.Length; i++)
        {
            sum += table[FeatureHasher.Slot(keys[i], bits)];
        }

        return sum;
    }

    private float HashedSumScalar(ReadOnlySpan<ulong> keys)
    {
        var table = _hashed.Span;
        float sum = 0f;
        foreach (ulong key in keys)
        {
            sum += table[FeatureHasher.Slot(key, HashBits)];
        }

        return sum;
    }

    private static void CheckFinite(ReadOnlySpan<float> values, string name)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                ThrowNotFinite(name, i);
            }
        }
    }

    [DoesNotReturn]
    private static void ThrowBadTable(int length) =>
        throw new ArgumentException($"hashedWeights length {length} must be a power of two between 2 and 2^30.", "hashedWeights");

    [DoesNotReturn]
    private static void ThrowNotFinite(string name, int index) =>
        throw new ArgumentException($"{name}[{index}] is not a finite number.", name);

    [DoesNotReturn]
    private static void ThrowShortDestination(int have, int need) =>
        throw new ArgumentException($"destination holds {have} values; {need} are needed.", "destination");
}
