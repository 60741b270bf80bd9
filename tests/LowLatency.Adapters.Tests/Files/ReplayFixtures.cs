using System.Diagnostics;
using LowLatency.Adapters.Files;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Tests.Files;

/// <summary>Shared inputs: a simulated SBE stream with a few malformed frames, and a model trained on other simulated history.</summary>
internal static class ReplayFixtures
{
    /// <summary>The shipped payments spec over small tables.</summary>
    public static readonly FeatureSpec Spec = FeatureSpec.LoadDefault("payments").WithMaxCapacity(4096);

    private static readonly Lazy<BootstrapModel> Bootstrap = new(() => HistoryTrainer.Train(new PaymentSimulator(new SimulatorOptions { Seed = 99, Cards = 2000, Merchants = 200 }), 5000, Spec));


    public static BootstrapModel Model => Bootstrap.Value;

    public static List<byte[]> SimulatedMessages(int count, ulong seed, int garbageEvery = 0)
    {
        var sim = new PaymentSimulator(new SimulatorOptions { Seed = seed, Cards = 2000, Merchants = 200 });
        var e = default(SimEvent);
        var list = new List<byte[]>(count);
        var buffer = new byte[256];
        var rng = new Random((int)seed);
        for (int i = 0; i < count; i++)
        {
            if (garbageEvery > 0 && i % garbageEvery == garbageEvery - 1)
            {
                var junk = new byte[rng.Next(0, 100)];
                rng.NextBytes(junk);
                list.Add(junk);
                continue;
            }

            sim.Next(ref e);
            int n = e.Kind == SimEventKind.Transaction ? TransactionCodec.Encode(buffer, e.Transaction) : LabelCodec.Encode(buffer, e.Label);
            list.Add(buffer.AsSpan(0, n).ToArray());
        }

        return list;
    }

    public static PipelineOptions Options(Topology topology) => new() { Topology = topology, RingSize = 1024, Features = Spec, WaitStrategy = WaitStrategyKind.Blocking };

    /// <summary>What a live receiver does per message: claim, decode in place, stamp the ingest time, publish (rejects included).</summary>
    public static void Feed<TSink>(ScoringPipeline<TSink> pipeline, IEnumerable<byte[]> messages)
        where TSink : struct, IDecisionSink
    {
        var decoder = new InboundDecoder();
        foreach (var m in messages)
        {
            long s = pipeline.Sequencer.Next();
            ref var slot = ref pipeline.Ring[s];
            decoder.Decode(m, ref slot, out _);
            slot.IngestTicks = Stopwatch.GetTimestamp();
            pipeline.Sequencer.Publish(s);
        }
    }

    /// <summary>Runs the messages through a pipeline (optionally journaled) and returns the binary decision log bytes.</summary>
    public static byte[] RunLive(IEnumerable<byte[]> messages, Topology topology, JournalWriter? journal, Action<ScoringPipeline<ReplaySink>>? beforeFeed = null)
    {
        var output = new MemoryStream();
        var log = new DecisionLog(output, DecisionLogFormat.Binary, ownsStream: false);
        var attachment = journal is null ? null : new JournalAttachment<SbeJournalEncoder>(journal, default);
        using (var pipeline = new ScoringPipeline<ReplaySink>(Options(topology), Model.Model, Model.Policy, new ReplaySink(log, null), beside: attachment))
        {
            beforeFeed?.Invoke(pipeline);
            pipeline.Start();
            Feed(pipeline, messages);
            Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        }

        log.Dispose();
        return output.ToArray();
    }

    /// <summary>Replays a source through a fresh single-thread pipeline; returns the decision log bytes and the result.</summary>
    public static (byte[] Log, ReplayResult Result) Replay(IMessageSource source, ReplayRecorder? recorder = null, double speed = 0)
    {
        var output = new MemoryStream();
        var log = new DecisionLog(output, DecisionLogFormat.Binary, ownsStream: false);
        ReplayResult result;
        using (var pipeline = new ScoringPipeline<ReplaySink>(Options(Topology.SingleThread), Model.Model, Model.Policy, new ReplaySink(log, recorder)))
        {
            pipeline.Start();
            result = new ReplayDriver(speed).Run(source, pipeline);
            Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        }

        log.Dispose();
        return (output.ToArray(), result);
    }

    public static string TempDir()
    {
        string path = Path.Combine(Path.GetTempPath(), "llreplay-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
