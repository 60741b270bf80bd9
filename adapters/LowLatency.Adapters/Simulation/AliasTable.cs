namespace LowLatency.Adapters.Simulation;

/// <summary>
/// Samples an index from a fixed discrete distribution in O(1) (Vose's alias method): one uniform draw picks a
/// column, a second decides between the column and its alias. Built once; sampling allocates nothing.
/// </summary>
public sealed class AliasTable
{
    private readonly double[] _probability;
    private readonly int[] _alias;

    /// <summary>Builds the table from non-negative weights (at least one positive).</summary>
    public AliasTable(ReadOnlySpan<double> weights)
    {
        int n = weights.Length;
        if (n == 0)
        {
            throw new ArgumentException("An alias table needs at least one weight.", nameof(weights));
        }

        double total = 0;
        foreach (double w in weights)
        {
            if (!(w >= 0) || double.IsInfinity(w))
            {
                throw new ArgumentException($"Weights must be finite and non-negative; got {w}.", nameof(weights));
            }

            total += w;
        }

        if (!(total > 0))
        {
            throw new ArgumentException("At least one weight must be positive.", nameof(weights));
        }

        _probability = new double[n];
        _alias = new int[n];
        var scaled = new double[n];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int i = 0; i < n; i++)
        {
            scaled[i] = weights[i] * n / total;
            (scaled[i] < 1.0 ? small : large).Push(i);
        }

        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Pop();
            _probability[s] = scaled[s];
            _alias[s] = l;
            scaled[l] = scaled[l] + scaled[s] - 1.0;
            (scaled[l] < 1.0 ? small : large).Push(l);
        }

        // Leftovers are 1 up to rounding.
        while (large.Count > 0)
        {
            _probability[large.Pop()] = 1.0;
        }

        while (small.Count > 0)
        {
            _probability[small.Pop()] = 1.0;
        }
    }

    /// <summary>Number of outcomes.</summary>
    public int Count => _probability.Length;

    /// <summary>Draws an index.</summary>
    public int Sample(ref Xoshiro256 rng)
    {
        int column = rng.Next(_probability.Length);
        return rng.NextDouble() < _probability[column] ? column : _alias[column];
    }

    /// <summary>Zipf-like weights 1/(rank+1)^<paramref name="exponent"/> for <paramref name="n"/> ranks.</summary>
    public static AliasTable Zipf(int n, double exponent)
    {
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            w[i] = 1.0 / Math.Pow(i + 1, exponent);
        }

        return new AliasTable(w);
    }
}
