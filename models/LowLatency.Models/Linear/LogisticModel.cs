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
    private readonly unsafe float* _table; // _hashed's first slot, cached: the buffer is pinned and lives as long as this model

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
        unsafe
        {
            _table = (float*)_hashed.Address;
        }

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

    /// <summary>Probability of the positive class: <see cref="Logistic.SigmoidFast"/> of the margin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Probability(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> sparseKeys) =>
        Logistic.SigmoidFast(Margin(dense, sparseKeys));

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

    /// <summary>
    /// Σ table[slot(key_k)] in one fixed order on every path: four running sums, key k going to sum k mod 4 in
    /// key order, then (s0 + s1) + (s2 + s3). The 512-bit, 256-bit and scalar kernels differ only in how many
    /// slots they hash per step, so they return the same bits (tests hold them to it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float HashedSum(ReadOnlySpan<ulong> keys)
    {
        if (Vector512.IsHardwareAccelerated && Avx512DQ.IsSupported)
        {
            return HashedSum512(keys);
        }

        return Vector256.IsHardwareAccelerated ? HashedSum256(keys) : HashedSumScalar(keys);
    }

    /// <summary>
    /// Eight keys per step: a lane-wise 64-bit hash (vpmullq), narrowed to 32-bit slots, then eight scalar
    /// loads. Scalar loads rather than a gather: on the AMD cores measured here an 8-wide gather costs about
    /// twice the eight loads plus the lane extracts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe float HashedSum512(ReadOnlySpan<ulong> keys)
    {
        int bits = HashBits;
        float* table = _table; // pinned, never moves; every slot index is < 2^bits = its length
        ref ulong k0 = ref MemoryMarshal.GetReference(keys);
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i <= keys.Length - 8; i += 8)
        {
            Vector256<int> slots = Avx512F.ConvertToVector256Int32(FeatureHasher.Slots(Vector512.LoadUnsafe(ref k0, (nuint)i), bits));
            Vector128<int> lo = slots.GetLower();
            Vector128<int> hi = slots.GetUpper();
            s0 += table[(uint)lo.ToScalar()];
            s1 += table[(uint)lo.GetElement(1)];
            s2 += table[(uint)lo.GetElement(2)];
            s3 += table[(uint)lo.GetElement(3)];
            s0 += table[(uint)hi.ToScalar()];
            s1 += table[(uint)hi.GetElement(1)];
            s2 += table[(uint)hi.GetElement(2)];
            s3 += table[(uint)hi.GetElement(3)];
        }

        return FinishHashedSum(keys, i, s0, s1, s2, s3);
    }

    /// <summary>
    /// Four keys per step with 256-bit lanes; the same order and result as <see cref="HashedSum512"/>. Without
    /// AVX-512DQ the 64-bit multiply is emulated; with AVX-512 switched off here it still matched the scalar
    /// kernel (16 keys: 16.1–16.4 ns against 16.5–17.3 ns), and with AVX-512DQ.VL it halves it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal unsafe float HashedSum256(ReadOnlySpan<ulong> keys)
    {
        int bits = HashBits;
        float* table = _table;
        ref ulong k0 = ref MemoryMarshal.GetReference(keys);
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        int i = 0;
        for (; i <= keys.Length - 4; i += 4)
        {
            Vector256<ulong> slots = FeatureHasher.Slots(Vector256.LoadUnsafe(ref k0, (nuint)i), bits);
            Vector128<ulong> lo = slots.GetLower();
            Vector128<ulong> hi = slots.GetUpper();
            s0 += table[lo.ToScalar()];
            s1 += table[lo.GetElement(1)];
            s2 += table[hi.ToScalar()];
            s3 += table[hi.GetElement(1)];
        }

        return FinishHashedSum(keys, i, s0, s1, s2, s3);
    }

    /// <summary>The reference kernel: one key at a time, the same four sums.</summary>
    internal float HashedSumScalar(ReadOnlySpan<ulong> keys) => FinishHashedSum(keys, 0, 0f, 0f, 0f, 0f);

    /// <summary>Adds keys from <paramref name="start"/> (a multiple of 4) to their sums and combines the four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe float FinishHashedSum(ReadOnlySpan<ulong> keys, int start, float s0, float s1, float s2, float s3)
    {
        int bits = HashBits;
        float* table = _table;
        int i = start;
        for (; i <= keys.Length - 4; i += 4)
        {
            s0 += table[FeatureHasher.Slot(keys[i], bits)];
            s1 += table[FeatureHasher.Slot(keys[i + 1], bits)];
            s2 += table[FeatureHasher.Slot(keys[i + 2], bits)];
            s3 += table[FeatureHasher.Slot(keys[i + 3], bits)];
        }

        int rest = keys.Length - i;
        if (rest > 0)
        {
            s0 += table[FeatureHasher.Slot(keys[i], bits)];
            if (rest > 1)
            {
                s1 += table[FeatureHasher.Slot(keys[i + 1], bits)];
                if (rest > 2)
                {
                    s2 += table[FeatureHasher.Slot(keys[i + 2], bits)];
                }
            }
        }

        return (s0 + s1) + (s2 + s3);
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
