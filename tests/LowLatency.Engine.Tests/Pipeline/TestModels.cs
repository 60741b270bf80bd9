using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Trees;

namespace LowLatency.Engine.Tests.Pipeline;

/// <summary>Random champions over a feature spec's layout: logistic weights and hashed-key table, and random trees.</summary>
internal static class TestModels
{
    /// <summary>
    /// A champion of a random logistic model (2^8 hashed-key weights) and 20 random trees of depth ≤ 5 over the
    /// features of <paramref name="spec"/>, blended 0.6 / 0.4 with a reference point; thresholds lie where the
    /// featurizer's values do (0 to 6), so events take varied paths.
    /// </summary>
    public static ServingModel Random(int seed, FeatureSpec spec, uint version = 1, bool logistic = true, bool trees = true)
    {
        var names = Featurizer.NamesFor(FeaturePlan.Compile(spec));
        int n = names.Length;
        var rng = new Random(seed);
        LogisticModel? lr = logistic
            ? new LogisticModel([.. Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2) - 1) / 4)], [.. Enumerable.Range(0, 256).Select(_ => (float)(rng.NextDouble() - 0.5))], -1f)
            : null;
        TreeEnsemble? te = trees
            ? TreeEnsemble.Create([.. Enumerable.Range(0, 20).Select(_ => Tree(rng, 5, n))], n, -0.5f, TreeOutput.Logistic, featureNames: names)
            : null;
        var reference = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 3)).ToArray();
        var blend = lr is not null && te is not null ? new ChampionBlend(ChampionCombination.WeightedMargin, 0.6f, 0.4f, 0f) : ChampionBlend.Sum;
        return new ServingModel(new ChampionModel(new ModelLayout(names, lr is null ? 0 : 8), lr, te, blend, reference), version, $"random seed {seed}");
    }

    private static TreeSpec Tree(Random rng, int maxDepth, int features)
    {
        var left = new List<int>();
        var right = new List<int>();
        var feature = new List<int>();
        var threshold = new List<float>();
        var defaultLeft = new List<bool>();
        var leaf = new List<float>();
        var cover = new List<float>();

        int Build(int depth)
        {
            int id = left.Count;
            left.Add(-1);
            right.Add(-1);
            feature.Add(0);
            threshold.Add(0);
            defaultLeft.Add(false);
            leaf.Add(0);
            cover.Add((float)(1 + (rng.NextDouble() * 10)));
            if (depth == maxDepth || (depth > 1 && rng.NextDouble() < 0.2))
            {
                leaf[id] = (float)((rng.NextDouble() * 2) - 1);
                return id;
            }

            feature[id] = rng.Next(features);
            threshold[id] = (float)(rng.NextDouble() * 6);
            defaultLeft[id] = rng.Next(2) == 0;
            int l = Build(depth + 1);
            int r = Build(depth + 1);
            left[id] = l;
            right[id] = r;
            return id;
        }

        Build(0);
        return new TreeSpec([.. left], [.. right], [.. feature], [.. threshold], [.. defaultLeft], [.. leaf]) { Cover = [.. cover] };
    }
}
