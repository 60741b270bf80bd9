using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LowLatency.Models.Linear;

namespace LowLatency.Models.Online;

/// <summary>
/// Online logistic regression by FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the
/// Trenches", KDD 2013, Algorithm 1) over a dense feature vector (NaN = missing) plus hashed sparse keys.
/// Coordinates: dense 0..D-1, the bias at D, hashed slot s at D + 1 + s, with the slot chosen by
/// <see cref="FeatureHasher"/> exactly as <see cref="LogisticModel"/> scores, so <see cref="Snapshot"/> is a
/// drop-in scoring model. The bias is not regularised (λ1 = λ2 = 0 for it): a rare positive class would
/// otherwise pin it at zero. Two keys of one example that hash to the same slot count as x = 2 for that slot.
/// <para>
/// State is z, n and √n per coordinate (√n, the correctly rounded root of n, is cached to save a square root).
/// Dense coordinates live as arrays (struct of arrays, padded to whole vectors) and are all processed every
/// example, four at a time with no gather: a missing or zero input has g = 0, which leaves z and n exactly as
/// they were and adds nothing to the margin, so this is the paper's update. The bias and hashed slots, a few
/// per example out of 2^bits, are records of their own (one cache line per touched slot), gathered into the
/// same four-lane kernel. One division and one square root per coordinate: 1/α is taken once, so the
/// learning rate's (β + √n)/α is (β + √n)·(1/α) — the paper's formula with one rounding more, which the tests
/// bound against a literal implementation.
/// </para>
/// <para>
/// Determinism: the kernel is written with <see cref="Vector256{T}"/> of doubles (four lanes on every machine,
/// accelerated or not) and the margin is four lane sums added as (l0 + l1) + (l2 + l3), so the same examples
/// give the same bits on any hardware. Everything is preallocated in the constructor; <see cref="TryUpdate"/>
/// allocates nothing. Single-threaded: owned by the learner thread.
/// </para>
/// </summary>
public sealed partial class FtrlLearner
{
    /// <summary>Lanes of the kernel: fixed, so the margin is summed in the same order everywhere.</summary>
    private const int Width = 4;

    private readonly FtrlOptions _options;
    private readonly int _denseCount;
    private readonly int _densePadded;
    private readonly int _hashBits;
    private readonly double _beta;
    private readonly double _inverseAlpha;
    private readonly double _l1;
    private readonly double _l2;
    private readonly double _clip;

    // Dense coordinates (struct of arrays; the padding lanes stay zero) and this example's dense inputs and weights.
    private readonly double[] _denseZ;
    private readonly double[] _denseN;
    private readonly double[] _denseSqrtN;
    private readonly double[] _denseX;
    private readonly double[] _denseW;

    // The bias (record 0) and hashed slot s (record 1 + s).
    private readonly Coordinate[] _sparse;

    // Scratch for this example's bias and hashed slots, one lane each, padded to whole vectors: the record's
    // index, x, weight, regularisation, and a working copy of its z, n and √n.
    private readonly int[] _activeIndex;
    private readonly double[] _activeX;
    private readonly double[] _activeW;
    private readonly double[] _activeL1;
    private readonly double[] _activeL2;
    private readonly double[] _activeZ;
    private readonly double[] _activeN;
    private readonly double[] _activeSqrtN;

    private long _updates;
    private long _rejectedShape;
    private long _rejectedNonFinite;
    private long _rejectedTooManyKeys;

    /// <summary>Creates a learner with all weights zero.</summary>
    /// <param name="denseCount">Number of dense features per example.</param>
    /// <param name="options">Hyper-parameters (validated; null = defaults).</param>
    public FtrlLearner(int denseCount, FtrlOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(denseCount);
        _options = options ?? new FtrlOptions();
        _options.Validate();
        _denseCount = denseCount;
        _densePadded = (denseCount + Width - 1) & -Width;
        _hashBits = _options.HashBits;
        _beta = _options.Beta;
        _inverseAlpha = 1.0 / _options.Alpha;
        _l1 = _options.L1;
        _l2 = _options.L2;
        _clip = _options.GradientClip;
        _denseZ = new double[_densePadded];
        _denseN = new double[_densePadded];
        _denseSqrtN = new double[_densePadded];
        _denseX = new double[_densePadded];
        _denseW = new double[_densePadded];
        _sparse = new Coordinate[1 + (1 << _hashBits)];
        int maxActive = (1 + _options.MaxSparseKeys + Width - 1) & -Width;
        _activeIndex = new int[maxActive];
        _activeX = new double[maxActive];
        _activeW = new double[maxActive];
        _activeL1 = new double[maxActive];
        _activeL2 = new double[maxActive];
        _activeZ = new double[maxActive];
        _activeN = new double[maxActive];
        _activeSqrtN = new double[maxActive];
        // Lane 0 is always the bias (not regularised); every other lane, padding included, a hashed slot.
        _activeL1.AsSpan(1).Fill(_l1);
        _activeL2.AsSpan(1).Fill(_l2);
    }

    /// <summary>The hyper-parameters in force.</summary>
    public FtrlOptions Options => _options;

    /// <summary>Number of dense features per example.</summary>
    public int DenseCount => _denseCount;

    /// <summary>Examples learned from.</summary>
    public long Updates => _updates;

    /// <summary>Examples rejected because the dense vector had the wrong length.</summary>
    public long RejectedShape => _rejectedShape;

    /// <summary>Examples rejected because a dense value was ±infinity (NaN is "missing", not an error).</summary>
    public long RejectedNonFinite => _rejectedNonFinite;

    /// <summary>Examples rejected because they carried more than <see cref="FtrlOptions.MaxSparseKeys"/> keys.</summary>
    public long RejectedTooManyKeys => _rejectedTooManyKeys;

    /// <summary>
    /// Test-then-train step: predicts the example with the current weights, then learns from its label.
    /// Returns false (and counts the reason) when the example is malformed; nothing is learned then.
    /// </summary>
    /// <param name="dense">Dense features, exactly <see cref="DenseCount"/> of them; NaN = missing.</param>
    /// <param name="keys">Sparse categorical keys.</param>
    /// <param name="label">True for the positive (fraud) class.</param>
    /// <param name="probability">The probability predicted before the update (NaN when rejected).</param>
    public bool TryUpdate(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys, bool label, out double probability)
    {
        int active = Load(dense, keys, count: true);
        if (active < 0)
        {
            probability = double.NaN;
            return false;
        }

        double p = 1.0 / (1.0 + Math.Exp(-WeighAndSum(active)));
        var residual = Vector256.Create(p - (label ? 1.0 : 0.0));
        Step(residual, _densePadded, _denseX, _denseW, _denseZ, _denseN, _denseSqrtN);
        Step(residual, (active + Width - 1) & -Width, _activeX, _activeW, _activeZ, _activeN, _activeSqrtN);
        ref Coordinate c0 = ref MemoryMarshal.GetArrayDataReference(_sparse);
        for (int a = 0; a < active; a++)
        {
            ref Coordinate c = ref Unsafe.Add(ref c0, _activeIndex[a]);
            c.Z = _activeZ[a];
            c.N = _activeN[a];
            c.SqrtN = _activeSqrtN[a];
        }

        _updates++;
        probability = p;
        return true;
    }

    /// <summary>
    /// The weights of this example's coordinates (into _denseW and _activeW) and its margin Σ w·x: four lane sums
    /// over the dense coordinates then the sparse lanes, added as (l0 + l1) + (l2 + l3).
    /// </summary>
    private double WeighAndSum(int active)
    {
        var sum = Vector256<double>.Zero;
        var l1 = Vector256.Create(_l1);
        var l2 = Vector256.Create(_l2);
        ref double z = ref MemoryMarshal.GetArrayDataReference(_denseZ);
        ref double sqrtN = ref MemoryMarshal.GetArrayDataReference(_denseSqrtN);
        ref double x = ref MemoryMarshal.GetArrayDataReference(_denseX);
        ref double w = ref MemoryMarshal.GetArrayDataReference(_denseW);
        for (nuint i = 0; i < (nuint)_densePadded; i += Width)
        {
            var wi = Weights(Vector256.LoadUnsafe(ref z, i), Vector256.LoadUnsafe(ref sqrtN, i), l1, l2);
            wi.StoreUnsafe(ref w, i);
            sum += wi * Vector256.LoadUnsafe(ref x, i);
        }

        z = ref MemoryMarshal.GetArrayDataReference(_activeZ);
        sqrtN = ref MemoryMarshal.GetArrayDataReference(_activeSqrtN);
        x = ref MemoryMarshal.GetArrayDataReference(_activeX);
        w = ref MemoryMarshal.GetArrayDataReference(_activeW);
        ref double l1s = ref MemoryMarshal.GetArrayDataReference(_activeL1);
        ref double l2s = ref MemoryMarshal.GetArrayDataReference(_activeL2);
        for (nuint a = 0; a < (nuint)active; a += Width)
        {
            var wa = Weights(Vector256.LoadUnsafe(ref z, a), Vector256.LoadUnsafe(ref sqrtN, a), Vector256.LoadUnsafe(ref l1s, a), Vector256.LoadUnsafe(ref l2s, a));
            wa.StoreUnsafe(ref w, a);
            sum += wa * Vector256.LoadUnsafe(ref x, a);
        }

        return (sum.GetElement(0) + sum.GetElement(1)) + (sum.GetElement(2) + sum.GetElement(3));
    }

    /// <summary>
    /// w = 0 where |z| ≤ λ1, else −(z − sgn(z)·λ1) / ((β + √n)·(1/α) + λ2), lane by lane (<see cref="Weight"/> is the
    /// same operations on one coordinate).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<double> Weights(Vector256<double> z, Vector256<double> sqrtN, Vector256<double> l1, Vector256<double> l2)
    {
        var keep = Vector256.GreaterThan(Vector256.Abs(z), l1);
        var signedL1 = Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<double>.Zero), l1, -l1);
        var w = (-(z - signedL1)) / (((Vector256.Create(_beta) + sqrtN) * Vector256.Create(_inverseAlpha)) + l2);
        return keep & w;
    }

    /// <summary>
    /// The update of <paramref name="count"/> lanes (a multiple of four): g = clip((p − y)·x), n' = n + g², σ = (√n' − √n)/α,
    /// z ← z + g − σ·w, evaluated left to right as the paper writes it. A lane with x = 0 keeps its z and n exactly.
    /// </summary>
    private void Step(Vector256<double> residual, int count, double[] xs, double[] ws, double[] zs, double[] ns, double[] sqrtNs)
    {
        var clipHigh = Vector256.Create(_clip);
        var clipLow = Vector256.Create(-_clip);
        var inverseAlpha = Vector256.Create(_inverseAlpha);
        ref double x = ref MemoryMarshal.GetArrayDataReference(xs);
        ref double w = ref MemoryMarshal.GetArrayDataReference(ws);
        ref double z = ref MemoryMarshal.GetArrayDataReference(zs);
        ref double n = ref MemoryMarshal.GetArrayDataReference(ns);
        ref double sqrtN = ref MemoryMarshal.GetArrayDataReference(sqrtNs);
        for (nuint i = 0; i < (nuint)count; i += Width)
        {
            var g = Vector256.Min(Vector256.Max(residual * Vector256.LoadUnsafe(ref x, i), clipLow), clipHigh);
            var newN = Vector256.LoadUnsafe(ref n, i) + (g * g);
            var newSqrt = Vector256.Sqrt(newN);
            var sigma = (newSqrt - Vector256.LoadUnsafe(ref sqrtN, i)) * inverseAlpha;
            var newZ = (Vector256.LoadUnsafe(ref z, i) + g) - (sigma * Vector256.LoadUnsafe(ref w, i));
            newZ.StoreUnsafe(ref z, i);
            newN.StoreUnsafe(ref n, i);
            newSqrt.StoreUnsafe(ref sqrtN, i);
        }
    }

    /// <summary>
    /// Margin (log-odds) of an example under the current weights, without learning: the margin
    /// <see cref="TryUpdate"/> predicts with, bit for bit. NaN when malformed.
    /// </summary>
    public double Margin(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys)
    {
        int active = Load(dense, keys, count: false);
        return active < 0 ? double.NaN : WeighAndSum(active);
    }

    /// <summary>Probability of the positive class under the current weights, without learning.</summary>
    public double Probability(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys) => 1.0 / (1.0 + Math.Exp(-Margin(dense, keys)));

    /// <summary>The current weight of dense feature <paramref name="index"/>.</summary>
    public double DenseWeight(int index)
    {
        int i = CheckDense(index);
        return Weight(_denseZ[i], _denseSqrtN[i], _l1, _l2);
    }

    /// <summary>The current bias.</summary>
    public double Bias => Weight(_sparse[0].Z, _sparse[0].SqrtN, 0.0, 0.0);

    /// <summary>The current weight of hashed slot <paramref name="slot"/>.</summary>
    public double HashedWeight(int slot)
    {
        ref readonly Coordinate c = ref _sparse[1 + slot];
        return Weight(c.Z, c.SqrtN, _l1, _l2);
    }

    /// <summary>
    /// An immutable scoring model with the current weights (rounded to float). Allocates: call it on the
    /// learner thread when publishing a version, never per example.
    /// </summary>
    public LogisticModel Snapshot()
    {
        var dense = new float[_denseCount];
        for (int i = 0; i < dense.Length; i++)
        {
            dense[i] = (float)DenseWeight(i);
        }

        var hashed = new float[1 << _hashBits];
        for (int s = 0; s < hashed.Length; s++)
        {
            hashed[s] = (float)HashedWeight(s);
        }

        return new LogisticModel(dense, hashed, (float)Bias);
    }

    /// <summary>
    /// Validates the example and loads it: the dense inputs into _denseX (missing as 0), the bias and the hashed slots
    /// (by first occurrence, duplicates summed) with a copy of their state into the sparse lanes, padding lanes zero.
    /// Returns the number of sparse lanes in use, or -1 for a malformed example (counted when <paramref name="count"/>).
    /// </summary>
    private int Load(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys, bool count)
    {
        if (dense.Length != _denseCount)
        {
            _rejectedShape += count ? 1 : 0;
            return -1;
        }

        if (keys.Length > _options.MaxSparseKeys)
        {
            _rejectedTooManyKeys += count ? 1 : 0;
            return -1;
        }

        if (!LoadDense(dense))
        {
            _rejectedNonFinite += count ? 1 : 0;
            return -1;
        }

        _activeIndex[0] = 0;
        _activeX[0] = 1.0;
        int active = 1;
        for (int k = 0; k < keys.Length; k++)
        {
            int index = 1 + FeatureHasher.Slot(keys[k], _hashBits);
            int seen = -1;
            // Examples carry a handful of keys, so a linear scan beats any set structure here.
            for (int a = 1; a < active; a++)
            {
                if (_activeIndex[a] == index)
                {
                    seen = a;
                    break;
                }
            }

            if (seen >= 0)
            {
                _activeX[seen] += 1.0;
            }
            else
            {
                _activeIndex[active] = index;
                _activeX[active] = 1.0;
                active++;
            }
        }

        ref Coordinate c0 = ref MemoryMarshal.GetArrayDataReference(_sparse);
        for (int a = 0; a < active; a++)
        {
            ref Coordinate c = ref Unsafe.Add(ref c0, _activeIndex[a]);
            _activeZ[a] = c.Z;
            _activeN[a] = c.N;
            _activeSqrtN[a] = c.SqrtN;
        }

        for (int a = active; a < ((active + Width - 1) & -Width); a++)
        {
            // Padding lanes: x = 0 and a zero state give w = 0 and g = 0; they are never written back.
            _activeX[a] = 0;
            _activeZ[a] = 0;
            _activeN[a] = 0;
            _activeSqrtN[a] = 0;
        }

        return active;
    }

    /// <summary>Dense inputs as doubles into _denseX, NaN (missing) as 0; false when one is ±infinity.</summary>
    private bool LoadDense(ReadOnlySpan<float> dense)
    {
        ref float src = ref MemoryMarshal.GetReference(dense);
        ref double x = ref MemoryMarshal.GetArrayDataReference(_denseX);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var infinity = Vector256.Create(float.PositiveInfinity);
            for (; i <= dense.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref src, (nuint)i);
                if (Vector256.EqualsAny(Vector256.Abs(v), infinity))
                {
                    return false;
                }

                v &= Vector256.Equals(v, v); // NaN → +0
                Vector256.WidenLower(v).StoreUnsafe(ref x, (nuint)i);
                Vector256.WidenUpper(v).StoreUnsafe(ref x, (nuint)i + 4);
            }
        }

        for (; i < dense.Length; i++)
        {
            float v = Unsafe.Add(ref src, i);
            if (float.IsInfinity(v))
            {
                return false;
            }

            Unsafe.Add(ref x, i) = float.IsNaN(v) ? 0.0 : v;
        }

        return true;
    }

    /// <summary>One coordinate's weight: the operations of <see cref="Weights"/> on one lane, so the same bits.</summary>
    private double Weight(double z, double sqrtN, double l1, double l2)
    {
        if (!(Math.Abs(z) > l1))
        {
            return 0.0;
        }

        double signedL1 = z > 0 ? l1 : -l1;
        return (-(z - signedL1)) / (((_beta + sqrtN) * _inverseAlpha) + l2);
    }

    private int CheckDense(int index)
    {
        if ((uint)index >= (uint)_denseCount)
        {
            ThrowIndex(index, _denseCount);
        }

        return index;
    }

    [DoesNotReturn]
    private static void ThrowIndex(int index, int count) =>
        throw new ArgumentOutOfRangeException(nameof(index), $"Dense index {index} is outside [0, {count}).");

    /// <summary>Per-coordinate FTRL state.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Coordinate
    {
        public double Z;
        public double N;
        public double SqrtN;
    }
}
