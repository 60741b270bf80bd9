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
/// State is z, n and √n per coordinate (√n is cached only to save a square root; it is the correctly
/// rounded root of n, so the arithmetic is that of the paper). Everything is preallocated in the
/// constructor; <see cref="TryUpdate"/> allocates nothing. Single-threaded: owned by the learner thread.
/// </para>
/// </summary>
public sealed partial class FtrlLearner
{
    private readonly FtrlOptions _options;
    private readonly Coordinate[] _coords;
    private readonly int _denseCount;
    private readonly int _biasIndex;
    private readonly int _hashBits;
    private readonly double _alpha;
    private readonly double _beta;
    private readonly double _l1;
    private readonly double _l2;
    private readonly double _clip;

    // Scratch for one example, one lane per active coordinate (struct of arrays, padded to whole vectors):
    // its index, x, weight at prediction time, regularisation, and a working copy of its z, n and √n.
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
        _biasIndex = denseCount;
        _hashBits = _options.HashBits;
        _alpha = _options.Alpha;
        _beta = _options.Beta;
        _l1 = _options.L1;
        _l2 = _options.L2;
        _clip = _options.GradientClip;
        _coords = GC.AllocateArray<Coordinate>(denseCount + 1 + (1 << _hashBits), pinned: true);
        int maxActive = denseCount + 1 + _options.MaxSparseKeys + Vector256<double>.Count;
        _activeIndex = new int[maxActive];
        _activeX = new double[maxActive];
        _activeW = new double[maxActive];
        _activeL1 = new double[maxActive];
        _activeL2 = new double[maxActive];
        _activeZ = new double[maxActive];
        _activeN = new double[maxActive];
        _activeSqrtN = new double[maxActive];
        UseVectorKernel = Vector256.IsHardwareAccelerated;
    }

    /// <summary>
    /// Whether <see cref="TryUpdate"/> runs the Vector256 kernel (default: when the hardware accelerates it).
    /// Both kernels perform the same correctly rounded IEEE operations in the same order per coordinate, so
    /// they agree bit for bit; the scalar one is the reference the tests hold the vector one to.
    /// </summary>
    internal bool UseVectorKernel { get; set; }

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
        int active = Gather(dense, keys);
        if (active < 0)
        {
            probability = double.NaN;
            return false;
        }

        probability = UseVectorKernel ? UpdateVector(active, label) : UpdateScalar(active, label);
        _updates++;
        return true;
    }

    /// <summary>Reference kernel: Algorithm 1 coordinate by coordinate.</summary>
    private double UpdateScalar(int active, bool label)
    {
        ref Coordinate c0 = ref MemoryMarshal.GetArrayDataReference(_coords);
        double margin = 0;
        for (int a = 0; a < active; a++)
        {
            int i = _activeIndex[a];
            double w = Weight(in Unsafe.Add(ref c0, i), i == _biasIndex);
            _activeW[a] = w;
            margin += w * _activeX[a];
        }

        double p = 1.0 / (1.0 + Math.Exp(-margin));
        double residual = p - (label ? 1.0 : 0.0);
        for (int a = 0; a < active; a++)
        {
            ref Coordinate c = ref Unsafe.Add(ref c0, _activeIndex[a]);
            double g = Math.Clamp(residual * _activeX[a], -_clip, _clip);
            double newN = c.N + (g * g);
            double newSqrt = Math.Sqrt(newN);
            double sigma = (newSqrt - c.SqrtN) / _alpha;
            // z ← z + g − σ·w, evaluated left to right as the paper writes it (the rounding is part of the contract).
            c.Z = c.Z + g - (sigma * _activeW[a]);
            c.N = newN;
            c.SqrtN = newSqrt;
        }

        return p;
    }

    /// <summary>
    /// The same arithmetic four coordinates at a time: the divisions and square roots, which dominate, run
    /// in vector units (IEEE-exact, like their scalar forms). The margin is still summed lane by lane in
    /// coordinate order, so it rounds exactly as the reference does.
    /// </summary>
    private double UpdateVector(int active, bool label)
    {
        ref Coordinate c0 = ref MemoryMarshal.GetArrayDataReference(_coords);
        int width = Vector256<double>.Count;
        int padded = (active + width - 1) & -width;
        for (int a = 0; a < active; a++)
        {
            ref Coordinate c = ref Unsafe.Add(ref c0, _activeIndex[a]);
            _activeZ[a] = c.Z;
            _activeN[a] = c.N;
            _activeSqrtN[a] = c.SqrtN;
        }

        for (int a = active; a < padded; a++)
        {
            // Padding lanes: x = 0 gives g = 0 and w = 0; their results are never written back.
            _activeX[a] = 0;
            _activeZ[a] = 0;
            _activeN[a] = 0;
            _activeSqrtN[a] = 0;
            _activeL1[a] = 0;
            _activeL2[a] = 0;
        }

        var beta = Vector256.Create(_beta);
        var alpha = Vector256.Create(_alpha);
        ref double zs = ref MemoryMarshal.GetArrayDataReference(_activeZ);
        ref double ns = ref MemoryMarshal.GetArrayDataReference(_activeN);
        ref double sqs = ref MemoryMarshal.GetArrayDataReference(_activeSqrtN);
        ref double ws = ref MemoryMarshal.GetArrayDataReference(_activeW);
        ref double xs = ref MemoryMarshal.GetArrayDataReference(_activeX);
        ref double l1s = ref MemoryMarshal.GetArrayDataReference(_activeL1);
        ref double l2s = ref MemoryMarshal.GetArrayDataReference(_activeL2);
        for (int a = 0; a < padded; a += width)
        {
            var z = Vector256.LoadUnsafe(ref zs, (nuint)a);
            var l1 = Vector256.LoadUnsafe(ref l1s, (nuint)a);
            // w = 0 where |z| ≤ λ1, else −(z − sgn(z)·λ1) / ((β + √n)/α + λ2).
            var keep = Vector256.GreaterThan(Vector256.Abs(z), l1);
            var signedL1 = Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<double>.Zero), l1, -l1);
            var denominator = ((beta + Vector256.LoadUnsafe(ref sqs, (nuint)a)) / alpha) + Vector256.LoadUnsafe(ref l2s, (nuint)a);
            var w = (-(z - signedL1)) / denominator;
            (keep & w).StoreUnsafe(ref ws, (nuint)a);
        }

        double margin = 0;
        for (int a = 0; a < active; a++)
        {
            margin += _activeW[a] * _activeX[a];
        }

        double p = 1.0 / (1.0 + Math.Exp(-margin));
        var residual = Vector256.Create(p - (label ? 1.0 : 0.0));
        var clipHigh = Vector256.Create(_clip);
        var clipLow = Vector256.Create(-_clip);
        for (int a = 0; a < padded; a += width)
        {
            var g = Vector256.Min(Vector256.Max(residual * Vector256.LoadUnsafe(ref xs, (nuint)a), clipLow), clipHigh);
            var newN = Vector256.LoadUnsafe(ref ns, (nuint)a) + (g * g);
            var newSqrt = Vector256.Sqrt(newN);
            var sigma = (newSqrt - Vector256.LoadUnsafe(ref sqs, (nuint)a)) / alpha;
            var z = (Vector256.LoadUnsafe(ref zs, (nuint)a) + g) - (sigma * Vector256.LoadUnsafe(ref ws, (nuint)a));
            z.StoreUnsafe(ref zs, (nuint)a);
            newN.StoreUnsafe(ref ns, (nuint)a);
            newSqrt.StoreUnsafe(ref sqs, (nuint)a);
        }

        for (int a = 0; a < active; a++)
        {
            ref Coordinate c = ref Unsafe.Add(ref c0, _activeIndex[a]);
            c.Z = _activeZ[a];
            c.N = _activeN[a];
            c.SqrtN = _activeSqrtN[a];
        }

        return p;
    }

    /// <summary>Margin (log-odds) of an example under the current weights, without learning. NaN when malformed.</summary>
    public double Margin(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys)
    {
        int active = Gather(dense, keys, count: false);
        if (active < 0)
        {
            return double.NaN;
        }

        double margin = 0;
        for (int a = 0; a < active; a++)
        {
            int i = _activeIndex[a];
            margin += Weight(in _coords[i], i == _biasIndex) * _activeX[a];
        }

        return margin;
    }

    /// <summary>Probability of the positive class under the current weights, without learning.</summary>
    public double Probability(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys) => 1.0 / (1.0 + Math.Exp(-Margin(dense, keys)));

    /// <summary>The current weight of dense feature <paramref name="index"/>.</summary>
    public double DenseWeight(int index) => Weight(in _coords[CheckDense(index)], false);

    /// <summary>The current bias.</summary>
    public double Bias => Weight(in _coords[_biasIndex], true);

    /// <summary>The current weight of hashed slot <paramref name="slot"/>.</summary>
    public double HashedWeight(int slot) => Weight(in _coords[_biasIndex + 1 + slot], false);

    /// <summary>
    /// An immutable scoring model with the current weights (rounded to float). Allocates: call it on the
    /// learner thread when publishing a version, never per example.
    /// </summary>
    public LogisticModel Snapshot()
    {
        var dense = new float[_denseCount];
        for (int i = 0; i < dense.Length; i++)
        {
            dense[i] = (float)Weight(in _coords[i], false);
        }

        var hashed = new float[1 << _hashBits];
        for (int s = 0; s < hashed.Length; s++)
        {
            hashed[s] = (float)Weight(in _coords[_biasIndex + 1 + s], false);
        }

        return new LogisticModel(dense, hashed, (float)Bias);
    }

    /// <summary>
    /// Collects the non-zero coordinates of the example in a fixed order (dense by index, bias, hashed slots
    /// by first occurrence with duplicates summed). Returns the count, or -1 for a malformed example.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Gather(ReadOnlySpan<float> dense, ReadOnlySpan<ulong> keys, bool count = true)
    {
        if (dense.Length != _denseCount)
        {
            if (count)
            {
                _rejectedShape++;
            }

            return -1;
        }

        if (keys.Length > _options.MaxSparseKeys)
        {
            if (count)
            {
                _rejectedTooManyKeys++;
            }

            return -1;
        }

        int active = 0;
        for (int i = 0; i < dense.Length; i++)
        {
            float v = dense[i];
            if (v != 0f && !float.IsNaN(v))
            {
                if (float.IsInfinity(v))
                {
                    if (count)
                    {
                        _rejectedNonFinite++;
                    }

                    return -1;
                }

                _activeIndex[active] = i;
                _activeX[active] = v;
                _activeL1[active] = _l1;
                _activeL2[active] = _l2;
                active++;
            }
        }

        _activeIndex[active] = _biasIndex;
        _activeX[active] = 1.0;
        _activeL1[active] = 0.0; // the bias is not regularised
        _activeL2[active] = 0.0;
        active++;
        int firstHashed = active;
        for (int k = 0; k < keys.Length; k++)
        {
            int index = _biasIndex + 1 + FeatureHasher.Slot(keys[k], _hashBits);
            int seen = -1;
            // Examples carry a handful of keys, so a linear scan beats any set structure here.
            for (int a = firstHashed; a < active; a++)
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
                _activeL1[active] = _l1;
                _activeL2[active] = _l2;
                active++;
            }
        }

        return active;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Weight(in Coordinate c, bool isBias)
    {
        double l1 = isBias ? 0.0 : _l1;
        double z = c.Z;
        if (Math.Abs(z) <= l1)
        {
            return 0.0;
        }

        double l2 = isBias ? 0.0 : _l2;
        return -(z - (Math.Sign(z) * l1)) / (((_beta + c.SqrtN) / _alpha) + l2);
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
