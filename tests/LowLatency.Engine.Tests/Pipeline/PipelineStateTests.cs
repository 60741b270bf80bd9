using System.Diagnostics;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using static LowLatency.Engine.Tests.Pipeline.ScoringPipelineTests;

namespace LowLatency.Engine.Tests.Pipeline;

public class PipelineStateTests
{
    private static PipelineOptions Options => new() { RingSize = 256, Features = Payments, WaitStrategy = WaitStrategyKind.Blocking };

    private static void Feed<TSink>(ScoringPipeline<TSink> p, IEnumerable<PipelineSlot> slots)
        where TSink : struct, IDecisionSink
    {
        foreach (var s in slots)
        {
            long seq = p.Sequencer.Next();
            p.Ring[seq] = s;
            p.Ring[seq].IngestTicks = Stopwatch.GetTimestamp();
            p.Sequencer.Publish(seq);
        }
    }

    private static PipelineSlot Tx(Transaction t) => new() { Kind = MessageKind.Transaction, Transaction = t };

    [Fact]
    public void State_saved_at_a_snapshot_message_and_restored_continues_with_the_same_decisions()
    {
        var txs = RandomTransactions(4000, seed: 3);
        var model = RandomModel(5);
        var policy = new DecisionPolicy(0.3f, 0.6f);
        var stream = txs.Take(2000).Select(Tx)
            .Append(new PipelineSlot { Kind = MessageKind.Control, Control = new ControlMessage { Command = ControlCommand.Snapshot } })
            .Concat(txs.Skip(2000).Select(Tx)).ToList();

        // Uninterrupted run, saving the state when the snapshot message passes.
        var full = new DecisionLog(4000, 0);
        byte[] saved = [];
        long snapshotSequence = -1;
        using (var p = new ScoringPipeline<RecordingSink>(Options, model, policy, new RecordingSink(full)))
        {
            p.SnapshotRequested = seq =>
            {
                snapshotSequence = seq;
                var ms = new MemoryStream();
                p.WriteState(ms);
                saved = ms.ToArray();
            };
            p.Start();
            Feed(p, stream);
            Assert.True(p.DrainAndStop(TimeSpan.FromSeconds(20)));
        }

        Assert.Equal(2000, snapshotSequence);

        // A new pipeline from the saved state, fed only what came after the snapshot.
        var resumed = new DecisionLog(4000, 0);
        using (var p = new ScoringPipeline<RecordingSink>(Options, model, policy, new RecordingSink(resumed)))
        {
            p.ReadState(new MemoryStream(saved));
            p.Start();
            Feed(p, stream.Skip(2001));
            Assert.True(p.DrainAndStop(TimeSpan.FromSeconds(20)));
        }

        Assert.Equal(2000, resumed.Count);
        Assert.Equal(full.Decisions.AsSpan(2000, 2000).ToArray().Select(d => (d.TxId, d.Score, d.Outcome)), resumed.Decisions.AsSpan(0, 2000).ToArray().Select(d => (d.TxId, d.Score, d.Outcome)));

        // Without the state the same tail decides differently (the features remember the first half).
        var cold = new DecisionLog(4000, 0);
        using (var p = new ScoringPipeline<RecordingSink>(Options, model, policy, new RecordingSink(cold)))
        {
            p.Start();
            Feed(p, stream.Skip(2001));
            Assert.True(p.DrainAndStop(TimeSpan.FromSeconds(20)));
        }

        Assert.NotEqual(full.Decisions.AsSpan(2000, 2000).ToArray().Select(d => d.Score), cold.Decisions.AsSpan(0, 2000).ToArray().Select(d => d.Score));
    }

    [Fact]
    public void A_model_command_reaches_its_hook_at_its_sequence_and_a_swap_there_scores_exactly_the_later_events_with_the_new_model()
    {
        var txs = RandomTransactions(3000, seed: 11);
        var first = RandomModel(5, version: 1);
        var second = RandomModel(6, version: 2);
        var stream = txs.Take(1000).Select(Tx)
            .Append(new PipelineSlot { Kind = MessageKind.Control, Control = new ControlMessage { Command = ControlCommand.PromoteModel, ModelVersion = 2, RequestId = 77 } })
            .Append(new PipelineSlot { Kind = MessageKind.Control, Control = new ControlMessage { Command = ControlCommand.Snapshot } })
            .Concat(txs.Skip(1000).Select(Tx)).ToList();
        var log = new DecisionLog(3000, 0);
        var commands = new List<(ControlMessage Command, long Sequence)>();
        long snapshotAt = -1;
        using (var p = new ScoringPipeline<RecordingSink>(Options, first, new DecisionPolicy(0.3f, 0.6f), new RecordingSink(log)))
        {
            p.ModelCommandRequested = (command, sequence) =>
            {
                commands.Add((command, sequence));
                p.Models.Add(second); // as a version store would: the pipeline then puts it in force at this command
            };
            p.SnapshotRequested = sequence => snapshotAt = sequence;
            p.Start();
            Feed(p, stream);
            Assert.True(p.DrainAndStop(TimeSpan.FromSeconds(20)));
            Assert.Equal(2, p.Stats.ControlsIn);
        }

        // One call for the promote (not for the snapshot, which has its own hook), with the message as sent.
        var (cmd, seq) = Assert.Single(commands);
        Assert.Equal((ControlCommand.PromoteModel, 2u, 77ul, 1000L), (cmd.Command, cmd.ModelVersion, cmd.RequestId, seq));
        Assert.Equal(1001, snapshotAt);
        Assert.Equal(3000, log.Count);
        Assert.All(log.Decisions.AsSpan(0, 1000).ToArray(), d => Assert.Equal(1u, d.ModelVersion));
        Assert.All(log.Decisions.AsSpan(1000, 2000).ToArray(), d => Assert.Equal(2u, d.ModelVersion));
    }

    [Fact]
    public void A_damaged_or_mismatched_state_file_is_refused()
    {
        var model = RandomModel(5);
        var policy = new DecisionPolicy(0.3f, 0.6f);
        var ms = new MemoryStream();
        using (var p = new ScoringPipeline<RecordingSink>(Options, model, policy, new RecordingSink(new DecisionLog(10, 0))))
        {
            p.WriteState(ms);
        }

        var bytes = ms.ToArray();
        bytes[100] ^= 1;
        using (var p = new ScoringPipeline<RecordingSink>(Options, model, policy, new RecordingSink(new DecisionLog(10, 0))))
        {
            Assert.Throws<InvalidDataException>(() => p.ReadState(new MemoryStream(bytes)));
        }

        using var bigger = new ScoringPipeline<RecordingSink>(Options with { Features = FeatureSpec.LoadDefault("payments").WithMaxCapacity(8192) }, model, policy, new RecordingSink(new DecisionLog(10, 0)));
        Assert.Contains("different feature plan layout", Assert.Throws<InvalidDataException>(() => bigger.ReadState(new MemoryStream(ms.ToArray()))).Message, StringComparison.Ordinal);
    }
}
