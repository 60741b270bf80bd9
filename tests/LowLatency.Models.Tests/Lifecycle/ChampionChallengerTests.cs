using LowLatency.Models.Lifecycle;
using LowLatency.Models.Online;

namespace LowLatency.Models.Tests.Lifecycle;

public sealed class ChampionChallengerTests : IDisposable
{
    private const long Second = 1_000_000_000;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "llcc-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static LifecycleOptions Options(bool guards) => new()
    {
        DenseCount = LifecycleStream.Dense,
        Ftrl = new FtrlOptions { HashBits = 8, Alpha = 0.2 },
        Window = 2000,
        MinLabels = 1000,
        CheckEvery = 250,
        PromotionMargin = 0.005,
        RollbackMargin = 0.02,
        RollbackWatch = 3000,
        SpikeWindow = 500,
        Guards = guards,
    };

    private static LabelJoinOptions Join => new() { Capacity = 4096, Retention = TimeSpan.FromHours(1), DenseCount = LifecycleStream.Dense, MaxSparseKeys = 4 };

    private sealed record Run(ChampionChallenger Controller, VersionStore Store, double BaselineAuc, long BurstStart, long BurstEnd, Dictionary<uint, double> CleanAuc);

    /// <summary>
    /// 30k clean labels, then a burst of 4000 with every label flipped and a fifth of the feature vectors
    /// garbage (1e30 or ∞), then 30k clean labels again. Decisions and labels go through the join store;
    /// every 50th label is for a txId never seen.
    /// </summary>
    private Run Play(bool guards, string sub, bool onlineTree = false)
    {
        var store = new VersionStore(Path.Combine(_dir, sub));
        var options = Options(guards);
        // With the online tree, the champion is the engine's default family: FTRL plus an adaptive Hoeffding tree.
        var cc = onlineTree
            ? new ChampionChallenger(options, Join, store, ChampionLearner.ForLogistic(new FtrlLearner(options.DenseCount, options.Ftrl), new ChampionLearnerOptions { OnlineTree = ChampionLearnerOptions.FraudOnlineTree }))
            : new ChampionChallenger(options, Join, store);
        var stream = new LifecycleStream(42);
        var heldOutStream = new LifecycleStream(7);
        var holdout = Enumerable.Range(0, 4000).Select(_ => heldOutStream.Next()).ToArray();
        var rng = new Random(5);
        double baseline = double.NaN;
        long burstStart = 30_000, burstEnd = 34_000;
        for (long i = 0; i < 64_000; i++)
        {
            var (x, k, y) = stream.Next();
            bool burst = i >= burstStart && i < burstEnd;
            if (burst)
            {
                y = !y;
                if (rng.Next(5) == 0)
                {
                    x[rng.Next(x.Length)] = rng.Next(2) == 0 ? 1e30f : float.PositiveInfinity;
                }
            }

            long t = i * Second;
            ulong tx = (ulong)i + 1;
            cc.OnDecision(tx, t, (float)cc.Champion.Score(x, k).Probability, x, k);
            Assert.Equal(JoinStatus.Joined, cc.OnLabel(tx, t + 1, y));
            if (i % 50 == 0)
            {
                Assert.Equal(JoinStatus.UnknownTx, cc.OnLabel(ulong.MaxValue - (ulong)i, t + 2, true));
            }

            if (i == burstStart - 1)
            {
                baseline = LifecycleStream.CleanAuc(cc.Champion, holdout);
            }
        }

        var clean = new Dictionary<uint, double>();
        foreach (var e in cc.Events)
        {
            clean[e.ToVersion] = LifecycleStream.CleanAuc(store.Read(e.ToVersion).Version.Model, holdout);
        }

        return new Run(cc, store, baseline, burstStart, burstEnd, clean);
    }

    [Fact]
    public void With_no_margin_a_challenger_that_only_ties_the_champion_is_not_promoted()
    {
        // Labels a linear model separates perfectly: once the first promotions have replaced the untrained start, champion
        // and challenger both rank every window perfectly (AUC 1 against 1). A tie is no improvement.
        var options = Options(guards: false) with { PromotionMargin = 0, MinLabels = 300, CheckEvery = 100, Window = 600 };
        var cc = new ChampionChallenger(options, Join, new VersionStore(Path.Combine(_dir, "tie")));
        var rng = new Random(3);
        for (long i = 0; i < 20_000; i++)
        {
            var x = new float[LifecycleStream.Dense];
            x[0] = (float)((rng.NextDouble() * 2) - 1); // the only input: any positive weight ranks every window perfectly
            bool y = x[0] > 0.6f;
            ulong[] k = [];
            ulong tx = (ulong)i + 1;
            cc.OnDecision(tx, i * Second, (float)cc.Champion.Score(x, k).Probability, x, k);
            Assert.Equal(JoinStatus.Joined, cc.OnLabel(tx, (i * Second) + 1, y));
        }

        var promotions = cc.Events.Where(e => e.Kind == ModelEventKind.Promoted).ToList();
        // One promotion replaces the untrained start (all scores equal: AUC 0.5); after it, only ties.
        Assert.True(promotions.Count == 1, string.Join("\n", cc.Events.Select(e => $"{e.LabelIndex} {e.Kind}: {e.Reason}")));
    }

    [Fact]
    public void Learning_promotes_a_better_challenger_and_writes_each_version_to_disk()
    {
        var run = Play(guards: true, "promote");
        var promotions = run.Controller.Events.Where(e => e.Kind == ModelEventKind.Promoted).ToList();
        Assert.NotEmpty(promotions);
        Assert.True(run.BaselineAuc > 0.85, $"pre-burst champion clean AUC {run.BaselineAuc}");
        foreach (var p in promotions)
        {
            Assert.True(File.Exists(run.Store.PathOf(p.ToVersion)));
            Assert.Equal(p.FromVersion + 0u, run.Store.Read(p.ToVersion).Version.Parent);
            Assert.Contains("challenger AUC", p.Reason, StringComparison.Ordinal);
        }

        Assert.True(run.Controller.Join!.UnknownLabels >= 64_000 / 50);
        Assert.Equal(64_000, run.Controller.Labels);
    }

    [Fact]
    public void An_operator_command_makes_an_earlier_version_the_champion_afresh_and_an_unknown_one_changes_nothing()
    {
        var options = Options(guards: false);
        var store = new VersionStore(Path.Combine(_dir, "adopt"));
        var cc = new ChampionChallenger(options, Join, store);
        var stream = new LifecycleStream(21);
        for (long i = 0; cc.ChampionVersion == 1 && i < 30_000; i++)
        {
            var (x, k, y) = stream.Next();
            cc.Learn(x, k, y, i * Second);
        }

        uint promoted = cc.ChampionVersion;
        Assert.True(promoted > 1, "no promotion to adopt back from");
        Assert.False(cc.Adopt(99, 1));
        Assert.Equal(promoted, cc.ChampionVersion);

        Assert.True(cc.Adopt(1, 2));
        Assert.Equal(1u, cc.ChampionVersion);
        var e = cc.Events[^1];
        Assert.Equal((ModelEventKind.Commanded, promoted, 1u), (e.Kind, e.FromVersion, e.ToVersion));
        Assert.Equal(0, cc.ChampionWindow.Count);
        var (x0, k0, _) = stream.Next();
        Assert.Equal(store.Read(1).Version.Model.Score(x0, k0).Probability, cc.Champion.Score(x0, k0).Probability);
        int events = cc.Events.Count;
        Assert.True(cc.Adopt(1, 3)); // already the champion: nothing happens
        Assert.Equal(events, cc.Events.Count);
    }

    [Fact]
    public void A_hold_keeps_the_champion_through_a_better_challenger_and_a_release_lets_it_be_promoted()
    {
        var options = Options(guards: false);
        var cc = new ChampionChallenger(options, Join, new VersionStore(Path.Combine(_dir, "hold")));
        Assert.True(cc.Hold(0));
        Assert.False(cc.Hold(1)); // already held: nothing happens
        Assert.True(cc.Held);
        var stream = new LifecycleStream(21);
        long i = 0;
        for (; i < 20_000; i++)
        {
            var (x, k, y) = stream.Next();
            cc.Learn(x, k, y, i * Second);
        }

        // The challenger learned the stream and the untrained champion did not: without the hold it would have been promoted.
        Assert.Equal(1u, cc.ChampionVersion);
        Assert.True(cc.ChallengerWindow.Auc() > cc.ChampionWindow.Auc() + options.PromotionMargin, $"{cc.ChallengerWindow.Auc()} vs {cc.ChampionWindow.Auc()}");
        Assert.Equal([ModelEventKind.Installed, ModelEventKind.Held], cc.Events.Select(e => e.Kind));

        Assert.True(cc.Release(i * Second));
        Assert.False(cc.Release(i * Second));
        for (long end = i + (2 * options.CheckEvery); i < end; i++)
        {
            var (x, k, y) = stream.Next();
            cc.Learn(x, k, y, i * Second);
        }

        Assert.True(cc.ChampionVersion > 1);
        Assert.Equal([ModelEventKind.Installed, ModelEventKind.Held, ModelEventKind.Released, ModelEventKind.Promoted], cc.Events.Select(e => e.Kind));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Guarded_poisoning_burst_never_promotes_a_poisoned_model(bool onlineTree)
    {
        var run = Play(guards: true, "guarded", onlineTree);
        Assert.Equal(onlineTree, run.Controller.Champion.OnlineTree is not null);
        var events = run.Controller.Events;
        Assert.Contains(events, e => e.Kind == ModelEventKind.LabelSpikeStarted && e.LabelIndex > run.BurstStart && e.LabelIndex < run.BurstStart + 200);
        Assert.Contains(events, e => e.Kind == ModelEventKind.LabelSpikeEnded && e.LabelIndex > run.BurstEnd);
        Assert.True(run.Controller.QuarantinedFeatures > 0 && run.Controller.QuarantinedSpike > 3000);
        // Every model that was ever champion scores the clean hold-out about as well as the pre-burst champion.
        foreach (var e in events.Where(e => e.LabelIndex >= run.BurstStart))
        {
            Assert.True(run.CleanAuc[e.ToVersion] > run.BaselineAuc - 0.02, $"{e.Kind} to v{e.ToVersion}: clean AUC {run.CleanAuc[e.ToVersion]} vs {run.BaselineAuc}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Unguarded_poisoning_is_promoted_and_then_rolled_back_within_a_bounded_number_of_labels(bool onlineTree)
    {
        // Without the guards the burst does poison a champion: this is what the guarded test would catch.
        var run = Play(guards: false, "unguarded", onlineTree);
        var events = run.Controller.Events;
        var poisoned = events.Where(e => e.Kind == ModelEventKind.Promoted && e.LabelIndex > run.BurstStart && run.CleanAuc[e.ToVersion] < run.BaselineAuc - 0.1).ToList();
        Assert.NotEmpty(poisoned);
        // ... and the rollback rule removes it once clean labels resume: within MinLabels + a few checks.
        var rollback = events.FirstOrDefault(e => e.Kind == ModelEventKind.RolledBack && e.LabelIndex > poisoned[^1].LabelIndex);
        Assert.NotNull(rollback);
        Assert.InRange(rollback.LabelIndex - run.BurstEnd, 0, 3000);
        Assert.True(run.CleanAuc[rollback.ToVersion] > run.BaselineAuc - 0.05, $"rolled back to v{rollback.ToVersion} with clean AUC {run.CleanAuc[rollback.ToVersion]}");
    }

    [Fact]
    public void Same_input_gives_the_same_events_and_weights()
    {
        var a = Play(guards: true, "a");
        var b = Play(guards: true, "b");
        Assert.Equal(a.Controller.Events.Select(e => (e.Kind, e.LabelIndex, e.ToVersion, e.Reason)), b.Controller.Events.Select(e => (e.Kind, e.LabelIndex, e.ToVersion, e.Reason)));
        Assert.Equal(a.Controller.Champion.Logistic!.HashedWeights.ToArray(), b.Controller.Champion.Logistic!.HashedWeights.ToArray());
        Assert.Equal(File.ReadAllBytes(a.Store.PathOf(a.Controller.ChampionVersion)), File.ReadAllBytes(b.Store.PathOf(b.Controller.ChampionVersion)));
    }

    [Fact]
    public void The_label_path_allocates_nothing_between_transitions()
    {
        var options = Options(guards: true) with { PromotionMargin = 1.0, DriftLambda = 1e9 };
        var cc = new ChampionChallenger(options, Join, new VersionStore(Path.Combine(_dir, "alloc")));
        var stream = new LifecycleStream(3);
        var data = Enumerable.Range(0, 1024).Select(_ => stream.Next()).ToArray();
        for (int pass = 0; pass < 2; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 6000; i++)
            {
                var (x, k, y) = data[i & 1023];
                ulong tx = (ulong)((pass * 10_000) + i + 1);
                cc.OnDecision(tx, (long)tx * Second, 0.5f, x, k);
                cc.OnLabel(tx, ((long)tx * Second) + 1, y);
            }

            if (pass == 1)
            {
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }

        Assert.Equal(12_000, cc.Learned);
        Assert.Equal(12_000, cc.ShadowScored); // the shadow path ran in the measured pass too
        Assert.Equal(12_000, cc.LiveJudged);
    }

    [Fact]
    public void A_label_judges_the_score_the_challenger_gave_in_shadow_at_decision_time_not_its_score_now()
    {
        var options = Options(guards: false) with { PromotionMargin = 1.0 };
        var cc = new ChampionChallenger(options, Join, new VersionStore(Path.Combine(_dir, "shadow")));
        var stream = new LifecycleStream(11);
        var (x0, k0, _) = stream.Next();
        const float championScore = 0.25f;
        Assert.Equal(RecordStatus.Stored, cc.OnDecision(1, Second, championScore, x0, k0));
        double atDecision = cc.Challenger.Probability(x0, k0);
        Assert.Equal(1, cc.ShadowScored);

        // Learning labels for decisions that were never shadow-scored moves the challenger; it judges nothing live.
        for (int i = 0; i < 500; i++)
        {
            var (x, k, y) = stream.Next();
            cc.Learn(x, k, y, 2 * Second);
        }

        double now = cc.Challenger.Probability(x0, k0);
        Assert.True(Math.Abs(now - atDecision) > 1e-3, $"the challenger did not move: {atDecision} then {now}");
        Assert.Equal(0, cc.LiveJudged);

        Assert.Equal(JoinStatus.Joined, cc.OnLabel(1, 3 * Second, true));
        Assert.Equal(1, cc.LiveJudged);
        Assert.Equal(1, cc.LiveChallengerWindow.Count);
        // One positive in the window: its mean log loss is -ln(score), which gives the stored score back.
        Assert.Equal((float)atDecision, (float)Math.Exp(-cc.LiveChallengerWindow.LogLoss()), 5);
        Assert.Equal(championScore, (float)Math.Exp(-cc.LiveChampionWindow.LogLoss()), 5);
        Assert.Equal(Math.Abs(atDecision - championScore), cc.ShadowMeanAbsDifference, 6);
    }

    [Fact]
    public void The_shadow_book_forgets_its_oldest_decisions_refuses_a_repeated_txid_and_can_be_turned_off()
    {
        var stream = new LifecycleStream(12);
        var data = Enumerable.Range(0, 6).Select(_ => stream.Next()).ToArray();
        var options = Options(guards: false) with { ShadowCapacity = 4 };
        var cc = new ChampionChallenger(options, null, new VersionStore(Path.Combine(_dir, "book")), ChampionLearner.ForLogistic(new FtrlLearner(options.DenseCount, options.Ftrl)));
        for (int i = 0; i < 5; i++)
        {
            cc.Shadow((ulong)i + 1, 0.5f, data[i].X, data[i].Keys);
        }

        cc.Shadow(5, 0.5f, data[5].X, data[5].Keys); // txId 5 is remembered already
        cc.Shadow(6, 0.5f, new float[3], data[5].Keys); // wrong shape
        Assert.Equal(5, cc.ShadowScored);
        Assert.Equal(2, cc.ShadowRefused);

        cc.Learn(data[0].X, data[0].Keys, data[0].Y, Second, txId: 1); // txId 1 was the oldest of five in a book of four
        Assert.Equal(0, cc.LiveJudged);
        cc.Learn(data[4].X, data[4].Keys, data[4].Y, Second, txId: 5);
        Assert.Equal(1, cc.LiveJudged);

        var off = new ChampionChallenger(options with { ShadowCapacity = 0 }, null, new VersionStore(Path.Combine(_dir, "off")), ChampionLearner.ForLogistic(new FtrlLearner(options.DenseCount, options.Ftrl)));
        off.Shadow(1, 0.5f, data[0].X, data[0].Keys);
        off.Learn(data[0].X, data[0].Keys, data[0].Y, Second, txId: 1);
        Assert.Equal(0, off.ShadowScored + off.ShadowRefused + off.LiveJudged);
        Assert.Equal(1, off.Learned);
    }

    [Fact]
    public void A_shifted_feature_raises_one_feature_drift_event_and_a_stationary_stream_none()
    {
        var cc = new ChampionChallenger(Options(guards: true), Join, new VersionStore(Path.Combine(_dir, "psi")));
        var stream = new LifecycleStream(11);
        const int Shift = 20_000;
        for (int i = 0; i < 30_000; i++)
        {
            var (x, k, y) = stream.Next();
            if (i >= Shift)
            {
                x[3] += 1.5f; // feature 3 moves by 1.5 sd (it carries no signal, so AUC does not care)
            }

            cc.Learn(x, k, y, i * Second);
        }

        var drifts = cc.Events.Where(e => e.Kind == ModelEventKind.FeatureDrift).ToList();
        Assert.Single(drifts);
        Assert.InRange(drifts[0].LabelIndex, Shift + 1, Shift + 3000);
        Assert.StartsWith("feature 3:", drifts[0].Reason, StringComparison.Ordinal);
        Assert.True(cc.MaxPsi(out int feature) > 1.0 && feature == 3);
    }
}
