using System.Diagnostics;
using LowLatency.Adapters.Files;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Events;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Learning;
using LowLatency.Engine.Pipeline;
using LowLatency.Models.Evaluation;
using LowLatency.Models.Lifecycle;
using static LowLatency.Adapters.Tests.Files.ReplayFixtures;

namespace LowLatency.Adapters.Tests.Files;

/// <summary>Continual learning inside the pipeline, end to end: learner swaps journaled and replayed, and poisoned labels.</summary>
public sealed class LearningReplayTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

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

    /// <summary>A stream whose labels come quickly (20 simulated seconds) and often (half the genuine ones), so a short run learns.</summary>
    private static SimulatorOptions FastLabels(ulong seed) => new()
    {
        Seed = seed, Cards = 2000, Merchants = 200, CustomerReportDelay = TimeSpan.FromSeconds(20), CustomerReportShare = 1.0,
        GenuineLabelDelay = TimeSpan.FromSeconds(20), GenuineLabelShare = 0.5,
    };

    /// <summary>A weak starting champion (little history, few trees): there is room for the learner to do better.</summary>
    private static readonly Lazy<BootstrapModel> Weak = new(() =>
    {
        var model = HistoryTrainer.Train(new PaymentSimulator(FastLabels(77)), 2000, Spec, new BootstrapOptions { Trees = new Models.Training.GradientBoostingOptions { Trees = 5, MaxDepth = 3 } });
        model.Features.Dispose();
        return model;
    });

    /// <summary>FTRL and leaf refit in the challenger, and with <paramref name="onlineTree"/> an online Hoeffding tree (as <c>lowlat</c> runs it).</summary>
    private static LearningOptions Learning(string versions, bool guards = true, bool onlineTree = false) => new()
    {
        VersionDirectory = versions,
        Learner = new Models.Online.ChampionLearnerOptions { OnlineTree = onlineTree ? Models.Online.ChampionLearnerOptions.FraudOnlineTree : null },
        JoinCapacity = 1 << 16,
        QueueCapacity = 1 << 12,
        Lifecycle = new LifecycleOptions
        {
            MinLabels = 300, Window = 600, CheckEvery = 100, PromotionMargin = 0.0, RollbackMargin = 0.02, RollbackWatch = 1500,
            SpikeWindow = 200, PsiReference = 500, PsiWindow = 500, Guards = guards,
        },
    };

    private static ScoringPipeline<ReplaySink> Live(DecisionLog log, LearningOptions learning, Topology topology, JournalWriter? journal = null)
    {
        var boot = Weak.Value;
        var attachment = journal is null ? null : new JournalAttachment<SbeJournalEncoder>(journal, default);
        return new ScoringPipeline<ReplaySink>(
            Options(topology), boot.Model, boot.Policy, new ReplaySink(log, null), beside: attachment,
            learning: registry => new OnlineLearning(learning, boot.Model, boot.Learner, boot.Scaling, registry));
    }

    /// <summary>Feeds SBE messages in steps of 4000, each once the learner has caught up, so swaps land mid-stream however fast the machine is.</summary>
    private static void FeedLearning(ScoringPipeline<ReplaySink> pipeline, List<byte[]> messages)
    {
        for (int from = 0; from < messages.Count; from += 4000)
        {
            Feed(pipeline, messages.Skip(from).Take(4000));
            var l = pipeline.Learning!;
            Eventually(() => l.Stats.QueuedNow == 0 && pipeline.Stats.LabelsJoined + pipeline.Stats.LabelsUnmatched + pipeline.Stats.LabelsDropped >= pipeline.Stats.LabelsIn, TimeSpan.FromSeconds(30));
            Thread.Sleep(20);
        }
    }

    private static List<byte[]> Messages(int count, ulong seed)
    {
        var sim = new PaymentSimulator(FastLabels(seed));
        var e = default(SimEvent);
        var buffer = new byte[256];
        var list = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            sim.Next(ref e);
            int n = e.Kind == SimEventKind.Transaction ? TransactionCodec.Encode(buffer, e.Transaction) : LabelCodec.Encode(buffer, e.Label);
            list.Add(buffer.AsSpan(0, n).ToArray());
        }

        return list;
    }

    [Theory]
    [InlineData(Topology.SingleThread)]
    [InlineData(Topology.Pipelined)]
    public void Replaying_a_journal_with_the_learners_swaps_reproduces_every_decision_byte_for_byte(Topology topology)
    {
        string journalDir = Path.Combine(_dir, "journal");
        string versions = Path.Combine(journalDir, "versions");
        var messages = Messages(40_000, seed: 5);
        var live = new MemoryStream();
        long swaps;
        using (var journal = JournalWriter.Open(new JournalOptions { Directory = journalDir, SegmentBytes = 1 << 20 }))
        {
            var log = new DecisionLog(live, DecisionLogFormat.Binary, ownsStream: false);
            using (var pipeline = Live(log, Learning(versions, onlineTree: true), topology, journal))
            {
                pipeline.Start();
                FeedLearning(pipeline, messages);
                Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(60)));
                Assert.Null(pipeline.Learning!.Failure);
                swaps = pipeline.Stats.ModelSwaps;
                Assert.True(swaps >= 1, string.Join("\n", pipeline.Learning.Transitions.Select(t => $"{t.Kind} v{t.ToVersion}: {t.Reason}")));
            }

            log.Dispose();
        }

        // The journal holds each swap at the place it took effect, as a model-swap record from the learner.
        var recorded = new List<ModelSwapRecord>();
        using (var source = new JournalSource(journalDir))
        {
            while (source.TryNext(out var m))
            {
                if (m.Type == JournalRecordType.ModelSwap && ModelSwapRecord.TryDecode(m.Bytes, out var swap))
                {
                    recorded.Add(swap);
                }
            }
        }

        Assert.Equal(swaps, recorded.Count);
        Assert.All(recorded, r => Assert.Equal(SbeJournalEncoder.Origin, r.Origin));
        var decisions = DecisionVersions(live.ToArray());
        Assert.True(decisions.Distinct().Count() >= 2, "every decision carries the same model version");

        // The versions swapped in carry the online tree the challenger grew (so the replay below exercises scoring it).
        var store = new VersionStore(versions);
        Assert.Contains(recorded.Where(r => r.Version != 1), r => store.Read(r.Version).Version.Model.OnlineTree is not null);

        // Replay with learning off and the run's versions: the same bytes.
        var (replayed, refused) = ReplayJournal(journalDir, versions);
        Assert.Equal(0, refused);
        Assert.Equal(live.ToArray(), replayed);

        // The check can fail: without the versions the swaps are refused (all but those back to the starting model, which
        // every run has) and the decisions differ.
        var (without, refusedWithout) = ReplayJournal(journalDir, null);
        Assert.Equal(recorded.Count(r => r.Version != 1), refusedWithout);
        Assert.NotEqual(live.ToArray(), without);
    }

    private static (byte[] Log, long Refused) ReplayJournal(string journalDir, string? versions)
    {
        var output = new MemoryStream();
        var log = new DecisionLog(output, DecisionLogFormat.Binary, ownsStream: false);
        long refused;
        using (var pipeline = new ScoringPipeline<ReplaySink>(Options(Topology.SingleThread), Weak.Value.Model, Weak.Value.Policy, new ReplaySink(log, null)))
        using (var source = new JournalSource(journalDir))
        {
            if (versions is not null)
            {
                Assert.True(pipeline.Models.AddFrom(versions).Loaded >= 1);
            }

            pipeline.Start();
            new ReplayDriver(0).Run(source, pipeline);
            Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
            refused = pipeline.Stats.SwapsRefused;
        }

        log.Dispose();
        return (output.ToArray(), refused);
    }

    private static List<uint> DecisionVersions(byte[] log)
    {
        var versions = new List<uint>();
        var reasons = new WireReason[8];
        for (int at = 8; at < log.Length;)
        {
            int n = BitConverter.ToInt32(log, at);
            Assert.Equal(DecodeStatus.Ok, DecisionCodec.Decode(log.AsSpan(at + 4, n), out var d, reasons, out _, out _));
            versions.Add(d.ModelVersion);
            at += 4 + n;
        }

        return versions;
    }

    [Fact]
    public void A_burst_of_poisoned_labels_never_leaves_a_poisoned_champion_in_force()
    {
        // Clean labels, then 1500 labels all claiming fraud (a compromised label feed), then clean labels again.
        var sim = new PaymentSimulator(FastLabels(9));
        var log = new DecisionLog(Stream.Null, DecisionLogFormat.Binary, ownsStream: false);
        using var pipeline = Live(log, Learning(Path.Combine(_dir, "poison")), Topology.SingleThread);
        pipeline.Start();
        var e = default(SimEvent);
        long labels = 0, burstFrom = 6000, burstTo = 7500;
        uint beforeBurst = 0;
        for (int i = 0; i < 60_000; i++)
        {
            sim.Next(ref e);
            using (var scope = pipeline.Sequencer.Claim(pipeline.Ring))
            {
                ref var slot = ref scope.Event;
                slot.Rejected = false;
                slot.IngestTicks = Stopwatch.GetTimestamp();
                if (e.Kind == SimEventKind.Transaction)
                {
                    slot.Kind = MessageKind.Transaction;
                    slot.Transaction = e.Transaction;
                }
                else
                {
                    slot.Kind = MessageKind.Label;
                    slot.Label = e.Label;
                    labels++;
                    if (labels > burstFrom && labels <= burstTo)
                    {
                        slot.Label.Class = LabelClass.Fraud;
                    }
                }
            }

            if (e.Kind == SimEventKind.Label && (labels % 500 == 0 || labels == burstFrom))
            {
                // Let the learner keep up, so the policy sees the labels in a realistic rhythm.
                var l = pipeline.Learning!;
                Eventually(() => l.Stats.QueuedNow == 0, TimeSpan.FromSeconds(30));
                if (labels == burstFrom)
                {
                    Thread.Sleep(50);
                    beforeBurst = l.Stats.ChampionVersion;
                }
            }
        }

        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(60)));
        var learning = pipeline.Learning!;
        Assert.Null(learning.Failure);
        var events = learning.Transitions;
        string history = string.Join("\n", events.Select(t => $"{t.LabelIndex} {t.Kind} v{t.FromVersion}->v{t.ToVersion}: {t.Reason}"));
        var spike = events.FirstOrDefault(t => t.Kind == ModelEventKind.LabelSpikeStarted);
        Assert.True(spike is not null, history);
        Assert.InRange(spike.LabelIndex, burstFrom - 500, burstFrom + 300); // caught within a few hundred labels
        Assert.True(learning.Stats.QuarantinedSpike > 1000, history);

        // Judge every champion the learner put in force on clean held-out traffic against the one before the burst.
        var holdout = Holdout();
        double baseline = CleanAuc(pipeline.Models.Find(beforeBurst)!, holdout);
        foreach (var t in events.Where(t => t.Kind is ModelEventKind.Promoted or ModelEventKind.RolledBack && t.LabelIndex > spike.LabelIndex))
        {
            double auc = CleanAuc(pipeline.Models.Find(t.ToVersion)!, holdout);
            Assert.True(auc > baseline - 0.02, $"v{t.ToVersion} ({t.Kind}) clean AUC {auc:F4} vs {baseline:F4} before the burst\n{history}");
        }

        double final = CleanAuc(pipeline.Model, holdout);
        Assert.True(final > baseline - 0.02, $"final v{pipeline.Model.Version} clean AUC {final:F4} vs {baseline:F4}\n{history}");
    }

    private static (float[] X, ulong[] Keys, bool Y)[] Holdout()
    {
        var sim = new PaymentSimulator(FastLabels(31));
        using var features = new Engine.Pipeline.Featurizer(Engine.Features.FeaturePlan.Compile(Spec));
        var e = default(SimEvent);
        var list = new List<(float[], ulong[], bool)>();
        while (list.Count < 20_000)
        {
            sim.Next(ref e);
            if (e.Kind != SimEventKind.Transaction)
            {
                continue;
            }

            var x = new float[features.Count];
            var keys = new ulong[SparseKeyBuffer.Capacity];
            features.Process(e.Transaction, x);
            int k = SparseKeys.Write(e.Transaction, keys);
            list.Add((x, keys[..k], e.Truth.IsFraud));
        }

        return [.. list];
    }

    private static double CleanAuc(ServingModel model, (float[] X, ulong[] Keys, bool Y)[] sample)
    {
        var window = new PrequentialWindow(sample.Length);
        foreach (var (x, k, y) in sample)
        {
            window.Add(model.Champion.Score(x, k).Probability, y);
        }

        return window.Auc();
    }
}
