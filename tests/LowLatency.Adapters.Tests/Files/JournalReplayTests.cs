using LowLatency.Adapters.Files;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Pipeline;
using static LowLatency.Adapters.Tests.Files.ReplayFixtures;

namespace LowLatency.Adapters.Tests.Files;

public sealed class JournalReplayTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<Decision> DecodeLog(byte[] log)
    {
        Assert.True(log.AsSpan(0, 8).SequenceEqual(DecisionLog.Magic));
        var list = new List<Decision>();
        var reasons = new WireReason[8];
        int at = 8;
        while (at < log.Length)
        {
            int n = BitConverter.ToInt32(log, at);
            Assert.Equal(DecodeStatus.Ok, DecisionCodec.Decode(log.AsSpan(at + 4, n), out var d, reasons, out _, out int length));
            Assert.Equal(n, length);
            list.Add(d);
            at += 4 + n;
        }

        return list;
    }

    [Theory]
    [InlineData(Topology.Pipelined, JournalDurability.None)]
    [InlineData(Topology.SingleThread, JournalDurability.SyncBeforePublish)]
    [InlineData(Topology.Pipelined, JournalDurability.Batch)]
    public void Replaying_the_journal_reproduces_every_decision_byte_for_byte(Topology topology, JournalDurability durability)
    {
        var messages = SimulatedMessages(20_000, seed: 5, garbageEvery: 997);
        byte[] live;
        using (var journal = JournalWriter.Open(new JournalOptions { Directory = _dir, SegmentBytes = 256 * 1024, Durability = durability }))
        {
            live = RunLive(messages, topology, journal);
            Assert.True(journal.Rolls > 0, "the test should cross segment boundaries");
        }

        using var source = new JournalSource(_dir);
        var (replayed, result) = Replay(source);
        Assert.Equal(0, result.DecodeRejects);
        Assert.Equal(messages.Count - (messages.Count / 997), result.Messages);

        // Independent check that the log is not trivially empty or constant: as many decisions as transactions fed.
        var decisions = DecodeLog(live);
        int transactions = messages.Count(m => m.Length >= 4 && BitConverter.ToUInt16(m, 2) == (ushort)TemplateId.Transaction);
        Assert.Equal(transactions, decisions.Count);
        Assert.True(decisions.Select(d => d.Score).Distinct().Count() > 100);
        Assert.Equal(live, replayed);
    }

    [Fact]
    public void Replay_with_another_model_does_not_reproduce_the_decisions()
    {
        // The comparison above can fail: scoring with other weights changes the bytes.
        var messages = SimulatedMessages(3_000, seed: 6);
        byte[] live;
        using (var journal = JournalWriter.Open(new JournalOptions { Directory = _dir }))
        {
            live = RunLive(messages, Topology.SingleThread, journal);
        }

        var other = HistoryTrainerFor(seed: 1234);
        var output = new MemoryStream();
        var log = new DecisionLog(output, DecisionLogFormat.Binary, ownsStream: false);
        using (var pipeline = new ScoringPipeline<ReplaySink>(Options(Topology.SingleThread), other.Model, other.Policy, new ReplaySink(log, null)))
        using (var source = new JournalSource(_dir))
        {
            pipeline.Start();
            new ReplayDriver(0).Run(source, pipeline);
            Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(10)));
        }

        log.Dispose();
        Assert.NotEqual(live, output.ToArray());
    }

    private static LowLatency.Adapters.Simulation.BootstrapModel HistoryTrainerFor(ulong seed) =>
        LowLatency.Adapters.Simulation.HistoryTrainer.Train(new LowLatency.Adapters.Simulation.PaymentSimulator(new LowLatency.Adapters.Simulation.SimulatorOptions { Seed = seed, Cards = 2000, Merchants = 200 }), 3000, ReplayFixtures.Spec, new LowLatency.Adapters.Simulation.BootstrapOptions { ReviewRate = 0.2, DeclineRate = 0.1 });

    [Fact]
    public void Under_sync_before_publish_no_decision_leaves_before_its_message_is_journaled()
    {
        var messages = SimulatedMessages(5_000, seed: 7);
        using var journal = JournalWriter.Open(new JournalOptions { Directory = _dir, Durability = JournalDurability.SyncBeforePublish });
        var seen = new long[2];
        var output = new MemoryStream();
        var log = new DecisionLog(output, DecisionLogFormat.Binary, ownsStream: false);
        var gate = new GateCheckingSink(journal, seen, log);
        var attachment = new JournalAttachment<SbeJournalEncoder>(journal, default);
        using (var pipeline = new ScoringPipeline<GateCheckingSink>(Options(Topology.Pipelined), Model.Model, Model.Policy, gate, beside: attachment))
        {
            pipeline.Start();
            Feed(pipeline, messages);
            Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        }

        Assert.Equal(messages.Count, seen[0]);
        Assert.Equal(0, seen[1]);
        Assert.True(journal.Syncs > 0);
        Assert.True(log.Count > 1000);
    }

    /// <summary>Checks, at each publish, that the journal had already synced every message up to and including this one.</summary>
    private readonly struct GateCheckingSink(JournalWriter journal, long[] seen, DecisionLog log) : IDecisionSink
    {
        public bool TryPublish(ref PipelineSlot slot)
        {
            // Slots reach the sink in sequence order and every message in this test is journaled, so the messages
            // handled so far (this one included) must all be durable already.
            if (journal.DurableRecords < ++seen[0])
            {
                seen[1]++;
            }

            log.Write(ref slot);
            return true;
        }

        public void OnOther(ref PipelineSlot slot) => seen[0]++;

        public void Flush()
        {
        }
    }
}
