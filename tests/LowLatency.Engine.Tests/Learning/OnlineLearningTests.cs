using LowLatency.Engine.Events;
using LowLatency.Engine.Learning;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Tests.Pipeline;
using LowLatency.Models.Lifecycle;
using static LowLatency.Engine.Tests.Pipeline.ScoringPipelineTests;

namespace LowLatency.Engine.Tests.Learning;

public sealed class OnlineLearningTests : IDisposable
{
    private const int LabelDelay = 200;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ll-learning-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>Polls <paramref name="condition"/> every millisecond (sleeping, never spinning) until it holds or <paramref name="timeout"/> passes.</summary>
    private static bool Eventually(Func<bool> condition, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>
    /// Fraud is one channel × entry-mode combination (1 in 25 transactions): learnable from the hashed channel × entry
    /// mode key, unknown to the starting model.
    /// </summary>
    private static bool IsFraud(in Transaction tx) => (int)tx.Channel == 1 && (int)tx.EntryMode == 3;

    private LearningOptions Options(string name, int queue = 1024) => new()
    {
        VersionDirectory = Path.Combine(_dir, name),
        JoinCapacity = 4096,
        QueueCapacity = queue,
        Learner = new Models.Online.ChampionLearnerOptions { OnlineTree = Models.Online.ChampionLearnerOptions.FraudOnlineTree },
        Lifecycle = new LifecycleOptions { MinLabels = 500, Window = 1000, CheckEvery = 250, PromotionMargin = 0.01, RollbackWatch = 2000, PsiReference = 1000, PsiWindow = 1000 },
    };

    private static ScoringPipeline<RecordingSink> Pipeline(DecisionLog log, LearningOptions options, Topology topology = Topology.SingleThread)
    {
        var start = TestModels.Learnable(41, Payments, RandomTransactions(5000, seed: 40), out var ftrl, out var scaling);
        return new ScoringPipeline<RecordingSink>(
            new PipelineOptions { RingSize = 1024, Features = Payments, Topology = topology }, start, new DecisionPolicy(0.5f, 0.9f), new RecordingSink(log),
            learning: registry => new OnlineLearning(options, start, ftrl, scaling, registry));
    }

    /// <summary>Each transaction, and the label of the one <see cref="LabelDelay"/> before it (labelled at this event's time).</summary>
    private static void Feed(ScoringPipeline<RecordingSink> pipeline, Transaction[] txs, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            using (var scope = pipeline.Sequencer.Claim(pipeline.Ring))
            {
                scope.Event.Kind = MessageKind.Transaction;
                scope.Event.Rejected = false;
                scope.Event.Transaction = txs[i];
            }

            if (i >= LabelDelay)
            {
                ref readonly var labelled = ref txs[i - LabelDelay];
                using var scope = pipeline.Sequencer.Claim(pipeline.Ring);
                scope.Event.Kind = MessageKind.Label;
                scope.Event.Rejected = false;
                scope.Event.Label = new Label { TxId = labelled.TxId, LabelTimeNs = txs[i].EventTimeNs, Class = IsFraud(labelled) ? LabelClass.Fraud : LabelClass.Genuine };
            }
        }
    }

    [Fact]
    public void The_learner_promotes_a_better_version_and_it_is_swapped_in_whole_between_events()
    {
        var txs = RandomTransactions(30_000, seed: 42);
        var log = new DecisionLog(txs.Length, -1);
        using var pipeline = Pipeline(log, Options("promote"), Topology.Pipelined);
        pipeline.Start();
        // Fed in steps, each once the learner has caught up, so the test does not depend on how fast it runs.
        for (int from = 0; from < txs.Length; from += 5000)
        {
            Feed(pipeline, txs, from, Math.Min(txs.Length, from + 5000));
            Eventually(() => pipeline.Learning!.Stats.QueuedNow == 0 && pipeline.Learning.Stats.Learned + pipeline.Stats.LabelsDropped >= pipeline.Stats.LabelsJoined, TimeSpan.FromSeconds(30));
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(60)));
        var learning = pipeline.Learning!;
        Assert.Null(learning.Failure);
        string history = string.Join("\n", learning.Transitions.Select(e => $"{e.LabelIndex} {e.Kind} v{e.FromVersion}->v{e.ToVersion} {e.Reason}"));
        var promoted = learning.Transitions.Where(e => e.Kind == ModelEventKind.Promoted).ToList();
        Assert.NotEmpty(promoted);
        Assert.Contains("challenger AUC", promoted[0].Reason, StringComparison.Ordinal);
        Assert.True(pipeline.Stats.ModelSwaps >= 1, history);
        Assert.Equal(0, pipeline.Stats.SwapsRefused);
        Assert.Equal(txs.Length - LabelDelay, pipeline.Stats.LabelsJoined + pipeline.Stats.LabelsDropped);

        // Every version the decisions name is on disk and registered; each decision is entirely that version's.
        var store = new VersionStore(Path.Combine(_dir, "promote"));
        var models = pipeline.Models.Versions.ToDictionary(v => v, v => pipeline.Models.Find(v)!);
        foreach (uint v in log.Decisions.Select(d => d.ModelVersion).Distinct())
        {
            Assert.Contains(v, store.Versions());
            Assert.Equal(models[v].Fingerprint, new ServingModel(store.Read(v).Version.Model, v).Fingerprint);
        }

        // Promoted versions carry the challenger's online Hoeffding tree; the scores below include it.
        Assert.Contains(log.Decisions.Select(d => d.ModelVersion).Distinct(), v => models[v].Champion.OnlineTree is not null);

        using var features = NewFeaturizer(Payments);
        var f = new float[features.Count];
        var keys = new ulong[SparseKeyBuffer.Capacity];
        for (int i = 0; i < txs.Length; i++)
        {
            features.Process(txs[i], f);
            int k = SparseKeys.Write(txs[i], keys);
            Assert.Equal(models[log.Decisions[i].ModelVersion].Champion.Score(f, keys.AsSpan(0, k)).Probability, log.Decisions[i].Score);
        }

        // The versions the decisions show, in input order, follow the learner's champions in the order it chose them
        // (two swaps between the same two transactions show as one).
        var champions = learning.Transitions.Where(e => e.Kind is ModelEventKind.Installed or ModelEventKind.Promoted or ModelEventKind.RolledBack).Select(e => e.ToVersion).ToList();
        var seen = log.Decisions.Select(d => d.ModelVersion).Where((v, i) => i == 0 || v != log.Decisions[i - 1].ModelVersion).ToList();
        int at = 0;
        foreach (uint v in seen)
        {
            while (at < champions.Count && champions[at] != v)
            {
                at++;
            }

            Assert.True(at < champions.Count, $"decisions show v{v} out of the learner's order: {string.Join(",", seen)} vs {string.Join(",", champions)}\n{history}");
        }

        Assert.True(seen.Count >= 2, history);
        Assert.True(log.Decisions.Skip(20_000).All(d => d.ModelVersion > 1), "the last third is still scored by the starting model: " + history);
    }

    private static void Control(ScoringPipeline<RecordingSink> pipeline, ControlCommand command, long eventTimeNs)
    {
        using var scope = pipeline.Sequencer.Claim(pipeline.Ring);
        scope.Event.Kind = MessageKind.Control;
        scope.Event.Rejected = false;
        scope.Event.Control = new ControlMessage { Command = command, EventTimeNs = eventTimeNs };
    }

    /// <summary>
    /// The stream of the promotion test, with an operator's hold on the control stream before it: the learner learns the
    /// whole time but promotes nothing, so every decision is the starting model's; after the release it promotes again.
    /// </summary>
    [Fact]
    public void An_operators_hold_stops_automatic_promotions_until_released()
    {
        var txs = RandomTransactions(30_000, seed: 42);
        var log = new DecisionLog(txs.Length, -1);
        using var pipeline = Pipeline(log, Options("hold", queue: 1 << 16)); // room for every label: none dropped
        pipeline.Start();
        Control(pipeline, ControlCommand.HoldModel, txs[0].EventTimeNs);
        Control(pipeline, ControlCommand.HoldModel, txs[0].EventTimeNs); // a second hold changes nothing
        bool CaughtUp() => pipeline.Learning!.Stats.QueuedNow == 0 && pipeline.Learning.Stats.Learned + pipeline.Stats.LabelsDropped >= pipeline.Stats.LabelsJoined;
        for (int from = 0; from < 20_000; from += 5000)
        {
            Feed(pipeline, txs, from, from + 5000);
            Assert.True(Eventually(CaughtUp, TimeSpan.FromSeconds(30)));
        }

        var learning = pipeline.Learning!;
        string History() => string.Join("\n", learning.Transitions.Select(e => $"{e.LabelIndex} {e.Kind} v{e.FromVersion}->v{e.ToVersion} {e.Reason}"));
        Assert.True(learning.Stats.Learned > 15_000, History());
        Assert.Equal(0, pipeline.Stats.ModelSwaps);
        Assert.DoesNotContain(learning.Transitions, e => e.Kind is ModelEventKind.Promoted or ModelEventKind.RolledBack);
        Assert.Single(learning.Transitions, e => e.Kind == ModelEventKind.Held);

        Control(pipeline, ControlCommand.ReleaseModel, txs[20_000].EventTimeNs);
        Feed(pipeline, txs, 20_000, txs.Length);
        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(60)));
        Assert.Null(learning.Failure);
        var kinds = learning.Transitions.Select(e => e.Kind).ToList();
        int released = kinds.IndexOf(ModelEventKind.Released);
        Assert.True(released > 0, History());
        Assert.True(kinds.IndexOf(ModelEventKind.Promoted) > released, History());
        Assert.True(pipeline.Stats.ModelSwaps >= 1, History());
        Assert.True(log.Decisions.Take(20_000).All(d => d.ModelVersion == 1));
        Assert.Contains(log.Decisions.Skip(20_000), d => d.ModelVersion > 1);
    }

    [Fact]
    public void Scoring_allocates_nothing_per_event_with_learning_on()
    {
        // 220k transactions and their labels: the sink (the scoring thread, single-thread topology) reads its allocation
        // counter after 20k and at the end; logging decisions, joining labels, queueing examples and taking swaps is in between.
        var txs = RandomTransactions(220_000, seed: 43);
        var log = new DecisionLog(txs.Length, measureFrom: 20_000);
        using var pipeline = Pipeline(log, Options("alloc", queue: 1 << 14));
        pipeline.Start();
        Feed(pipeline, txs, 0, txs.Length);
        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(120)));
        Assert.True(log.AllocatedAtStart >= 0 && log.AllocatedAtEnd >= log.AllocatedAtStart);
        Assert.Equal(0, log.AllocatedAtEnd - log.AllocatedAtStart);
        // Labels that joined their decision were queued, or dropped when the learner was behind (how many of each
        // depends on how fast the learner thread ran): both paths ran on the measured thread.
        var stats = pipeline.Stats;
        Assert.True(stats.LabelsJoined + stats.LabelsDropped > 100_000 && stats.LabelsJoined > 10_000, $"{stats.LabelsJoined} labels joined and queued, {stats.LabelsDropped} dropped");
        Assert.True(pipeline.Learning!.Stats.Learned > 10_000);
    }

    [Fact]
    public void The_challenger_scores_every_live_decision_in_shadow_and_labels_judge_those_decision_time_scores()
    {
        var txs = RandomTransactions(12_000, seed: 46);
        var log = new DecisionLog(txs.Length, -1);
        using var pipeline = Pipeline(log, Options("shadow", queue: 1 << 14));
        pipeline.Start();
        for (int from = 0; from < txs.Length; from += 3000)
        {
            Feed(pipeline, txs, from, Math.Min(txs.Length, from + 3000));
            Assert.True(Eventually(() => pipeline.Learning!.Stats.QueuedNow == 0 && log.Count >= Math.Min(txs.Length, from + 3000), TimeSpan.FromSeconds(30)));
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        var learning = pipeline.Learning!;
        var l = learning.Stats;
        Assert.Null(learning.Failure);
        Assert.Equal(0, l.ShadowSkipped);
        Assert.Equal(txs.Length, learning.ShadowQueued);
        Assert.Equal(txs.Length, l.ShadowScored);
        // Every learned label's decision was scored in shadow before it: each judged the decision-time scores.
        Assert.Equal(l.Learned, l.LiveJudged);
        Assert.True(l.Learned > 5000, $"{l.Learned} learned");
        Assert.InRange(l.LiveChampionAuc, 0.5, 1.0);
        Assert.InRange(l.LiveChallengerAuc, 0.5, 1.0);
    }

    [Fact]
    public void Without_shadow_scoring_no_decision_is_queued_and_no_label_is_judged_live()
    {
        var txs = RandomTransactions(3000, seed: 47);
        var log = new DecisionLog(txs.Length, -1);
        using var pipeline = Pipeline(log, Options("noshadow") with { ShadowScoring = false });
        pipeline.Start();
        Feed(pipeline, txs, 0, txs.Length);
        Assert.True(Eventually(() => log.Count == txs.Length && pipeline.Learning!.Stats.QueuedNow == 0, TimeSpan.FromSeconds(30)));
        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        var l = pipeline.Learning!.Stats;
        Assert.Equal(0, pipeline.Learning.ShadowQueued);
        Assert.Equal(0, l.ShadowScored + l.ShadowSkipped + l.LiveJudged);
        Assert.True(l.Learned > 1000);
    }

    [Fact]
    public void A_learner_that_falls_behind_costs_dropped_examples_never_a_stalled_decision()
    {
        var txs = RandomTransactions(3000, seed: 44);
        var log = new DecisionLog(txs.Length, -1);
        using var pipeline = Pipeline(log, Options("overflow", queue: 16));
        pipeline.Learning!.Pause();
        pipeline.Start();
        Feed(pipeline, txs, 0, txs.Length);
        Assert.True(Eventually(() => log.Count == txs.Length, TimeSpan.FromSeconds(30)), "decisions stalled behind the learner");
        pipeline.Learning.Resume();
        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        var s = pipeline.Stats;
        Assert.Equal(txs.Length - LabelDelay, s.LabelsJoined + s.LabelsDropped);
        // The queue's worth, plus what the learner took before it paused: live decisions queued for shadow scoring take
        // at most half of the 16 slots, so at least 8 are left for labels; the rest of the decisions are skipped and
        // counted (every one was still decided, above).
        Assert.InRange(s.LabelsJoined, 8, 16 + 200);
        Assert.True(s.LabelsDropped > 2000);
        var l = pipeline.Learning.Stats;
        Assert.InRange(l.ShadowSkipped, txs.Length - 8 - 200, txs.Length - 8);
        Assert.Equal(txs.Length, l.ShadowSkipped + pipeline.Learning.ShadowQueued);
    }

    [Fact]
    public void Labels_for_unknown_or_already_labelled_transactions_are_counted_and_not_learned()
    {
        var txs = RandomTransactions(600, seed: 45);
        var log = new DecisionLog(txs.Length, -1);
        using var pipeline = Pipeline(log, Options("unmatched"));
        pipeline.Start();
        Feed(pipeline, txs, 0, txs.Length);
        foreach (ulong id in new ulong[] { 99_999_999, txs[10].TxId })
        {
            using var scope = pipeline.Sequencer.Claim(pipeline.Ring);
            scope.Event.Kind = MessageKind.Label;
            scope.Event.Rejected = false;
            scope.Event.Label = new Label { TxId = id, LabelTimeNs = txs[^1].EventTimeNs, Class = LabelClass.Fraud };
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, pipeline.Stats.LabelsUnmatched);
        Assert.Equal(1, pipeline.Learning!.Join.UnknownLabels);
        Assert.Equal(1, pipeline.Learning.Join.DuplicateLabels);
        Assert.Equal(txs.Length - LabelDelay, pipeline.Stats.LabelsJoined);
    }

    [Fact]
    public void Learning_refuses_a_version_directory_that_already_holds_versions()
    {
        var options = Options("reuse");
        var log = new DecisionLog(1, -1);
        using (Pipeline(log, options))
        {
        }

        var ex = Assert.Throws<ArgumentException>(() => Pipeline(log, options));
        Assert.Contains("already holds model versions", ex.Message, StringComparison.Ordinal);
    }
}
