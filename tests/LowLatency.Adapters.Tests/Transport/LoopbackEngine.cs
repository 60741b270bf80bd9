using System.Net.Sockets;
using System.Net;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Gateway;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;

namespace LowLatency.Adapters.Tests.Transport;

/// <summary>The engine on loopback UDP for tests: transport + single-thread pipeline publishing decisions back.</summary>
internal sealed class LoopbackEngine : IDisposable
{
    /// <summary>The shipped payments spec over small tables.</summary>
    public static readonly FeatureSpec Spec = FeatureSpec.LoadDefault("payments").WithMaxCapacity(1 << 14);

    private static readonly string[] FeatureNames = Featurizer.NamesFor(FeaturePlan.Compile(Spec));

    /// <summary>
    /// <paramref name="polled"/>: the stages run on the transport's network thread (PolledByCaller) instead of a stage
    /// thread of their own; <paramref name="ringSize"/> small forces the path where that thread finds the ring full.
    /// </summary>
    public LoopbackEngine(
        int inboundPort, IPEndPoint decisionDestination, ServingModel model, DecisionPolicy policy, bool polled = false, int ringSize = 4096,
        int decisionWindow = 0, TimeSpan? subscriberWait = null)
    {
        Transport = new EngineTransport(new EngineTransportOptions
        {
            SubscriberWait = subscriberWait ?? new EngineTransportOptions().SubscriberWait,
            Inbound = new IPEndPoint(IPAddress.Loopback, inboundPort),
            DecisionDestination = decisionDestination,
            // decisionWindow > 0: how many bytes of decisions may wait unsent before offers are refused (back-pressure).
            Publication = decisionWindow > 0 ? new AeronPublicationOptions { StreamId = WireStreams.Decisions, TermLength = 64 * 1024, PublicationWindowLength = decisionWindow } : null,
        });
        Pipeline = new ScoringPipeline<DecisionPublicationSink>(
            new PipelineOptions { RingSize = ringSize, Features = Spec, PolledByCaller = polled }, model, policy, Transport.CreateSink(polled));
        Pipeline.Start();
        Transport.Start(Pipeline.Sequencer, Pipeline.Ring, polled ? () => Pipeline.Poll() : null);
    }

    public EngineTransport Transport { get; }

    public ScoringPipeline<DecisionPublicationSink> Pipeline { get; }

    public void Dispose()
    {
        Pipeline.DrainAndStop(TimeSpan.FromSeconds(5));
        Transport.Dispose();
        Pipeline.Dispose();
    }

    /// <summary>A loopback UDP port free right now (bound and released; tests bind it immediately after).</summary>
    /// <summary>A loopback UDP port free right now (bound and released; tests bind it immediately after).</summary>
    public static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>A random logistic champion over the spec's features and 2^6 hashed-key weights, version 7.</summary>
    public static ServingModel RandomModel(int seed)
    {
        var rng = new Random(seed);
        var w = Enumerable.Range(0, FeatureNames.Length).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        var table = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var reference = Enumerable.Range(0, FeatureNames.Length).Select(_ => (float)rng.NextDouble()).ToArray();
        var logistic = new LogisticModel(w, table, -1f);
        return new ServingModel(new ChampionModel(new ModelLayout(FeatureNames, logistic.HashBits), logistic, null, ChampionBlend.Sum, reference), 7);
    }

    public static Transaction[] RandomTransactions(int n, int seed)
    {
        var rng = new Random(seed);
        long t = 1_700_000_000_000_000_000;
        return [.. Enumerable.Range(0, n).Select(i =>
        {
            t += rng.Next(1, 2_000_000_000);
            bool geo = rng.NextDouble() < 0.6;
            return new Transaction
            {
                TxId = (ulong)i + 1, EventTimeNs = t, CardId = (ulong)rng.Next(300), MerchantId = (ulong)rng.Next(500),
                AmountMinor = rng.Next(100, 100_000), Country = (ushort)(rng.NextDouble() < 0.9 ? 826 : 840),
                Channel = (Channel)rng.Next(5), EntryMode = (EntryMode)rng.Next(5), DeviceId = (ulong)rng.Next(0, 5),
                Latitude = geo ? 50 + rng.NextDouble() : double.NaN, Longitude = geo ? rng.NextDouble() : double.NaN,
            };
        })];
    }

    /// <summary>The same pipeline in-process, fed directly: the reference the wire path must reproduce exactly.</summary>
    public static List<(Decision Decision, WireReason[] Reasons)> Reference(Transaction[] txs, ServingModel model, DecisionPolicy policy)
    {
        var log = new List<(Decision, WireReason[])>();
        using var pipeline = new ScoringPipeline<RecordingSink>(new PipelineOptions { RingSize = 4096, Features = Spec }, model, policy, new RecordingSink(log));
        pipeline.Start();
        foreach (Transaction tx in txs)
        {
            long s = pipeline.Sequencer.Next();
            ref PipelineSlot slot = ref pipeline.Ring[s];
            slot.Kind = MessageKind.Transaction;
            slot.Rejected = false;
            slot.Transaction = tx;
            pipeline.Sequencer.Publish(s);
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        return log;
    }

    private readonly struct RecordingSink(List<(Decision, WireReason[])> log) : IDecisionSink
    {
        public bool TryPublish(ref PipelineSlot slot)
        {
            var reasons = new WireReason[slot.ReasonCount];
            for (int i = 0; i < reasons.Length; i++)
            {
                reasons[i] = new WireReason(slot.Reasons[i].FeatureId, slot.Reasons[i].Contribution);
            }

            log.Add((slot.Decision, reasons));
            return true;
        }

        public void OnOther(ref PipelineSlot slot)
        {
        }

        public void Flush()
        {
        }
    }
}

/// <summary>Records every decision the gateway gets (tests only: allocates).</summary>
internal readonly struct RecordingListener(List<(Decision Decision, WireReason[] Reasons, long Sent)> matched, List<ulong> unmatched) : IDecisionListener
{
    public void OnDecision(in Decision decision, ReadOnlySpan<WireReason> reasons, long sentTicks, long receivedTicks)
    {
        lock (matched)
        {
            matched.Add((decision, reasons.ToArray(), sentTicks));
        }
    }

    public void OnUnmatched(in Decision decision)
    {
        lock (unmatched)
        {
            unmatched.Add(decision.TxId);
        }
    }
}
