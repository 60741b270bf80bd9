using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;

namespace LowLatency.Engine.Tests.Pipeline;

public class ScoringPipelineTests
{
    /// <summary>Preallocated record of what the sink saw, plus the sink thread's allocation counter at two points.</summary>
    internal sealed class DecisionLog(int capacity, long measureFrom)
    {
        public readonly Decision[] Decisions = new Decision[capacity];
        public readonly byte[] ReasonCounts = new byte[capacity];
        public readonly ReasonCode[] Reasons = new ReasonCode[capacity * ReasonBuffer.Capacity];
        public int Count;
        public int Others;
        public long AllocatedAtStart = -1;
        public long AllocatedAtEnd = -1;
        public long MeasureFrom = measureFrom;
        public long ScoredInGroups;
    }

    internal struct RecordingSink(DecisionLog log) : IDecisionSink
    {
        public readonly bool TryPublish(ref PipelineSlot slot)
        {
            if (log.Count == log.MeasureFrom)
            {
                log.AllocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
            }

            log.ReasonCounts[log.Count] = slot.ReasonCount;
            for (int i = 0; i < slot.ReasonCount; i++)
            {
                log.Reasons[(log.Count * ReasonBuffer.Capacity) + i] = slot.Reasons[i];
            }

            log.Decisions[log.Count++] = slot.Decision;
            log.AllocatedAtEnd = GC.GetAllocatedBytesForCurrentThread();
            return true;
        }

        public readonly void OnOther(ref PipelineSlot slot) => log.Others++;

        public readonly void Flush()
        {
        }
    }

    /// <summary>The shipped payments spec over small tables, so each test allocates megabytes, not gigabytes.</summary>
    internal static readonly FeatureSpec Payments = FeatureSpec.LoadDefault("payments").WithMaxCapacity(1 << 14);

    internal static readonly FeatureSpec Orders = FeatureSpec.LoadDefault("orders").WithMaxCapacity(1 << 12);

    internal static Featurizer NewFeaturizer(FeatureSpec spec) => new(FeaturePlan.Compile(spec));

    /// <summary>A champion of a random logistic model and random trees over the spec's features.</summary>
    internal static ServingModel RandomModel(int seed, uint version = 1, FeatureSpec? spec = null) => TestModels.Random(seed, spec ?? Payments, version);

    internal static Transaction[] RandomTransactions(int n, int seed)
    {
        var rng = new Random(seed);
        long t = 1_700_000_000_000_000_000;
        return [.. Enumerable.Range(0, n).Select(i =>
        {
            t += rng.Next(1, 2_000_000_000);
            bool geo = rng.NextDouble() < 0.6;
            return new Transaction
            {
                TxId = (ulong)i + 1, EventTimeNs = t, CardId = (ulong)rng.Next(2_000), MerchantId = (ulong)rng.Next(500),
                AmountMinor = rng.Next(100, 100_000), Country = (ushort)(rng.NextDouble() < 0.9 ? 826 : 840),
                Channel = (Channel)rng.Next(5), EntryMode = (EntryMode)rng.Next(5), DeviceId = (ulong)rng.Next(0, 5),
                Latitude = geo ? 50 + rng.NextDouble() : double.NaN, Longitude = geo ? rng.NextDouble() : double.NaN,
            };
        })];
    }

    private static DecisionLog Run(
        Transaction[] txs, Topology topology, WaitStrategyKind wait, ServingModel model, DecisionPolicy policy, long measureFrom = -1, bool polled = false,
        ReasonCodes reasons = ReasonCodes.All, bool groups = false)
    {
        var log = new DecisionLog(txs.Length, measureFrom);
        var options = new PipelineOptions { Topology = topology, WaitStrategy = wait, RingSize = 1024, Features = Payments, PolledByCaller = polled, Reasons = reasons, ScoreInGroups = groups };
        using var pipeline = new ScoringPipeline<RecordingSink>(options, model, policy, new RecordingSink(log));
        pipeline.Start();
        var seq = pipeline.Sequencer;
        void Produce()
        {
            foreach (var tx in txs)
            {
                long s = seq.Next();
                ref var slot = ref pipeline.Ring[s];
                slot.Kind = MessageKind.Transaction;
                slot.Rejected = false;
                slot.Transaction = tx;
                seq.Publish(s);
            }
        }

        if (polled)
        {
            // The ring (1,024 slots) is far smaller than the stream: the producer runs on its own thread and waits for
            // this thread, which runs every stage by polling.
            var producer = new Thread(Produce) { IsBackground = true };
            producer.Start();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while ((log.Count + log.Others < txs.Length || producer.IsAlive) && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (pipeline.Poll() == 0)
                {
                    Thread.Yield();
                }
            }

            Assert.True(producer.Join(TimeSpan.FromSeconds(5)));
        }
        else
        {
            Produce();
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, pipeline.Faults);
        log.ScoredInGroups = pipeline.Stats.ScoredInGroups;
        return log;
    }

    [Theory]
    [InlineData(Topology.SingleThread, WaitStrategyKind.Yielding, ReasonCodes.All)]
    [InlineData(Topology.Pipelined, WaitStrategyKind.Yielding, ReasonCodes.All)]
    [InlineData(Topology.Pipelined, WaitStrategyKind.Blocking, ReasonCodes.Flagged)]
    [InlineData(Topology.SingleThread, WaitStrategyKind.Yielding, ReasonCodes.All, true)]
    [InlineData(Topology.SingleThread, WaitStrategyKind.Yielding, ReasonCodes.Flagged)]
    [InlineData(Topology.SingleThread, WaitStrategyKind.Yielding, ReasonCodes.None, true)]
    [InlineData(Topology.SingleThread, WaitStrategyKind.Yielding, ReasonCodes.Flagged, false, true)]
    [InlineData(Topology.SingleThread, WaitStrategyKind.Yielding, ReasonCodes.None, true, true)]
    public void Decisions_equal_a_naive_inline_recomputation_in_every_topology(Topology topology, WaitStrategyKind wait, ReasonCodes reasonCodes, bool polled = false, bool groups = false)
    {
        var txs = RandomTransactions(30_000, seed: 1);
        var model = RandomModel(2);
        var policy = new DecisionPolicy(0.3f, 0.7f);
        var log = Run(txs, topology, wait, model, policy, polled: polled, reasons: reasonCodes, groups: groups);
        if (groups && model.Champion.Trees!.ScoresBatchesAcrossRows)
        {
            Assert.True(log.ScoredInGroups > 0, "no group of eight or more formed");
        }

        // The same components run inline on the test thread: what the ring, the stages and the threads add must be nothing.
        using var naiveFeatures = NewFeaturizer(Payments);
        var f = new float[naiveFeatures.Count];
        ulong[] keys = new ulong[SparseKeyBuffer.Capacity];
        var scratch = new float[model.Champion.ExplainSlots(keys.Length)];
        var reasons = new Models.Contribution[ReasonBuffer.Capacity];
        Assert.Equal(txs.Length, log.Count);
        for (int i = 0; i < txs.Length; i++)
        {
            naiveFeatures.Process(txs[i], f);
            int keyCount = SparseKeys.Write(txs[i], keys);
            var score = model.Champion.Explain(f, keys.AsSpan(0, keyCount), scratch, reasons);
            var d = log.Decisions[i];
            Assert.Equal(txs[i].TxId, d.TxId);
            Assert.Equal(score.Probability, d.Score);
            Assert.Equal(policy.Decide(score.Probability), d.Outcome);
            Assert.Equal(model.Version, d.ModelVersion);

            // Reasons where the setting asks for them (flagged: reviews and declines), exactly the explaining walk's.
            bool explained = reasonCodes == ReasonCodes.All || (reasonCodes == ReasonCodes.Flagged && d.Outcome != Outcome.Approve);
            Assert.Equal(explained ? score.ReasonCount : 0, log.ReasonCounts[i]);
            for (int k = 0; k < log.ReasonCounts[i]; k++)
            {
                Assert.Equal(reasons[k].Feature, log.Reasons[(i * ReasonBuffer.Capacity) + k].FeatureId);
                Assert.Equal(reasons[k].Value, log.Reasons[(i * ReasonBuffer.Capacity) + k].Contribution);
            }
        }

        Assert.Contains(log.Decisions, d => d.Outcome == Outcome.Decline);
        Assert.Contains(log.Decisions, d => d.Outcome == Outcome.Approve);
        Assert.Contains(log.Decisions, d => d.Outcome == Outcome.Review);
    }

    [Theory]
    [InlineData(false, ReasonCodes.All)]
    [InlineData(true, ReasonCodes.All)]
    [InlineData(false, ReasonCodes.Flagged)]
    [InlineData(false, ReasonCodes.Flagged, true)]
    public void Steady_state_processing_allocates_nothing_per_event(bool polled, ReasonCodes reasons, bool groups = false)
    {
        // 220k events: the sink reads its thread's allocation counter after 20k (warm-up, tiering) and at the end.
        // The champion has both parts, so the logistic dot product, the hashed keys, the SIMD trees and the Saabas
        // reason codes are all on the measured path.
        var txs = RandomTransactions(220_000, seed: 3);
        var model = RandomModel(4);
        Assert.NotNull(model.Champion.Logistic);
        Assert.True(model.Champion.Trees is { IsCompiled: true });
        var log = Run(txs, Topology.SingleThread, WaitStrategyKind.Yielding, model, new DecisionPolicy(0.5f, 0.9f), measureFrom: 20_000, polled: polled, reasons: reasons, groups: groups);
        Assert.True(log.AllocatedAtStart >= 0 && log.AllocatedAtEnd >= log.AllocatedAtStart);
        Assert.Equal(0, log.AllocatedAtEnd - log.AllocatedAtStart);
        int explained = log.Decisions.Count(d => reasons == ReasonCodes.All || d.Outcome != Outcome.Approve);
        Assert.True(explained > 1000);
        Assert.True(log.ReasonCounts.Count(c => c == ReasonBuffer.Capacity) > explained / 2);
        Assert.True(log.Decisions.Select(d => d.Score).Distinct().Count() > 1000);
    }

    /// <summary>Publishes one transaction into the pipeline's ring, as a receiver does.</summary>
    internal static void PublishTransaction<TSink>(ScoringPipeline<TSink> pipeline, in Transaction tx)
        where TSink : struct, IDecisionSink
    {
        using var scope = pipeline.Sequencer.Claim(pipeline.Ring);
        scope.Event.Kind = MessageKind.Transaction;
        scope.Event.Rejected = false;
        scope.Event.Transaction = tx;
    }

    /// <summary>A sink that fails on the given transaction ids and records every other decision it is given.</summary>
    private struct FailingSink(List<ulong> published, ulong[] failOn, List<uint>? versions = null) : IDecisionSink
    {
        public readonly bool TryPublish(ref PipelineSlot slot)
        {
            if (failOn.Contains(slot.Decision.TxId))
            {
                throw new InvalidOperationException("sink failure");
            }

            published.Add(slot.Decision.TxId);
            versions?.Add(slot.Decision.ModelVersion);
            return true;
        }

        public readonly void OnOther(ref PipelineSlot slot)
        {
        }

        public readonly void Flush()
        {
        }
    }

    [Theory]
    [InlineData(false, new[] { 45 })]
    [InlineData(true, new[] { 45 })]
    [InlineData(false, new[] { 40, 45, 120 })]
    [InlineData(true, new[] { 40, 45, 120 })]
    public void Slots_that_fault_are_each_counted_and_every_other_event_of_their_group_is_still_decided_in_order(bool groups, int[] failing)
    {
        // Published before the start, the stream is one ring batch: with groups its faulting events sit inside groups of
        // 32 (two of them in one) whose other events must not be lost when the faults unwind, and every fault counts.
        var txs = RandomTransactions(200, seed: 6);
        var published = new List<ulong>();
        var options = new PipelineOptions { RingSize = 256, Features = Payments, ScoreInGroups = groups };
        using var pipeline = new ScoringPipeline<FailingSink>(options, RandomModel(1), new DecisionPolicy(0.5f, 0.9f), new FailingSink(published, [.. failing.Select(i => txs[i].TxId)]));
        foreach (var tx in txs)
        {
            PublishTransaction(pipeline, tx);
        }

        pipeline.Start();
        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        Assert.Equal(failing.Length, pipeline.Faults);
        Assert.Equal(txs.Where((_, i) => !failing.Contains(i)).Select(t => t.TxId), published);
        // Six groups of 32 and one of 8, the faulting ones included, where the machine and the trees score across events.
        Assert.Equal(groups && pipeline.Model.Champion.Trees!.ScoresBatchesAcrossRows ? txs.Length : 0, pipeline.Stats.ScoredInGroups);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_promotion_right_after_a_faulting_event_still_takes_effect_and_nothing_else_is_lost(bool groups)
    {
        // Event 10 faults in the sink; a PromoteModel to v2 follows event 19. With groups both sit in one ring batch and
        // the fault unwinds from the group drained before the promotion: the promotion must still be put in force, and
        // every other event decided in order (v1 before the promotion, v2 after).
        var txs = RandomTransactions(60, seed: 7);
        var published = new List<ulong>();
        var versions = new List<uint>();
        var options = new PipelineOptions { RingSize = 128, Features = Payments, ScoreInGroups = groups };
        var v2 = RandomModel(2, version: 2);
        using var pipeline = new ScoringPipeline<FailingSink>(options, RandomModel(1), new DecisionPolicy(0.5f, 0.9f), new FailingSink(published, [txs[10].TxId], versions));
        pipeline.Models.Add(v2);
        for (int i = 0; i < txs.Length; i++)
        {
            if (i == 20)
            {
                using var control = pipeline.Sequencer.Claim(pipeline.Ring);
                control.Event.Kind = MessageKind.Control;
                control.Event.Rejected = false;
                control.Event.Control = new ControlMessage { Command = ControlCommand.PromoteModel, ModelVersion = 2 };
            }

            PublishTransaction(pipeline, txs[i]);
        }

        pipeline.Start();
        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, pipeline.Faults);
        Assert.Equal(txs.Where((_, i) => i != 10).Select(t => t.TxId), published);
        Assert.Equal(Enumerable.Repeat(1u, 19).Concat(Enumerable.Repeat(2u, 40)), versions);
        Assert.Equal(1, pipeline.Stats.ModelSwaps);
    }

    [Fact]
    public void Events_far_in_the_future_are_rejected_counted_and_not_decided()
    {
        var txs = RandomTransactions(100, seed: 5);
        txs[50].EventTimeNs += (long)TimeSpan.FromHours(2).TotalNanoseconds;
        var log = new DecisionLog(txs.Length, -1);
        using var pipeline = new ScoringPipeline<RecordingSink>(new PipelineOptions { RingSize = 128, Features = Payments }, RandomModel(1), new DecisionPolicy(0.5f, 0.9f), new RecordingSink(log));
        pipeline.Start();
        foreach (var tx in txs)
        {
            PublishTransaction(pipeline, tx);
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        Assert.Equal(99, log.Count);
        Assert.Equal(1, log.Others);
        Assert.Equal(1, pipeline.Stats.Rejected);
        Assert.DoesNotContain(log.Decisions.Take(log.Count), d => d.TxId == txs[50].TxId);
    }

    [Fact]
    public void Polling_is_refused_for_a_pipeline_with_stage_threads_and_polled_needs_the_single_thread_topology()
    {
        var threaded = new PipelineOptions { RingSize = 64, Features = Payments };
        using (var pipeline = new ScoringPipeline<RecordingSink>(threaded, RandomModel(1), new DecisionPolicy(0.5f, 0.9f), new RecordingSink(new DecisionLog(1, -1))))
        {
            Assert.Throws<InvalidOperationException>(() => pipeline.Poll());
        }

        var bad = new PipelineOptions { RingSize = 64, Features = Payments, Topology = Topology.Pipelined, PolledByCaller = true };
        var ex = Assert.Throws<ArgumentException>(() => bad.Validate());
        Assert.Contains("single-thread", ex.Message, StringComparison.Ordinal);

        // Groups likewise: a pipelined scoring stage sees one event at a time.
        var grouped = new PipelineOptions { RingSize = 64, Features = Payments, Topology = Topology.Pipelined, ScoreInGroups = true };
        ex = Assert.Throws<ArgumentException>(() => grouped.Validate());
        Assert.Contains("ScoreInGroups needs the single-thread topology", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_with_another_feature_layout_is_refused_naming_the_feature()
    {
        var short2 = new ServingModel(ChampionModel.FromLogistic(new LogisticModel([1f, 2f], [0f, 0f], 0f), ["log_amount", "ecommerce"]), 1);
        var ex = Assert.Throws<ArgumentException>(() => new ScoringPipeline<RecordingSink>(new PipelineOptions { Features = Payments }, short2, new DecisionPolicy(0.5f, 0.9f), default));
        Assert.Contains("has 2 features but the feature spec has", ex.Message, StringComparison.Ordinal);

        // Same count, one name swapped: the message names the position and both names.
        var names = Featurizer.NamesFor(FeaturePlan.Compile(Payments));
        var swapped = (string[])names.Clone();
        (swapped[3], swapped[4]) = (swapped[4], swapped[3]);
        var renamed = new ServingModel(ChampionModel.FromLogistic(new LogisticModel(new float[names.Length], [0f, 0f], 0f), swapped), 1);
        ex = Assert.Throws<ArgumentException>(() => new ScoringPipeline<RecordingSink>(new PipelineOptions { Features = Payments }, renamed, new DecisionPolicy(0.5f, 0.9f), default));
        Assert.Contains($"feature_names[3] = '{names[4]}' but the feature spec has '{names[3]}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Late_events_are_decided_on_the_features_as_they_stand_and_counted()
    {
        var txs = RandomTransactions(2_000, seed: 6);
        // Beyond the payments spec's 2-minute allowed lateness: the store must not update, the decision is still made.
        txs[1_500].EventTimeNs = txs[1_499].EventTimeNs - (long)TimeSpan.FromMinutes(30).TotalNanoseconds;
        var log = Run(txs, Topology.SingleThread, WaitStrategyKind.Yielding, RandomModel(7), new DecisionPolicy(0.5f, 0.9f));
        Assert.Equal(txs.Length, log.Count);

        using var inline = NewFeaturizer(Payments);
        var f = new float[inline.Count];
        var statuses = txs.Select(t => inline.Process(t, f)).ToArray();
        Assert.Equal(FeatureStatus.Late, statuses[1_500]);
        Assert.Equal(1, statuses.Count(st => st == FeatureStatus.Late));
    }

    [Fact]
    public void Late_events_show_in_the_pipeline_counters()
    {
        var txs = RandomTransactions(300, seed: 8);
        txs[200].EventTimeNs = txs[199].EventTimeNs - (long)TimeSpan.FromMinutes(30).TotalNanoseconds;
        var log = new DecisionLog(txs.Length, -1);
        using var pipeline = new ScoringPipeline<RecordingSink>(new PipelineOptions { RingSize = 128, Features = Payments }, RandomModel(1), new DecisionPolicy(0.5f, 0.9f), new RecordingSink(log));
        pipeline.Start();
        foreach (var tx in txs)
        {
            PublishTransaction(pipeline, tx);
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        Assert.Equal(300, log.Count);
        Assert.Equal(1, pipeline.Stats.LateEvents);
        Assert.Equal(1, pipeline.FeatureCounters.LateDropped);
    }

    [Fact]
    public void An_orders_flow_scores_orders_with_the_orders_spec_and_passes_transactions_through()
    {
        var rng = new Random(9);
        long t = 1_700_000_000_000_000_000;
        var orders = Enumerable.Range(0, 5_000).Select(i =>
        {
            t += rng.Next(1, 50_000_000);
            return new Order
            {
                OrderId = (ulong)i + 1, EventTimeNs = t, AccountId = (ulong)rng.Next(200), InstrumentId = (ulong)rng.Next(30),
                PriceE8 = rng.Next(1_000, 50_000) * 1_000_000L, Quantity = rng.Next(1, 5_000), Venue = (ushort)rng.Next(4),
                Side = (Side)rng.Next(2), Action = (OrderAction)rng.Next(4),
            };
        }).ToArray();
        var model = RandomModel(10, spec: Orders);
        var policy = new DecisionPolicy(0.3f, 0.7f);
        var log = new DecisionLog(orders.Length, -1);
        var options = new PipelineOptions { RingSize = 1024, Features = Orders, Topology = Topology.Pipelined };
        using (var pipeline = new ScoringPipeline<RecordingSink>(options, model, policy, new RecordingSink(log)))
        {
            pipeline.Start();
            for (int i = 0; i < orders.Length; i++)
            {
                using var scope = pipeline.Sequencer.Claim(pipeline.Ring);
                scope.Event.Rejected = false;
                if (i % 10 == 0)
                {
                    // A payment on an orders flow is not this pipeline's business: passed on, never scored.
                    scope.Event.Kind = MessageKind.Transaction;
                    scope.Event.Transaction = new Transaction { TxId = 1_000_000 + (ulong)i, EventTimeNs = orders[i].EventTimeNs };
                }
                else
                {
                    scope.Event.Kind = MessageKind.Order;
                    scope.Event.Order = orders[i];
                }
            }

            Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
            Assert.Equal(orders.Length - 500, pipeline.Stats.OrdersIn);
        }

        Assert.Equal(500, log.Others);
        using var inline = NewFeaturizer(Orders);
        var f = new float[inline.Count];
        var keys = new ulong[SparseKeyBuffer.Capacity];
        int k = 0;
        for (int i = 0; i < orders.Length; i++)
        {
            if (i % 10 == 0)
            {
                continue;
            }

            inline.Process(orders[i], f);
            int keyCount = SparseKeys.Write(orders[i], keys);
            Assert.Equal(orders[i].OrderId, log.Decisions[k].TxId);
            Assert.Equal(model.Champion.Score(f, keys.AsSpan(0, keyCount)).Probability, log.Decisions[k].Score);
            k++;
        }

        Assert.Equal(k, log.Count);
    }

    [Fact]
    public void Warm_feature_state_from_another_spec_is_refused()
    {
        var warm = NewFeaturizer(Orders);
        var ex = Assert.Throws<ArgumentException>(() =>
            new ScoringPipeline<RecordingSink>(new PipelineOptions { Features = Payments }, RandomModel(1), new DecisionPolicy(0.5f, 0.9f), default, features: warm));
        Assert.Contains("another feature spec", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_spec_with_more_features_than_a_slot_holds_is_refused_with_the_counts()
    {
        // Every entity of the payments spec twice over: about 2 x 107 aggregates, more than FeatureBuffer.Capacity.
        var doubled = Payments with { Entities = [.. Payments.Entities, .. Payments.Entities.Select(e => e with { Name = e.Name + "2" })] };
        doubled = doubled with { Entities = [.. doubled.Entities.Select((e, i) => i < Payments.Entities.Count ? e : RenameAggregates(e))] };
        var ex = Assert.Throws<ArgumentException>(() => NewFeaturizer(doubled));
        Assert.Contains($"more than the {FeatureBuffer.Capacity}", ex.Message, StringComparison.Ordinal);
    }

    private static EntitySpec RenameAggregates(EntitySpec e) => e with
    {
        Windows = [.. e.Windows.Select(w => w with { Aggregates = [.. w.Aggregates.Select(a => a with { Name = a.Name + "_2" })] })],
        EntityFeatures = [.. e.EntityFeatures.Select(a => a with { Name = a.Name + "_2" })],
    };

    [Fact]
    public void Policy_thresholds_are_calibrated_to_the_requested_rates()
    {
        var scores = Enumerable.Range(0, 10_000).Select(i => i / 10_000f).ToArray();
        var policy = DecisionPolicy.FromRates(scores, reviewRate: 0.05, declineRate: 0.01);
        Assert.InRange(scores.Count(s => policy.Decide(s) != Outcome.Approve), 490, 510);
        Assert.InRange(scores.Count(s => policy.Decide(s) == Outcome.Decline), 90, 110);
    }
}
