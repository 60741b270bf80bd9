using System.Buffers;

namespace LowLatency.Models.Evaluation;

/// <summary>
/// Population stability index of one feature: the current window's distribution against a reference
/// window's, over bins cut at the reference's quantiles. PSI = Σ_b (c_b − r_b)·ln(c_b / r_b) with c and r
/// the bin shares (each floored at 1e-4 so an empty bin does not give infinity). Rules of thumb: &lt; 0.1
/// stable, 0.1–0.25 moderate shift, &gt; 0.25 major shift. NaN values form a bin of their own, so a
/// feature going missing is a shift too. The current window slides over the last W values; adding is O(1)
/// and allocation-free.
/// </summary>
public sealed class PsiMonitor
{
    /// <summary>Share floor for empty bins.</summary>
    public const double ShareFloor = 1e-4;

    private readonly double[] _edges;     // interior cut points, ascending; bin b holds edges[b-1] ≤ x < edges[b]
    private readonly double[] _reference; // share per bin, last bin = NaN
    private readonly long[] _current;
    private readonly short[] _ring;    // the window's bins, at _ringStart .. _ringStart + _window (a slice of a shared array, or its own)
    private readonly int _ringStart;
    private readonly int _window;
    private int _next;
    private int _count;

    /// <summary>Fits bins to <paramref name="reference"/> (its quantiles) and watches a window of <paramref name="window"/> values.</summary>
    /// <param name="reference">The reference sample (for instance the training window).</param>
    /// <param name="bins">Number of quantile bins for numeric values (default 10); repeated cut points merge.</param>
    /// <param name="window">Values in the sliding current window.</param>
    public PsiMonitor(ReadOnlySpan<float> reference, int bins, int window)
        : this(reference, bins, new ArraySegment<short>(new short[Math.Max(window, 1)], 0, window))
    {
    }

    /// <summary>
    /// As <see cref="PsiMonitor(ReadOnlySpan{float}, int, int)"/>, with the window kept in <paramref name="window"/> (its
    /// length is the window): monitors of many features can share one large array, allocated once on the large-object
    /// heap (which a gen-0 collection does not copy), instead of each holding a window-sized array of its own.
    /// </summary>
    public PsiMonitor(ReadOnlySpan<float> reference, int bins, ArraySegment<short> window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bins, 1000);
        ArgumentNullException.ThrowIfNull(window.Array, nameof(window));
        ArgumentOutOfRangeException.ThrowIfLessThan(window.Count, 1, nameof(window));
        if (reference.Length < bins)
        {
            throw new ArgumentException($"The reference sample has {reference.Length} values; at least {bins} are needed.", nameof(reference));
        }

        // The sort's scratch is rented: a controller fits one monitor per feature at once, and a hundred fresh
        // copies of the reference would be megabytes of garbage on the learner thread.
        double[] scratch = ArrayPool<double>.Shared.Rent(reference.Length);
        int count = 0;
        foreach (float v in reference)
        {
            if (!float.IsNaN(v))
            {
                scratch[count++] = v;
            }
        }

        Span<double> sorted = scratch.AsSpan(0, count);
        sorted.Sort();
        var edges = new List<double>();
        for (int b = 1; b < bins && count > 0; b++)
        {
            double cut = sorted[(int)((long)b * count / bins)];
            if ((edges.Count == 0 || cut > edges[^1]) && cut > sorted[0])
            {
                edges.Add(cut);
            }
        }

        ArrayPool<double>.Shared.Return(scratch);
        _edges = [.. edges];
        int binCount = _edges.Length + 2; // numeric bins + NaN
        _reference = new double[binCount];
        foreach (float v in reference)
        {
            _reference[Bin(v)]++;
        }

        for (int b = 0; b < binCount; b++)
        {
            _reference[b] /= reference.Length;
        }

        _current = new long[binCount];
        _ring = window.Array;
        _ringStart = window.Offset;
        _window = window.Count;
    }

    /// <summary>Number of bins (numeric bins plus the NaN bin).</summary>
    public int BinCount => _reference.Length;

    /// <summary>The interior cut points.</summary>
    public ReadOnlySpan<double> Edges => _edges;

    /// <summary>Values in the current window.</summary>
    public int Count => _count;

    /// <summary>Bin index of a value: numeric bins by the cut points, the last bin for NaN.</summary>
    public int Bin(float value)
    {
        if (float.IsNaN(value))
        {
            return _reference.Length - 1;
        }

        // Upper bound: the first edge strictly greater than the value.
        int lo = 0, hi = _edges.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_edges[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Adds a value to the current window (the oldest leaves when it is full).</summary>
    public void Add(float value)
    {
        int bin = Bin(value);
        if (_count == _window)
        {
            _current[_ring[_ringStart + _next]]--;
        }
        else
        {
            _count++;
        }

        _ring[_ringStart + _next] = (short)bin;
        _current[bin]++;
        _next = _next + 1 == _window ? 0 : _next + 1;
    }

    /// <summary>PSI of the current window against the reference; NaN when the window is empty.</summary>
    public double Psi()
    {
        if (_count == 0)
        {
            return double.NaN;
        }

        double psi = 0;
        for (int b = 0; b < _reference.Length; b++)
        {
            double c = Math.Max((double)_current[b] / _count, ShareFloor);
            double r = Math.Max(_reference[b], ShareFloor);
            psi += (c - r) * Math.Log(c / r);
        }

        return psi;
    }
}
