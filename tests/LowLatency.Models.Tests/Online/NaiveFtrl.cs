using LowLatency.Models.Linear;

namespace LowLatency.Models.Tests.Online;

/// <summary>
/// FTRL-Proximal written straight from Algorithm 1 of McMahan et al. (KDD 2013): dictionaries of z and n
/// per named coordinate, √n recomputed every time, no caching, no preallocation. The reference the
/// production learner must follow to within a rounding or two per step.
/// </summary>
internal sealed class NaiveFtrl(int dense, double alpha, double beta, double l1, double l2, int hashBits, double clip)
{
    private readonly Dictionary<string, double> _z = [];
    private readonly Dictionary<string, double> _n = [];

    public double Weight(string key)
    {
        bool bias = key == "bias";
        double lambda1 = bias ? 0 : l1, lambda2 = bias ? 0 : l2;
        double z = _z.GetValueOrDefault(key), n = _n.GetValueOrDefault(key);
        if (Math.Abs(z) <= lambda1)
        {
            return 0;
        }

        return -(z - (Math.Sign(z) * lambda1)) / (((beta + Math.Sqrt(n)) / alpha) + lambda2);
    }

    /// <summary>The example's non-zero inputs: dense (NaN = missing), the bias, hashed slots in first-seen order.</summary>
    public List<(string Key, double X)> Inputs(float[] x, ulong[] keys)
    {
        var list = new List<(string Key, double X)>();
        for (int i = 0; i < dense; i++)
        {
            if (!float.IsNaN(x[i]) && x[i] != 0)
            {
                list.Add(($"d{i}", x[i]));
            }
        }

        list.Add(("bias", 1));
        foreach (ulong k in keys)
        {
            string key = $"h{FeatureHasher.Slot(k, hashBits)}";
            int at = list.FindIndex(e => e.Key == key);
            if (at >= 0)
            {
                list[at] = (key, list[at].X + 1);
            }
            else
            {
                list.Add((key, 1));
            }
        }

        return list;
    }

    public double Update(float[] x, ulong[] keys, bool y)
    {
        var inputs = Inputs(x, keys);
        var w = inputs.Select(e => Weight(e.Key)).ToArray();
        double margin = 0;
        for (int j = 0; j < inputs.Count; j++)
        {
            margin += w[j] * inputs[j].X;
        }

        double p = 1.0 / (1.0 + Math.Exp(-margin));
        for (int j = 0; j < inputs.Count; j++)
        {
            string key = inputs[j].Key;
            double g = Math.Clamp((p - (y ? 1 : 0)) * inputs[j].X, -clip, clip);
            double n = _n.GetValueOrDefault(key);
            double sigma = (Math.Sqrt(n + (g * g)) - Math.Sqrt(n)) / alpha;
            _z[key] = _z.GetValueOrDefault(key) + g - (sigma * w[j]);
            _n[key] = n + (g * g);
        }

        return p;
    }
}
