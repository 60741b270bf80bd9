using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests;

/// <summary>
/// Independent Saabas reference, written recursively in double straight from the definition: the value
/// of a node is the cover-weighted mean of its children's values (a leaf's value is its output); each
/// split on the event's path credits child value − node value to the split feature.
/// </summary>
internal static class NaiveSaabas
{
    public static double NodeValue(TreeSpec t, int node, out double weight)
    {
        weight = t.Cover![node];
        if (t.Left[node] == -1)
        {
            return t.LeafValue[node];
        }

        double vl = NodeValue(t, t.Left[node], out double wl);
        double vr = NodeValue(t, t.Right[node], out double wr);
        return ((vl * wl) + (vr * wr)) / (wl + wr);
    }

    /// <summary>Adds the tree's contributions to <paramref name="dest"/>; returns the root value (the tree's share of the bias).</summary>
    public static double Add(TreeSpec t, ReadOnlySpan<float> x, double[] dest)
    {
        int node = 0;
        double value = NodeValue(t, 0, out _);
        double root = value;
        while (t.Left[node] != -1)
        {
            float v = x[t.Feature[node]];
            bool goLeft = float.IsNaN(v) ? t.DefaultLeft[node] : v < t.Threshold[node];
            int next = goLeft ? t.Left[node] : t.Right[node];
            double nextValue = NodeValue(t, next, out _);
            dest[t.Feature[node]] += nextValue - value;
            node = next;
            value = nextValue;
        }

        return root;
    }
}
