using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests;

/// <summary>Random trees and an independent recursive evaluator over <see cref="TreeSpec"/> (the test's reference).</summary>
internal static class RandomTrees
{
    public static TreeSpec Tree(Random rng, int maxDepth, int features, double leafEarly = 0.25)
    {
        var left = new List<int>();
        var right = new List<int>();
        var feature = new List<int>();
        var threshold = new List<float>();
        var dl = new List<bool>();
        var leaf = new List<float>();
        var cover = new List<float>();

        int Build(int depth)
        {
            int id = left.Count;
            left.Add(-1);
            right.Add(-1);
            feature.Add(0);
            threshold.Add(0);
            dl.Add(false);
            leaf.Add(0);
            cover.Add((float)(1 + rng.NextDouble() * 10));
            if (depth == maxDepth || (depth > 0 && rng.NextDouble() < leafEarly))
            {
                leaf[id] = (float)(rng.NextDouble() * 2 - 1);
                return id;
            }

            feature[id] = rng.Next(features);
            // Thresholds on a coarse grid so that ties x == threshold occur in the random rows.
            threshold[id] = rng.Next(-8, 9) / 4f;
            dl[id] = rng.Next(2) == 0;
            int l = Build(depth + 1);
            int r = Build(depth + 1);
            left[id] = l;
            right[id] = r;
            return id;
        }

        Build(0);
        return new TreeSpec([.. left], [.. right], [.. feature], [.. threshold], [.. dl], [.. leaf]) { Cover = [.. cover] };
    }

    public static float[] Row(Random rng, int features, double nanRate)
    {
        var x = new float[features];
        for (int i = 0; i < features; i++)
        {
            x[i] = rng.NextDouble() < nanRate ? float.NaN : rng.Next(-10, 11) / 4f + (rng.Next(3) == 0 ? 0.1f : 0f);
        }

        return x;
    }

    /// <summary>Leaf value of one tree, following the documented rule: left iff x &lt; t; NaN follows default-left.</summary>
    public static float Eval(TreeSpec t, ReadOnlySpan<float> x)
    {
        int n = 0;
        while (t.Left[n] != -1)
        {
            float v = x[t.Feature[n]];
            bool goLeft = float.IsNaN(v) ? t.DefaultLeft[n] : v < t.Threshold[n];
            n = goLeft ? t.Left[n] : t.Right[n];
        }

        return t.LeafValue[n];
    }
}
