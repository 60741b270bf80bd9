using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;
using static LowLatency.Engine.Tests.Pipeline.ScoringPipelineTests;

namespace LowLatency.Engine.Tests.Learning;

public class ModelSwapTests
{
    /// <summary>Scores every transaction inline with the model named by its decision's version: the reference each decision must equal.</summary>
    private static void AssertEachDecisionIsWholeFromItsVersion(Transaction[] txs, DecisionLog log, Dictionary<uint, ServingModel> models)
    {
        using var features = NewFeaturizer(Payments);
        var f = new float[features.Count];
        var keys = new ulong[SparseKeyBuffer.Capacity];
        Assert.Equal(txs.Length, log.Count);
        for (int i = 0; i < txs.Length; i++)
        {
            features.Process(txs[i], f);
            int k = SparseKeys.Write(txs[i], keys);
            var d = log.Decisions[i];
            Assert.Equal(txs[i].TxId, d.TxId);
            Assert.Equal(models[d.ModelVersion].Champion.Score(f, keys.AsSpan(0, k)).Probability, d.Score);
        }
    }

    private static void PublishSwap(ScoringPipeline<RecordingSink> pipeline, MessageKind kind, uint version, ulong fingerprint, ControlCommand command = ControlCommand.PromoteModel)
    {
        using var scope = pipeline.Sequencer.Claim(pipeline.Ring);
        scope.Event.Kind = kind;
        scope.Event.Rejected = false;
        scope.Event.Control = new ControlMessage { ModelVersion = version, RequestId = fingerprint, Command = command };
    }

    [Theory]
    [InlineData(Topology.SingleThread, false)]
    [InlineData(Topology.Pipelined, false)]
    [InlineData(Topology.SingleThread, true)]
    public void A_swap_takes_effect_exactly_between_the_two_events_around_it(Topology topology, bool groups)
    {
        var v1 = RandomModel(21, version: 1);
        var v2 = RandomModel(22, version: 2);
        var txs = RandomTransactions(3000, seed: 23);
        var log = new DecisionLog(txs.Length, -1);
        // Scoring in groups: the whole stream is published before the start, so the pipeline sees it as one ring batch
        // and its groups run up to the swaps inside it.
        var options = new PipelineOptions { RingSize = groups ? 4096 : 1024, Features = Payments, Topology = topology, ScoreInGroups = groups };
        using var pipeline = new ScoringPipeline<RecordingSink>(options, v1, new DecisionPolicy(0.5f, 0.9f), new RecordingSink(log));
        pipeline.Models.Add(v2);
        if (!groups)
        {
            pipeline.Start();
        }

        for (int i = 0; i < txs.Length; i++)
        {
            switch (i)
            {
                case 1000: PublishSwap(pipeline, MessageKind.ModelSwap, 2, v2.Fingerprint); break;
                case 1500: PublishSwap(pipeline, MessageKind.ModelSwap, 1, v2.Fingerprint); break; // wrong fingerprint: refused
                case 1700: PublishSwap(pipeline, MessageKind.Control, 9, 0); break; // unknown version: refused
                case 2000: PublishSwap(pipeline, MessageKind.Control, 0, 0, ControlCommand.RollbackModel); break; // back to v1
                case 2500: PublishSwap(pipeline, MessageKind.Control, 2, 12345); break; // an operator's promote: by version only
            }

            PublishTransaction(pipeline, txs[i]);
        }

        if (groups)
        {
            pipeline.Start();
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        // No group here is short of eight events; they score across events where the machine and the trees allow.
        Assert.Equal(groups && v1.Champion.Trees!.ScoresBatchesAcrossRows ? txs.Length : 0, pipeline.Stats.ScoredInGroups);
        uint Expected(int i) => i < 1000 ? 1u : i < 2000 ? 2u : i < 2500 ? 1u : 2u;
        for (int i = 0; i < txs.Length; i++)
        {
            Assert.Equal(Expected(i), log.Decisions[i].ModelVersion);
        }

        AssertEachDecisionIsWholeFromItsVersion(txs, log, new() { [1] = v1, [2] = v2 });
        Assert.Equal(3, pipeline.Stats.ModelSwaps);
        Assert.Equal(2, pipeline.Stats.SwapsRefused);
        Assert.Same(v2, pipeline.Model);
    }

    [Fact]
    public void Swaps_published_by_another_thread_while_events_stream_land_whole_between_events()
    {
        // Another producer thread (as the learner is) alternates v2 and v1 into the ring while the test thread feeds
        // transactions: every decision must be entirely one model's, never a mix, and every swap must take effect.
        var models = new Dictionary<uint, ServingModel> { [1] = RandomModel(31, version: 1), [2] = RandomModel(32, version: 2) };
        var txs = RandomTransactions(40_000, seed: 33);
        var log = new DecisionLog(txs.Length, -1);
        using var pipeline = new ScoringPipeline<RecordingSink>(
            new PipelineOptions { RingSize = 1024, Features = Payments, Topology = Topology.Pipelined, WaitStrategy = WaitStrategyKind.Blocking },
            models[1], new DecisionPolicy(0.5f, 0.9f), new RecordingSink(log), ProducerType.Multi);
        pipeline.Models.Add(models[2]);
        pipeline.Start();
        int injected = 0;
        using var done = new ManualResetEventSlim();
        var swapper = new Thread(() =>
        {
            for (uint next = 2; !done.IsSet && injected < 200; next = 3 - next)
            {
                PublishSwap(pipeline, MessageKind.ModelSwap, next, models[next].Fingerprint);
                injected++;
                Thread.Sleep(1);
            }
        });
        swapper.Start();
        foreach (var tx in txs)
        {
            PublishTransaction(pipeline, tx);
        }

        done.Set();
        swapper.Join();
        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(60)));
        AssertEachDecisionIsWholeFromItsVersion(txs, log, models);
        Assert.Equal(injected, pipeline.Stats.ModelSwaps);
        Assert.True(injected > 5, $"only {injected} swaps raced the stream");
        Assert.Contains(log.Decisions, d => d.ModelVersion == 1);
        Assert.Contains(log.Decisions, d => d.ModelVersion == 2);
    }

    [Fact]
    public void A_running_pipeline_refuses_a_model_set_from_outside_the_input_sequence()
    {
        var log = new DecisionLog(1, -1);
        using var pipeline = new ScoringPipeline<RecordingSink>(new PipelineOptions { RingSize = 64, Features = Payments }, RandomModel(1), new DecisionPolicy(0.5f, 0.9f), new RecordingSink(log));
        pipeline.Model = RandomModel(2, version: 2); // before the start: fine
        pipeline.Start();
        Assert.Throws<InvalidOperationException>(() => pipeline.Model = RandomModel(3, version: 3));
        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(10)));
    }
}
