using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;
using LowLatency.Models.Training;

namespace LowLatency.Engine.Tests.Pipeline;

public class ScoringPipelineTests
{
    /// <summary>Preallocated record of what the sink saw, plus the sink thread's allocation counter at two points.</summary>
    internal sealed class DecisionLog(int capacity, long measureFrom)
    {
        public readonly Decision[] Decisions = new Decision[capacity];
        public readonly byte[] ReasonCounts = new byte[capacity];
        public int Count;
        public int Others;
        public long AllocatedAtStart = -1;
        public long AllocatedAtEnd = -1;
        public long MeasureFrom = measureFrom;
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
            log.Decisions[log.Count++] = slot.Decision;
            log.AllocatedAtEnd = GC.GetAllocatedBytesForCurrentThread();
            return true;
        }

        public readonly void OnOther(ref PipelineSlot slot) => log.Others++;

        public readonly void Flush()
        {
        }
    }

    internal static LinearScorer RandomModel(int seed, uint version = 1)
    {
        var rng = new Random(seed);
        var w = Enumerable.Range(0, CardFeatures.Count).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        var m = Enumerable.Range(0, CardFeatures.Count).Select(_ => (float)rng.NextDouble()).ToArray();
        return new LinearScorer(new LogisticFit(w, -1f, m), version);
    }

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

    private static DecisionLog Run(Transaction[] txs, Topology topology, WaitStrategyKind wait, LinearScorer model, DecisionPolicy policy, long measureFrom = -1)
    {
        var log = new DecisionLog(txs.Length, measureFrom);
        var options = new PipelineOptions { Topology = topology, WaitStrategy = wait, RingSize = 1024, CardCapacity = 1 << 14 };
        using var pipeline = new ScoringPipeline<RecordingSink>(options, model, policy, new RecordingSink(log));
        pipeline.Start();
        var seq = pipeline.Sequencer;
        foreach (var tx in txs)
        {
            long s = seq.Next();
            ref var slot = ref pipeline.Ring[s];
            slot.Kind = MessageKind.Transaction;
            slot.Rejected = false;
            slot.Transaction = tx;
            seq.Publish(s);
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, pipeline.Faults);
        return log;
    }

    [Theory]
    [InlineData(Topology.SingleThread, WaitStrategyKind.Yielding)]
    [InlineData(Topology.Pipelined, WaitStrategyKind.Yielding)]
    [InlineData(Topology.Pipelined, WaitStrategyKind.Blocking)]
    public void Decisions_equal_a_naive_inline_recomputation_in_every_topology(Topology topology, WaitStrategyKind wait)
    {
        var txs = RandomTransactions(30_000, seed: 1);
        var model = RandomModel(2);
        var policy = new DecisionPolicy(0.3f, 0.7f);
        var log = Run(txs, topology, wait, model, policy);

        var naiveFeatures = new CardFeatures(1 << 14);
        var f = new float[CardFeatures.Count];
        var reasons = new ReasonCode[ReasonBuffer.Capacity];
        Assert.Equal(txs.Length, log.Count);
        for (int i = 0; i < txs.Length; i++)
        {
            naiveFeatures.Process(txs[i], f);
            float score = model.Score(f);
            var d = log.Decisions[i];
            Assert.Equal(txs[i].TxId, d.TxId);
            Assert.Equal(score, d.Score);
            Assert.Equal(policy.Decide(score), d.Outcome);
            Assert.Equal(model.Version, d.ModelVersion);
            Assert.Equal(model.TopReasons(f, reasons), log.ReasonCounts[i]);
        }

        Assert.Contains(log.Decisions, d => d.Outcome == Outcome.Decline);
        Assert.Contains(log.Decisions, d => d.Outcome == Outcome.Approve);
    }

    [Fact]
    public void Steady_state_processing_allocates_nothing_per_event()
    {
        // 220k events: the sink reads its thread's allocation counter after 20k (warm-up, tiering) and at the end.
        var txs = RandomTransactions(220_000, seed: 3);
        var log = Run(txs, Topology.SingleThread, WaitStrategyKind.Yielding, RandomModel(4), new DecisionPolicy(0.5f, 0.9f), measureFrom: 20_000);
        Assert.True(log.AllocatedAtStart >= 0 && log.AllocatedAtEnd >= log.AllocatedAtStart);
        Assert.Equal(0, log.AllocatedAtEnd - log.AllocatedAtStart);
    }

    [Fact]
    public void Events_far_in_the_future_are_rejected_counted_and_not_decided()
    {
        var txs = RandomTransactions(100, seed: 5);
        txs[50].EventTimeNs += (long)TimeSpan.FromHours(2).TotalNanoseconds;
        var log = new DecisionLog(txs.Length, -1);
        using var pipeline = new ScoringPipeline<RecordingSink>(new PipelineOptions { RingSize = 128, CardCapacity = 4096 }, RandomModel(1), new DecisionPolicy(0.5f, 0.9f), new RecordingSink(log));
        pipeline.Start();
        foreach (var tx in txs)
        {
            using var scope = pipeline.Sequencer.Claim(pipeline.Ring);
            scope.Event.Kind = MessageKind.Transaction;
            scope.Event.Rejected = false;
            scope.Event.Transaction = tx;
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        Assert.Equal(99, log.Count);
        Assert.Equal(1, log.Others);
        Assert.Equal(1, pipeline.Stats.Rejected);
        Assert.DoesNotContain(log.Decisions.Take(log.Count), d => d.TxId == txs[50].TxId);
    }

    [Fact]
    public void A_model_with_another_feature_layout_is_refused()
    {
        var wrong = new LinearScorer(new LogisticFit([1f, 2f], 0, [0f, 0f]), 1);
        var ex = Assert.Throws<ArgumentException>(() => new ScoringPipeline<RecordingSink>(new PipelineOptions(), wrong, new DecisionPolicy(0.5f, 0.9f), default));
        Assert.Contains("expects 2 features", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Policy_thresholds_are_calibrated_to_the_requested_rates()
    {
        var scores = Enumerable.Range(0, 10_000).Select(i => i / 10_000f).ToArray();
        var policy = DecisionPolicy.FromRates(scores, reviewRate: 0.05, declineRate: 0.01);
        Assert.InRange(scores.Count(s => policy.Decide(s) != Outcome.Approve), 490, 510);
        Assert.InRange(scores.Count(s => policy.Decide(s) == Outcome.Decline), 90, 110);
    }
}
