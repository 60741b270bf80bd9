using LowLatency.Models.Champion;
using LowLatency.Models.Online;
using LowLatency.Models.Tests.Lifecycle;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests.Online;

public class ChampionLearnerTests
{
    private static readonly FtrlOptions Ftrl = new() { HashBits = 8, Alpha = 0.2 };

    /// <summary>A blend of an FTRL logistic part and 12 random trees over the lifecycle stream's 6 features.</summary>
    private static (ChampionModel Model, FtrlLearner Learner) Blend(int seed)
    {
        var rng = new Random(seed);
        var learner = new FtrlLearner(LifecycleStream.Dense, Ftrl);
        var trees = TreeEnsemble.Create([.. Enumerable.Range(0, 12).Select(_ => RandomTrees.Tree(rng, 3, LifecycleStream.Dense))], LifecycleStream.Dense, -3f, TreeOutput.Logistic);
        var model = new ChampionModel(ModelLayout.Positional(LifecycleStream.Dense, Ftrl.HashBits), learner.Snapshot(), trees, new ChampionBlend(ChampionCombination.WeightedMargin, 0.6f, 0.4f, 0f), new float[LifecycleStream.Dense]);
        return (model, learner);
    }

    private static double LogLoss(ChampionModel model, (float[] X, ulong[] Keys, bool Y)[] sample) =>
        sample.Average(s => -Math.Log(Math.Clamp(s.Y ? model.Score(s.X, s.Keys).Probability : 1 - model.Score(s.X, s.Keys).Probability, 1e-7, 1)));

    [Fact]
    public void A_logistic_champion_predicts_and_learns_as_its_ftrl_learner_alone()
    {
        var reference = new FtrlLearner(LifecycleStream.Dense, Ftrl);
        var learner = ChampionLearner.ForLogistic(reference.Clone());
        var stream = new LifecycleStream(1);
        for (int i = 0; i < 5000; i++)
        {
            var (x, k, y) = stream.Next();
            Assert.True(learner.TryUpdate(x, k, y, out double p));
            reference.TryUpdate(x, k, y, out double q);
            Assert.Equal(q, p, 1e-12);
        }

        Assert.Equal(reference.Snapshot().DenseWeights.ToArray(), learner.Snapshot().Logistic!.DenseWeights.ToArray());
        Assert.Equal(5000, learner.Updates);
    }

    [Fact]
    public void A_blended_champion_learns_both_parts_and_its_snapshot_scores_as_the_learner_predicts()
    {
        var (start, ftrl) = Blend(2);
        var learner = new ChampionLearner(start, ftrl, new ChampionLearnerOptions { RefitEvery = 500 });
        var holdoutStream = new LifecycleStream(9);
        var holdout = Enumerable.Range(0, 3000).Select(_ => holdoutStream.Next()).ToArray();
        var stream = new LifecycleStream(3);
        for (int i = 0; i < 20_000; i++)
        {
            var (x, k, y) = stream.Next();
            Assert.True(learner.TryUpdate(x, k, y, out _));
        }

        var snapshot = learner.Snapshot();
        Assert.Equal(start.Blend, snapshot.Blend);
        Assert.Equal(start.Reference.ToArray(), snapshot.Reference.ToArray());
        Assert.NotEqual(start.Logistic!.DenseWeights.ToArray(), snapshot.Logistic!.DenseWeights.ToArray());
        var leaves = Enumerable.Range(0, start.Trees!.NodeCount).Where(start.Trees.IsLeafNode).ToArray();
        Assert.Contains(leaves, n => start.Trees.NodeValue(n) != snapshot.Trees!.NodeValue(n));
        Assert.True(LogLoss(snapshot, holdout) < LogLoss(start, holdout) - 0.05, $"{LogLoss(snapshot, holdout)} vs {LogLoss(start, holdout)}");

        // Test-then-train predicts with the parts as they stand, which is what the snapshot scores (up to float weights).
        var probe = learner.Clone();
        foreach (var (x, k, y) in holdout.Take(200))
        {
            probe.TryUpdate(x, k, y, out double p);
            Assert.Equal(p, snapshot.Score(x, k).Probability, 1e-4);
            probe = learner.Clone();
        }
    }

    [Fact]
    public void A_learner_in_standardised_features_publishes_weights_folded_back_to_raw_ones()
    {
        // Raw features on wildly different scales and offsets; the learner sees z = (x − mean)/sd.
        var stream = new LifecycleStream(13);
        var data = Enumerable.Range(0, 8000).Select(_ => stream.Next()).Select(s => (X: s.X.Select((v, i) => (v * (1 + (i * 40))) + (i * 100)).ToArray(), s.Keys, s.Y)).ToArray();
        var scaling = InputScaling.Fit([.. data.Take(2000).SelectMany(d => d.X)], LifecycleStream.Dense);
        Assert.Equal(500f, scaling.Mean[5], 15f);
        var ftrl = new FtrlLearner(LifecycleStream.Dense, Ftrl);
        var start = new ChampionModel(ModelLayout.Positional(LifecycleStream.Dense, Ftrl.HashBits), scaling.Fold(ftrl.Snapshot()), null, ChampionBlend.Sum, scaling.Mean.ToArray());
        var learner = new ChampionLearner(start, ftrl, scaling: scaling);
        var reference = new FtrlLearner(LifecycleStream.Dense, Ftrl);
        var z = new float[LifecycleStream.Dense];
        foreach (var (x, k, y) in data.Take(6000))
        {
            learner.TryUpdate(x, k, y, out double p);
            scaling.Apply(x, z);
            reference.TryUpdate(z, k, y, out double q);
            Assert.Equal(q, p, 1e-12); // the learner is exactly FTRL on z
        }

        // The published model scores raw values as FTRL's own snapshot scores z (up to float rounding of the fold).
        var published = learner.Snapshot();
        var zModel = reference.Snapshot();
        foreach (var (x, k, _) in data.Skip(6000))
        {
            scaling.Apply(x, z);
            Assert.Equal(zModel.Margin(z, k), published.Margin(x, k), 1e-3);
        }

        var window = new LowLatency.Models.Evaluation.PrequentialWindow(2000);
        foreach (var (x, k, y) in data.Skip(6000))
        {
            window.Add(published.Score(x, k).Probability, y);
        }

        Assert.True(window.Auc() > 0.85, $"held-out AUC {window.Auc()}");
    }

    [Fact]
    public void A_part_without_learner_state_stays_fixed_while_the_trees_refit()
    {
        var (start, _) = Blend(4);
        var learner = new ChampionLearner(start, null, new ChampionLearnerOptions { RefitEvery = 300 });
        var stream = new LifecycleStream(5);
        for (int i = 0; i < 3000; i++)
        {
            var (x, k, y) = stream.Next();
            learner.TryUpdate(x, k, y, out _);
        }

        var snapshot = learner.Snapshot();
        Assert.Same(start.Logistic, snapshot.Logistic);
        Assert.NotSame(start.Trees, snapshot.Trees);
        Assert.Null(learner.Logistic);
        Assert.NotNull(learner.Trees);
    }

    [Fact]
    public void State_round_trips_and_a_clone_continues_independently()
    {
        var (start, ftrl) = Blend(6);
        var learner = new ChampionLearner(start, ftrl, new ChampionLearnerOptions { RefitEvery = 250 });
        var stream = new LifecycleStream(7);
        for (int i = 0; i < 2000; i++)
        {
            var (x, k, y) = stream.Next();
            learner.TryUpdate(x, k, y, out _);
        }

        // 2000 is a multiple of RefitEvery: nothing pending, so the written state is the whole learner.
        var snapshot = learner.Snapshot();
        var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            learner.WriteState(w);
        }

        bytes.Position = 0;
        var restored = ChampionLearner.ReadState(new BinaryReader(bytes), snapshot, learner.Options);
        var clone = learner.Clone();
        for (int i = 0; i < 1000; i++)
        {
            var (x, k, y) = stream.Next();
            learner.TryUpdate(x, k, y, out double a);
            restored.TryUpdate(x, k, y, out double b);
            Assert.Equal(a, b, 1e-6);
        }

        Assert.Equal(2000, clone.Updates);
        Assert.Equal(3000, learner.Updates);
        Assert.Equal(snapshot.Logistic!.DenseWeights.ToArray(), clone.Snapshot().Logistic!.DenseWeights.ToArray());
        Assert.False(learner.TryUpdate(new float[3], [], true, out double rejected));
        Assert.True(double.IsNaN(rejected));
        Assert.Equal(1, learner.Rejected);
    }

    /// <summary>Fraud that needs an interaction (x0 and x1 both high) beside a linear part: a logistic model cannot express it, a tree can.</summary>
    private static (float[] X, ulong[] Keys, bool Y) Interaction(Random rng)
    {
        var x = new float[LifecycleStream.Dense];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(rng.NextDouble() * 2) - 1;
        }

        return (x, [(ulong)rng.Next(30)], rng.NextDouble() < 1 / (1 + Math.Exp(-TrueMargin(x))));
    }

    private static double TrueMargin(float[] x) => -4 + (1.5 * x[2]) + (x[0] > 0.3f && x[1] > 0.3f ? 5 : 0);

    [Fact]
    public void An_online_tree_part_learns_what_the_logistic_part_cannot_and_is_published_with_the_snapshot()
    {
        var onlineOptions = new ChampionLearnerOptions { OnlineTree = new HoeffdingTreeOptions { GracePeriod = 50, Adaptive = true }, OnlineTreeWeight = 0.75 };
        var withTree = ChampionLearner.ForLogistic(new FtrlLearner(LifecycleStream.Dense, Ftrl), onlineOptions);
        var without = ChampionLearner.ForLogistic(new FtrlLearner(LifecycleStream.Dense, Ftrl));
        var start = withTree.Snapshot();
        Assert.Null(start.OnlineTree); // nothing learned yet: the first version scores exactly as the starting champion
        var rng = new Random(17);
        for (int i = 0; i < 30_000; i++)
        {
            var (x, k, y) = Interaction(rng);
            Assert.True(withTree.TryUpdate(x, k, y, out double p));
            without.TryUpdate(x, k, y, out double q);
            Assert.Equal(i == 0, p == q); // the tree adds ln(1/1) = 0 until it has seen a label
        }

        var snapshot = withTree.Snapshot();
        Assert.NotNull(snapshot.OnlineTree);
        Assert.Equal(0.75f, snapshot.Blend.OnlineTreeWeight);
        Assert.True(withTree.OnlineTree!.Splits.Length >= 2, $"{withTree.OnlineTree.Splits.Length} splits");
        var holdout = Enumerable.Range(0, 20_000).Select(_ => Interaction(rng)).ToArray();
        double aucWith = LifecycleStream.CleanAuc(snapshot, holdout), aucWithout = LifecycleStream.CleanAuc(without.Snapshot(), holdout);
        var truth = new LowLatency.Models.Evaluation.PrequentialWindow(holdout.Length);
        foreach (var (x, _, y) in holdout)
        {
            truth.Add(1 / (1 + Math.Exp(-TrueMargin(x))), y);
        }

        // The online tree closes a good part of the gap between the logistic part alone and the true model.
        double gap = truth.Auc() - aucWithout;
        Assert.True(aucWith > aucWithout + (gap / 3), $"held-out AUC with the online tree {aucWith}, logistic alone {aucWithout}, true model {truth.Auc()}");
        foreach (var (x, k, _) in holdout.Take(500))
        {
            // The served model (float leaves) scores as the learner predicts; the margin is the blend's formula.
            Assert.Equal(withTree.Probability(x, k), snapshot.Score(x, k).Probability, 1e-4);
            float expected = snapshot.Logistic!.Margin(x, k) + (0.75f * snapshot.OnlineTree!.Margin(x));
            Assert.Equal(expected, snapshot.Margin(x, k), 1e-5);
        }

        // Round trip through the version store's model format, and learner state that continues exactly.
        var back = LowLatency.Models.Persistence.ModelFile.Read(LowLatency.Models.Persistence.ModelFile.ToBytes(snapshot));
        Assert.Equal(0.75f, back.Blend.OnlineTreeWeight);
        Assert.Equal(snapshot.Margin(holdout[0].X, holdout[0].Keys), back.Margin(holdout[0].X, holdout[0].Keys));
        var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            withTree.WriteState(w);
        }

        bytes.Position = 0;
        var restored = ChampionLearner.ReadState(new BinaryReader(bytes), back, onlineOptions);
        Assert.NotNull(restored.OnlineTree);
        var clone = withTree.Clone();
        foreach (var (x, k, y) in holdout.Take(3000))
        {
            withTree.TryUpdate(x, k, y, out double a);
            restored.TryUpdate(x, k, y, out double b);
            clone.TryUpdate(x, k, y, out double c);
            Assert.Equal(a, b, 1e-9);
            Assert.Equal(a, c);
        }

        Assert.Equal(withTree.OnlineTree.Splits.ToArray(), restored.OnlineTree!.Splits.ToArray());
    }

    [Fact]
    public void Copying_a_learner_in_place_continues_exactly_as_a_clone_and_allocates_nothing()
    {
        // The champion-challenger swap copies learner state into a spare learner instead of cloning megabytes per
        // promotion. The copy must then learn bit for bit as a clone does, whatever the target held before.
        var options = new ChampionLearnerOptions { OnlineTree = new HoeffdingTreeOptions { GracePeriod = 50 } };
        var source = ChampionLearner.ForLogistic(new FtrlLearner(LifecycleStream.Dense, Ftrl), options);
        var rng = new Random(17);
        var target = source.Clone();
        for (int i = 0; i < 4000; i++)
        {
            var (x, k, y) = Interaction(rng);
            source.TryUpdate(x, k, y, out _);
            if (i % 3 == 0)
            {
                target.TryUpdate(x, k, !y, out _); // the target learns something else meanwhile
            }
        }

        var clone = source.Clone();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(target.TryCopyFrom(source));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 256, $"{allocated} bytes allocated by an in-place copy");
        Assert.Equal(clone.Updates, target.Updates);
        for (int i = 0; i < 3000; i++)
        {
            var (x, k, y) = Interaction(rng);
            clone.TryUpdate(x, k, y, out double a);
            target.TryUpdate(x, k, y, out double b);
            Assert.Equal(BitConverter.DoubleToInt64Bits(a), BitConverter.DoubleToInt64Bits(b));
        }

        Assert.Equal(clone.OnlineTree!.Splits.ToArray(), target.OnlineTree!.Splits.ToArray());

        // Learners of different shapes refuse, and change nothing.
        var plain = ChampionLearner.ForLogistic(new FtrlLearner(LifecycleStream.Dense, Ftrl));
        var fixedTree = new ChampionLearner(source.Snapshot(), null, source.Options);
        Assert.False(plain.TryCopyFrom(source));
        Assert.False(source.TryCopyFrom(fixedTree));
        Assert.Equal(clone.Updates, target.Updates);
    }

    [Fact]
    public void An_online_tree_loaded_without_its_learner_state_stays_fixed()
    {
        var learner = ChampionLearner.ForLogistic(new FtrlLearner(LifecycleStream.Dense, Ftrl), new ChampionLearnerOptions { OnlineTree = new HoeffdingTreeOptions { GracePeriod = 50 } });
        var rng = new Random(3);
        for (int i = 0; i < 5000; i++)
        {
            var (x, k, y) = Interaction(rng);
            learner.TryUpdate(x, k, y, out _);
        }

        var model = learner.Snapshot();
        var fixedTree = new ChampionLearner(model, null, learner.Options);
        for (int i = 0; i < 2000; i++)
        {
            var (x, k, y) = Interaction(rng);
            fixedTree.TryUpdate(x, k, y, out double p);
            Assert.Equal(model.Score(x, k).Probability, p, 1e-5);
        }

        Assert.Null(fixedTree.OnlineTree);
        Assert.Same(model.OnlineTree, fixedTree.Snapshot().OnlineTree);
    }
}
