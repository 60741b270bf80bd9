using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Online;
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

    /// <summary>
    /// A champion a learner can continue: the logistic part is <paramref name="learner"/>'s snapshot (a fresh FTRL
    /// learner over the spec's features, standardised by <paramref name="scaling"/> fitted on <paramref name="sample"/>,
    /// with 2^8 hashed slots: all weights zero) blended with 10 random trees of small leaves (noise the learner can outgrow).
    /// </summary>
    public static ServingModel Learnable(int seed, FeatureSpec spec, Transaction[] sample, out FtrlLearner learner, out InputScaling scaling)
    {
        var names = Featurizer.NamesFor(FeaturePlan.Compile(spec));
        var rows = new float[sample.Length * names.Length];
        using (var features = new Featurizer(FeaturePlan.Compile(spec)))
        {
            for (int i = 0; i < sample.Length; i++)
            {
                features.Process(sample[i], rows.AsSpan(i * names.Length, names.Length));
            }
        }

        scaling = InputScaling.Fit(rows, names.Length);
        var rng = new Random(seed);
        learner = new FtrlLearner(names.Length, new FtrlOptions { HashBits = 8 });
        var te = TreeEnsemble.Create([.. Enumerable.Range(0, 10).Select(_ => Tree(rng, 4, names.Length, leafScale: 0.1f))], names.Length, -3f, TreeOutput.Logistic, featureNames: names);
        var champion = new ChampionModel(new ModelLayout(names, 8), scaling.Fold(learner.Snapshot()), te, ChampionBlend.Average, scaling.Mean.ToArray());
        return new ServingModel(champion, 1, "learnable");
    }

    private static TreeSpec Tree(Random rng, int maxDepth, int features, float leafScale = 1f)
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
                leaf[id] = leafScale * (float)((rng.NextDouble() * 2) - 1);
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
