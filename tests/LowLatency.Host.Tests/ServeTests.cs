using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Files;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Pipeline;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using Xunit.Abstractions;
using static LowLatency.Host.Tests.ServeHarness;

namespace LowLatency.Host.Tests;

/// <summary><c>lowlat serve</c>: its configuration, and the engine it runs, in process and as a child process (loopback only).</summary>
public sealed partial class ServeTests(ITestOutputHelper testOutput) : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly IPAddress Foreign = IPAddress.Parse("127.0.0.2"); // Linux loopback answers the whole 127/8
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lowlat-serve-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void The_sample_config_loads_with_its_channels_streams_and_the_defaults_sane_on_two_cores()
    {
        var c = ServeConfigReader.Load(Path.Combine(AppContext.BaseDirectory, "config", "serve.sample.json"));

        Assert.Equal(IPEndPoint.Parse("127.0.0.1:40456"), c.Inbound.Endpoint);
        Assert.Equal(1001, c.Inbound.StreamId);
        Assert.True(c.Inbound.AllowedSources!.Allows(IPEndPoint.Parse("127.0.0.1:5000")));
        Assert.False(c.Inbound.AllowedSources.Allows(IPEndPoint.Parse("127.0.0.2:5000")));
        Assert.Equal((IPEndPoint.Parse("127.0.0.1:40457"), 1002, 1408, 1 << 20), (c.Decisions.Endpoint, c.Decisions.StreamId, c.Decisions.Mtu, c.Decisions.TermLength));
        Assert.Equal((IPEndPoint.Parse("127.0.0.1:40458"), 1003), (c.Control!.Endpoint, c.Control.StreamId));
        Assert.False(c.Control.AllowedSources.Allows(IPEndPoint.Parse("10.0.0.1:1")));
        Assert.Equal(("payments", FeatureEventKind.Transaction, 262_144), (c.Features.Name, c.Features.Spec.Event, c.Features.MaxCapacity));
        Assert.Equal(new BootstrapModelConfig(200_000, 42, 200_000), c.Model);
        Assert.Equal((0.02, 0.005, false), (c.Thresholds.ReviewRate, c.Thresholds.DeclineRate, c.Thresholds.IsFixed));
        // No thread spins by default: consumers block on a signal, the network thread parks in poll().
        Assert.Equal(new PipelineConfig(65_536, Topology.SingleThread, WaitStrategyKind.Blocking, IdleStrategyKind.Backoff), c.Pipeline);
        Assert.Null(c.Journal);
        Assert.Equal(Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "snapshots")), c.SnapshotDirectory);
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2)), (c.StatsInterval, c.DrainTimeout, c.Linger));
    }

    [Fact]
    public void The_smallest_config_takes_every_default()
    {
        var c = Parse("""{ "inbound": { "channel": "aeron:udp?endpoint=localhost:0" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } }""");

        Assert.Equal((IPEndPoint.Parse("127.0.0.1:0"), 1001), (c.Inbound.Endpoint, c.Inbound.StreamId));
        Assert.Null(c.Inbound.AllowedSources);
        Assert.Equal((IPEndPoint.Parse("127.0.0.1:40458"), 1003), (c.Control!.Endpoint, c.Control.StreamId));
        Assert.Same(SourceAllowList.Loopback, c.Control.AllowedSources);
        Assert.Equal(("payments", (int?)null), (c.Features.Name, c.Features.MaxCapacity));
        Assert.Equal(WaitStrategyKind.Blocking, c.Pipeline.WaitStrategy);
        Assert.Equal(ReasonCodes.Flagged, c.Pipeline.Reasons);
        Assert.Null(c.SnapshotDirectory);

        var all = Parse("""{ "inbound": { "channel": "aeron:udp?endpoint=localhost:0" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "pipeline": { "reasons": "all" } }""");
        Assert.Equal(ReasonCodes.All, all.Pipeline.Reasons);

        var journaled = Parse("""{ "inbound": { "channel": "aeron:udp?endpoint=localhost:0" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "journal": { "directory": "j" } }""");
        Assert.Equal((JournalDurability.Batch, TimeSpan.FromMilliseconds(10)), (journaled.Journal!.Durability, journaled.Journal.SyncInterval));
        var slower = Parse("""{ "inbound": { "channel": "aeron:udp?endpoint=localhost:0" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "journal": { "directory": "j", "syncInterval": "250ms" } }""");
        Assert.Equal(TimeSpan.FromMilliseconds(250), slower.Journal!.SyncInterval);
    }

    [Theory]
    [InlineData("""{ "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } }""", "inbound")]
    [InlineData("""{ "inbound": { "channel": "udp://127.0.0.1:9" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } }""", "inbound.channel")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:99999" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } }""", "inbound.channel")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1|mtu=1408" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } }""", "inbound.channel")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1", "streamId": "x" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } }""", "inbound.streamId")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1", "allowedSources": ["10.0.0.0/40"] }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } }""", "inbound.allowedSources")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1", "allowedSource": [] }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } }""", "inbound.allowedSource")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:0" } }""", "decisions.channel")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9|term-length=3000" } }""", "decisions.channel")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9|mtu=64k" } }""", "decisions.channel")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9|mtu=16k|term-length=64k" } }""", "decisions.channel")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "control": { "channel": "aeron:udp?endpoint=127.0.0.1:1" } }""", "control.channel")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "features": { "spec": "fraud" } }""", "features.spec")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "features": { "maxCapacity": 2 } }""", "features.maxCapacity")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "model": { "path": "missing.llmodel" } }""", "model.path")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "model": { "bootstrap": { "history": 10 } } }""", "model.bootstrap.history")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "thresholds": { "review": 0.9, "decline": 0.5 } }""", "thresholds.review")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "thresholds": { "reviewRate": 1.5 } }""", "thresholds.reviewRate")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "pipeline": { "ringSize": 1000 } }""", "pipeline.ringSize")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "pipeline": { "waitStrategy": "spin" } }""", "pipeline.waitStrategy")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "pipeline": { "reasons": "approved" } }""", "pipeline.reasons")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "journal": { "durability": "batch" } }""", "journal.directory")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "journal": { "directory": "j", "syncInterval": "0ms" } }""", "journal.syncInterval")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "shutdown": { "drainTimeout": "soon" } }""", "shutdown.drainTimeout")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "learning": {} }""", "learning.versions")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "learning": { "versions": "v", "minLabels": 5 } }""", "learning.minLabels")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "learning": { "versions": "v", "promotionMargin": 1 } }""", "learning.promotionMargin")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "learning": { "versions": "v", "shadow": false } }""", "learning.shadow")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" }, "statistics": {} }""", "statistics")]
    [InlineData("""{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, """, "$")]
    public void A_bad_field_is_named_in_the_error(string json, string field)
    {
        var ex = Assert.Throws<ServeConfigException>(() => Parse(json));
        Assert.Equal(field, ex.Field);
        Assert.StartsWith(field + ": ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Learning_from_a_model_file_needs_it_to_be_version_one()
    {
        WriteModel(Path.Combine(_dir.FullName, "m.llmodel"), seed: 5);
        var ex = Assert.Throws<ServeConfigException>(() => Parse(Config(9, 10, """
            "model": { "path": "m.llmodel", "version": 9 }, "thresholds": { "review": 0.5, "decline": 0.9 }, "learning": { "versions": "v" }
            """)));
        Assert.Equal("learning", ex.Field);
        Assert.Contains("configured as version 9", ex.Message, StringComparison.Ordinal);
        var ok = Parse(Config(9, 10, """
            "model": { "path": "m.llmodel" }, "thresholds": { "review": 0.5, "decline": 0.9 }, "learning": { "versions": "v" }
            """));
        Assert.Equal((Path.Combine(_dir.FullName, "v"), 2000, 0.005, true), (ok.Learning!.VersionRoot, ok.Learning.MinLabels, ok.Learning.PromotionMargin, ok.Learning.OnlineTree));
    }

    [Fact]
    public void A_model_file_needs_fixed_thresholds_and_must_read_the_features_the_spec_computes()
    {
        string model = Path.Combine(_dir.FullName, "m.llmodel");
        WriteModel(model, seed: 1);
        string channels = """ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } """;
        Assert.Equal("thresholds", Assert.Throws<ServeConfigException>(() => Parse($$"""{ {{channels}}, "model": { "path": "m.llmodel" } }""")).Field);

        string lightgbm = Path.Combine(AppContext.BaseDirectory, "fixtures", "lightgbm", "binary_numeric.txt");
        Assert.True(File.Exists(lightgbm), lightgbm);
        var config = Parse($$"""{ {{channels}}, "model": { "path": {{Json(lightgbm)}} }, "thresholds": { "review": 0.5, "decline": 0.9 } }""");
        // A tree ensemble scores in the pipeline now, but this one reads its own features, not the spec's.
        var ex = Assert.Throws<ServeConfigException>(() => ServeModel.Create(config, _ => { }));
        Assert.Equal("model.path", ex.Field);
        Assert.Contains("does not read the features the spec computes", ex.Message, StringComparison.Ordinal);

        // A logistic file over other features than the spec's is refused too, naming the first difference.
        var other = Parse($$"""{ {{channels}}, "features": { "spec": "orders" }, "model": { "path": "m.llmodel" }, "thresholds": { "review": 0.5, "decline": 0.9 } }""");
        Assert.Contains("feature_names[0]", Assert.Throws<ServeConfigException>(() => ServeModel.Create(other, _ => { })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_decides_every_transaction_a_gateway_sends_with_the_model_file_and_refuses_a_foreign_source()
    {
        var champion = WriteModel(Path.Combine(_dir.FullName, "m.llmodel"), seed: 2);
        int enginePort = FreePort();
        var decisions = new Decisions();
        using var gateway = Gateway(enginePort, decisions);
        var log = new StringWriter();
        using var host = ServeHost.Start(Parse(Config(enginePort, gateway.LocalEndPoint.Port, """ "model": { "path": "m.llmodel", "version": 9 }, "thresholds": { "review": 0.5, "decline": 0.9 } """)), log);
        Assert.True(gateway.WaitUntilConnected(Bound), "gateway and engine did not connect");

        // A second gateway on another loopback address is not in the allow-list: its SETUPs are refused, it never connects.
        var foreignDecisions = new Decisions();
        using var foreign = Gateway(enginePort, foreignDecisions, Foreign);
        Transaction[] txs = Transactions(2000, seed: 4);
        Send(gateway, txs);
        Assert.True(WaitFor(() => decisions.Count >= txs.Length, Bound), $"{decisions.Count} of {txs.Length} decisions");
        Assert.True(WaitFor(() => host.Transport.Receiver.Counters.Rejected(ReceiverRejectReason.SourceNotAllowed) >= 2, Bound));

        // Every decision once, scored as the model file's own runtime scores the features computed in order.
        Assert.Empty(decisions.Unmatched);
        var byTx = decisions.Matched.ToDictionary(d => d.TxId);
        Assert.Equal(txs.Length, byTx.Count);
        using var featurizer = new Featurizer(FeaturePlan.Compile(Spec));
        var f = new float[featurizer.Count];
        foreach (Transaction tx in txs)
        {
            featurizer.Process(tx, f);
            Decision d = byTx[tx.TxId];
            float expected = champion.Score(f, []).Probability;
            Assert.True(Math.Abs(expected - d.Score) < 1e-5, $"tx {tx.TxId}: score {d.Score}, model file says {expected}");
            Assert.Equal(9u, d.ModelVersion);
            Assert.Equal(d.Score >= 0.9f ? Outcome.Decline : d.Score >= 0.5f ? Outcome.Review : Outcome.Approve, d.Outcome);
        }

        Assert.False(foreign.IsConnected);
        Assert.Equal(1, host.Transport.Receiver.ImageCount);
        Assert.Equal(txs.Length, host.Pipeline.Stats.TransactionsIn);
        Assert.Equal(Foreign, host.Transport.Endpoint.LastRefusedSource?.Address);
        Assert.Matches(@"rejects \d+ by source \(last 127\.0\.0\.2:\d+\)", host.StatsLine());
        Assert.Contains($"listening on 127.0.0.1:{enginePort}", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("v9 logistic over", log.ToString(), StringComparison.Ordinal);

        var result = host.Stop("test");
        Assert.True(result.Drained);
        Assert.True(result.Flushed);
        Assert.Contains("every accepted event decided", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Control_commands_from_loopback_snapshot_and_promote_in_sequence_and_foreign_or_invalid_ones_are_refused()
    {
        WriteModel(Path.Combine(_dir.FullName, "m.llmodel"), seed: 3);
        int enginePort = FreePort();
        var decisions = new Decisions();
        using var gateway = Gateway(enginePort, decisions);
        var log = new StringWriter();
        string snapshots = Path.Combine(_dir.FullName, "snapshots");
        var commands = new RecordingModelCommands();
        var config = Parse(Config(enginePort, gateway.LocalEndPoint.Port, $$"""
            "model": { "path": "m.llmodel" }, "thresholds": { "review": 0.5, "decline": 0.9 },
            "control": { "channel": "aeron:udp?endpoint=127.0.0.1:0", "allowedSources": ["127.0.0.1"] },
            "snapshots": { "directory": {{Json(snapshots)}} }
            """));
        using var host = ServeHost.Start(config, log, pipeline => commands.Attach(pipeline));
        Assert.True(gateway.WaitUntilConnected(Bound));
        Send(gateway, Transactions(500, seed: 5));
        Assert.True(WaitFor(() => decisions.Count >= 500, Bound));

        using var control = new ControlSender(host.ControlEndPoint!, IPAddress.Loopback);
        using var foreign = new ControlSender(host.ControlEndPoint!, Foreign);
        Assert.True(control.WaitUntilConnected(Bound), "control publisher did not connect");
        control.Send(new ControlMessage { Command = ControlCommand.Snapshot, RequestId = 1 });
        control.Send(new ControlMessage { Command = ControlCommand.PromoteModel, ModelVersion = 0, RequestId = 2 }); // refused: promote what?
        control.SendRaw(buffer => TransactionCodec.Encode(buffer, Transactions(1, seed: 9)[0])); // refused: not a control message
        control.Send(new ControlMessage { Command = ControlCommand.PromoteModel, ModelVersion = 7, RequestId = 3 });
        control.Send(new ControlMessage { Command = ControlCommand.RollbackModel, RequestId = 4 });
        control.Send(new ControlMessage { Command = ControlCommand.PromoteModel, ModelVersion = 7, RequestId = 5 });
        Assert.True(WaitFor(() => host.ModelCommands.Applied + host.ModelCommands.NotApplied == 3 && host.Snapshots == 1, Bound), log.ToString());
        Assert.True(WaitFor(() => host.Transport.ControlReceiver!.Counters.Rejected(ReceiverRejectReason.SourceNotAllowed) >= 2, Bound));

        // The snapshot: written where configured, named by its input sequence (after the 500 transactions), a pipeline state file.
        var (sequence, path) = Assert.Single(EngineSnapshots.List(snapshots));
        Assert.Equal(500, sequence);
        Assert.Equal("LLSTATE2"u8.ToArray(), File.ReadAllBytes(path)[..8]);

        // Each command reached the handler at its place in the input: promote to 7, back to 1, promote to 7 again.
        Assert.Equal(
            [(ControlCommand.PromoteModel, 7u, 3ul, 501L), (ControlCommand.RollbackModel, 0u, 4ul, 502L), (ControlCommand.PromoteModel, 7u, 5ul, 503L)],
            commands.Calls);
        Assert.Equal((3L, 0L), host.ModelCommands);
        var c = host.Transport.ControlCounters;
        Assert.Equal((1L, 2L, 1L, 1L, 1L, 0L), (c.Snapshot, c.Promote, c.Rollback, c.MissingModelVersion, c.NotControl, c.Malformed));
        Assert.Equal(4, host.Pipeline.Stats.ControlsIn);
        Assert.Equal(3, host.Pipeline.Stats.ModelSwaps);
        Assert.False(foreign.IsConnected);

        // Transactions after the promote are scored by version 7.
        Send(gateway, Transactions(100, seed: 6, firstId: 10_000));
        Assert.True(WaitFor(() => decisions.Count >= 600, Bound));
        Assert.All(decisions.Matched.Where(d => d.TxId >= 10_000), d => Assert.Equal(7u, d.ModelVersion));
        Assert.All(decisions.Matched.Where(d => d.TxId < 10_000), d => Assert.Equal(1u, d.ModelVersion));

        host.FlushNotices();
        string text = log.ToString();
        Assert.Contains("snapshot written at input sequence 500", text, StringComparison.Ordinal);
        Assert.Contains("control: promote to model v7 (request 3) at input sequence 501: applied", text, StringComparison.Ordinal);
        Assert.Contains("control: rollback (request 4) at input sequence 502: applied", text, StringComparison.Ordinal);
        Assert.Contains("control: promote to model v7 (request 5) at input sequence 503: applied", text, StringComparison.Ordinal);
        Assert.True(host.Stop("test").Drained);
    }

    [Fact]
    public void With_learning_serve_learns_the_labels_promotes_a_better_version_and_can_be_commanded_back_to_the_first()
    {
        int enginePort = FreePort();
        var decisions = new Decisions();
        using var gateway = Gateway(enginePort, decisions);
        var log = new StringWriter();
        string versions = Path.Combine(_dir.FullName, "versions");
        string journal = Path.Combine(_dir.FullName, "journal");
        var config = Parse(Config(enginePort, gateway.LocalEndPoint.Port, $$"""
            "model": { "bootstrap": { "history": 3000, "cards": 2000 } },
            "control": { "channel": "aeron:udp?endpoint=127.0.0.1:0" },
            "journal": { "directory": {{Json(journal)}}, "durability": "none" },
            "learning": { "versions": {{Json(versions)}}, "minLabels": 200, "promotionMargin": 0.01, "joinCapacity": 10000 }
            """));
        using var host = ServeHost.Start(config, log);
        Assert.True(gateway.WaitUntilConnected(Bound));
        Assert.Contains("  learning   versions in " + host.VersionDirectory, log.ToString(), StringComparison.Ordinal);

        // Fraud is one channel × entry-mode pair: learnable from the hashed keys, unknown to the bootstrap model. Each label
        // follows its transaction 50 messages later on the same publication, as a gateway would report it.
        static bool IsFraud(in Transaction tx) => (int)tx.Channel == 1 && (int)tx.EntryMode == 3;
        Transaction[] txs = Transactions(6000, seed: 12);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < txs.Length + 50; i++)
        {
            if (i < txs.Length)
            {
                Send(gateway, [txs[i]]);
            }

            if (i >= 50)
            {
                Transaction labelled = txs[i - 50];
                var label = new Label { TxId = labelled.TxId, LabelTimeNs = labelled.EventTimeNs + 1, Class = IsFraud(labelled) ? LabelClass.Fraud : LabelClass.Genuine };
                while (gateway.SendLabel(label) == OfferResult.BackPressured && clock.Elapsed < Bound)
                {
                    Thread.Yield();
                }
            }
        }

        var learning = host.Pipeline.Learning!;
        Assert.True(WaitFor(() => decisions.Count >= txs.Length && learning.Stats.Learned >= txs.Length, Bound), $"{decisions.Count} decisions, {learning.Stats.Learned} learned\n{log}");
        // Every live decision was scored in shadow by the challenger, or skipped and counted when the learner was behind
        // (this test sends as fast as it can).
        Assert.True(WaitFor(() => learning.Stats.ShadowScored + learning.Stats.ShadowSkipped >= txs.Length, Bound), $"{learning.Stats.ShadowScored} shadow-scored, {learning.Stats.ShadowSkipped} skipped");
        Assert.Equal(txs.Length, learning.Stats.ShadowScored + learning.Stats.ShadowSkipped);
        Assert.True(learning.Stats.LiveJudged > 0);
        Assert.Null(learning.Failure);
        var promoted = learning.Transitions.Where(t => t.Kind == Models.Lifecycle.ModelEventKind.Promoted).ToList();
        Assert.NotEmpty(promoted);
        uint latest = promoted[^1].ToVersion;

        // The learner put its champion into the input sequence when it promoted it: transactions sent now are scored by it.
        uint inForce = learning.Stats.ChampionVersion;
        Assert.True(inForce > 1);
        Send(gateway, Transactions(20, seed: 14, firstId: 200_000));
        Assert.True(WaitFor(() => decisions.Matched.Count(d => d.TxId >= 200_000) == 20, Bound));
        Assert.All(decisions.Matched.Where(d => d.TxId >= 200_000), d => Assert.Equal(inForce, d.ModelVersion));

        // The learner's versions are on disk in this run's directory and registered: a promote command can go back to v1.
        Assert.StartsWith(Path.Combine(versions, "run-"), host.VersionDirectory, StringComparison.Ordinal);
        Assert.Contains(latest, new Models.Lifecycle.VersionStore(host.VersionDirectory!).Versions());
        using var control = new ControlSender(host.ControlEndPoint!, IPAddress.Loopback);
        Assert.True(control.WaitUntilConnected(Bound));
        control.Send(new ControlMessage { Command = ControlCommand.PromoteModel, ModelVersion = 1, RequestId = 1 });
        Assert.True(WaitFor(() => host.ModelCommands.Applied == 1, Bound), log.ToString());
        Send(gateway, Transactions(20, seed: 13, firstId: 100_000));
        Assert.True(WaitFor(() => decisions.Matched.Count(d => d.TxId is >= 100_000 and < 200_000) == 20, Bound));
        Assert.All(decisions.Matched.Where(d => d.TxId is >= 100_000 and < 200_000), d => Assert.Equal(1u, d.ModelVersion));

        // The learner follows the command: v1 is its champion again, judged afresh, and no swap of its own undoes it.
        Assert.True(WaitFor(() => learning.Transitions.Any(t => t.Kind == Models.Lifecycle.ModelEventKind.Commanded), Bound), log.ToString());
        Assert.Equal(1u, learning.Stats.ChampionVersion);
        Assert.Equal(0, learning.CommandsNotFollowed);
        Assert.Contains("learning v", host.StatsLine(), StringComparison.Ordinal);
        Assert.True(host.Stop("test").Drained);
        string text = log.ToString();
        testOutput.WriteLine(text);
        // The promote command put v1 back in force, and the learner took it as its champion.
        Assert.Matches(@"final learning: v1 in force \(the learner's champion v1\), \d+ promoted, \d+ rolled back; 6,000 labels learned", text);
        Assert.Contains($"Commanded v{inForce} → v1 at label", text, StringComparison.Ordinal);
        Assert.Contains($"Promoted v1 → v2 at label", text, StringComparison.Ordinal);

        // The journal holds the learner's swaps and the command where they took effect: replaying it with this run's
        // versions gives every decision the gateway received, bit for bit.
        string csv = Path.Combine(_dir.FullName, "replayed.csv");
        var (code, stdout, stderr) = Lowlat.Run(TimeSpan.FromSeconds(120), "replay", journal, "--history", "3000", "--sim-cards", "2000", "--versions", host.VersionDirectory!, "--decisions", csv);
        Assert.True(code == 0, stdout + stderr);
        var replayed = File.ReadAllLines(csv).Skip(1).Select(line => line.Split(',')).ToDictionary(f => ulong.Parse(f[0], CultureInfo.InvariantCulture));
        Assert.Equal(decisions.Matched.Count(), replayed.Count);
        foreach (Decision d in decisions.Matched)
        {
            string[] f = replayed[d.TxId];
            Assert.Equal(d.ModelVersion, uint.Parse(f[3], CultureInfo.InvariantCulture));
            Assert.Equal(BitConverter.SingleToInt32Bits(d.Score), BitConverter.SingleToInt32Bits(float.Parse(f[2], CultureInfo.InvariantCulture)));
            Assert.Equal(d.Outcome.ToString(), f[1], ignoreCase: true);
        }
    }

    [Fact]
    public void Without_a_model_version_store_model_commands_are_counted_logged_and_change_nothing()
    {
        WriteModel(Path.Combine(_dir.FullName, "m.llmodel"), seed: 3);
        int enginePort = FreePort();
        var decisions = new Decisions();
        using var gateway = Gateway(enginePort, decisions);
        var log = new StringWriter();
        var config = Parse(Config(enginePort, gateway.LocalEndPoint.Port, """
            "model": { "path": "m.llmodel" }, "thresholds": { "review": 0.5, "decline": 0.9 }, "control": { "channel": "aeron:udp?endpoint=127.0.0.1:0" }
            """));
        using var host = ServeHost.Start(config, log);
        using var control = new ControlSender(host.ControlEndPoint!, IPAddress.Loopback);
        Assert.True(control.WaitUntilConnected(Bound));
        control.Send(new ControlMessage { Command = ControlCommand.PromoteModel, ModelVersion = 5, RequestId = 8 });
        control.Send(new ControlMessage { Command = ControlCommand.Snapshot, RequestId = 9 });
        Assert.True(WaitFor(() => host.ModelCommands.NotApplied == 1 && host.SnapshotsNotWritten == 1, Bound));
        Assert.True(gateway.WaitUntilConnected(Bound));
        Send(gateway, Transactions(50, seed: 7));
        Assert.True(WaitFor(() => decisions.Count >= 50, Bound));
        Assert.All(decisions.Matched, d => Assert.Equal(1u, d.ModelVersion));
        host.FlushNotices();
        Assert.Contains("promote to model v5 (request 8) at input sequence 0: not applied — no model v5 in the model registry", log.ToString(), StringComparison.Ordinal);
        Assert.Contains("no snapshot directory configured", log.ToString(), StringComparison.Ordinal);
        Assert.True(host.Stop("test").Drained);
    }

    [Fact]
    public void Sigterm_to_the_serve_process_drains_decides_every_accepted_event_journals_them_and_exits_zero()
    {
        int enginePort = FreePort();
        var decisions = new Decisions();
        using var gateway = Gateway(enginePort, decisions);
        string journal = Path.Combine(_dir.FullName, "journal");
        string file = Path.Combine(_dir.FullName, "serve.json");
        File.WriteAllText(file, Config(enginePort, gateway.LocalEndPoint.Port, $$"""
            "model": { "bootstrap": { "history": 3000, "cards": 2000 } },
            "journal": { "directory": {{Json(journal)}}, "durability": "batch" },
            "stats": { "interval": "500ms" }
            """));
        using var serve = new ServeProcess("serve", "--config", file);
        Assert.True(serve.WaitForLine(l => l == "ready", Bound) is not null, serve.Output + serve.Error);
        Assert.True(gateway.WaitUntilConnected(Bound), "gateway and serve did not connect");
        Assert.NotNull(serve.WaitForLine(l => l.Contains("decided", StringComparison.Ordinal) && l.StartsWith('['), Bound)); // a stats line

        Transaction[] txs = Transactions(5000, seed: 8);
        Send(gateway, txs);
        serve.Terminate(); // while the tail of the burst is still in flight
        Assert.Equal(0, serve.WaitForExit(Bound));
        testOutput.WriteLine(serve.Output);

        string output = serve.Output;
        Assert.Contains("stopping (SIGTERM)", output, StringComparison.Ordinal);
        Assert.Contains("every accepted event decided", output, StringComparison.Ordinal);
        Assert.Contains("stopped cleanly", output, StringComparison.Ordinal);
        Match final = FinalLine().Match(output);
        Assert.True(final.Success, output);
        long accepted = long.Parse(final.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        long decided = long.Parse(final.Groups[2].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.Equal(accepted, decided);
        Assert.True(accepted > 0 && accepted <= txs.Length, output);

        // The wire counters: every accepted transaction came in a data frame of its own, and the gateway's status
        // messages reached the decision publication.
        Match aeron = AeronLine().Match(output);
        Assert.True(aeron.Success, output);
        Assert.InRange(long.Parse(aeron.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture), accepted, txs.Length);
        Assert.True(long.Parse(aeron.Groups[2].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) > 0, output);

        // Every decision the engine made reached the gateway before it exited, once each.
        Assert.True(WaitFor(() => decisions.Count >= decided, TimeSpan.FromSeconds(5)), $"{decisions.Count} of {decided}");
        Assert.Equal(decided, decisions.Count);
        Assert.Empty(decisions.Unmatched);

        // The journal holds the model swap and exactly the accepted transactions, in the order sent.
        using var reader = JournalReader.Open(journal);
        var records = new List<JournalRecordType>();
        var ids = new List<ulong>();
        while (reader.TryRead(out JournalRecord r))
        {
            records.Add(r.Type);
            if (r.Type == JournalRecordType.Transaction)
            {
                Assert.Equal(DecodeStatus.Ok, TransactionCodec.Decode(r.Payload, out Transaction tx, out _));
                ids.Add(tx.TxId);
            }
        }

        Assert.Equal(JournalRecordType.ModelSwap, records[0]);
        Assert.Equal(txs.Take((int)accepted).Select(t => t.TxId), ids);
    }

    [Fact]
    public void A_bad_config_makes_serve_exit_non_zero_naming_the_field_and_check_accepts_the_sample()
    {
        string file = Path.Combine(_dir.FullName, "bad.json");
        File.WriteAllText(file, """{ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1", "streamId": -0.5 }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } }""");
        var (code, output, error) = Lowlat.Run(Bound, "serve", "--config", file);
        Assert.Equal(2, code);
        Assert.Contains("configuration error", error, StringComparison.Ordinal);
        Assert.Contains("inbound.streamId: must be an integer", error, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", output, StringComparison.Ordinal);

        (code, _, error) = Lowlat.Run(Bound, "serve", "--config", Path.Combine(_dir.FullName, "missing.json"));
        Assert.Equal(2, code);
        Assert.Contains("cannot read", error, StringComparison.Ordinal);

        (code, output, error) = Lowlat.Run(Bound, "serve", "--config", Path.Combine(AppContext.BaseDirectory, "config", "serve.sample.json"), "--check");
        Assert.True(code == 0, output + error);
        Assert.Contains("configuration OK", output, StringComparison.Ordinal);
        Assert.Contains("aeron:udp?endpoint=127.0.0.1:40456 stream 1001", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>--check</c> said "configuration OK" for configurations serve then refused: a model path naming a file that is
    /// not a model, a model whose features are not the spec's, a journal directory that cannot be made. It now runs those
    /// checks; and serve refuses an unusable journal directory before it trains anything.
    /// </summary>
    [Fact]
    public void Check_loads_the_model_file_and_tries_the_journal_directory_as_serve_does()
    {
        string xgboost = Path.Combine(_dir.FullName, "logistic_12x8.json");
        using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(AppContext.BaseDirectory, "fixtures", "logistic_12x8.json.gz")), System.IO.Compression.CompressionMode.Decompress))
        using (var to = File.Create(xgboost))
        {
            gz.CopyTo(to);
        }

        string notModel = Path.Combine(_dir.FullName, "notes.json");
        File.WriteAllText(notModel, """{ "hello": 1 }""");
        string blocker = Path.Combine(_dir.FullName, "a-file");
        File.WriteAllText(blocker, "x");
        const string Channels = """ "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:1" }, "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:9" } """;
        const string Fixed = """ "thresholds": { "review": 0.5, "decline": 0.9 } """;
        (string Body, string Field, string Why)[] cases =
        [
            ($$"""{ {{Channels}}, "model": { "path": {{Json(notModel)}} }, {{Fixed}} }""", "model.path", string.Empty),
            ($$"""{ {{Channels}}, "model": { "path": {{Json(xgboost)}} }, {{Fixed}} }""", "model.path", "does not read the features the spec computes"),
            ($$"""{ {{Channels}}, "model": { "bootstrap": { "history": 3000, "cards": 2000 } }, "journal": { "directory": {{Json(Path.Combine(blocker, "j"))}} } }""", "journal.directory", blocker + " is a file, not a directory"),
        ];
        foreach (var (body, field, why) in cases)
        {
            string file = Path.Combine(_dir.FullName, "c.json");
            File.WriteAllText(file, body);
            var (code, output, error) = Lowlat.Run(Bound, "serve", "--config", file, "--check");
            Assert.True(code == 2, $"{body}: exit {code}\n{output}{error}");
            Assert.Contains($"configuration error in {file}: {field}: ", error, StringComparison.Ordinal);
            Assert.Contains(why, error, StringComparison.Ordinal);
            Assert.DoesNotContain("configuration OK", output, StringComparison.Ordinal);
        }

        // Without --check, the journal directory is refused before the bootstrap model is trained.
        var (exit, stdout, stderr) = Lowlat.Run(Bound, "serve", "--config", Path.Combine(_dir.FullName, "c.json"));
        Assert.Equal(2, exit);
        Assert.Contains("journal.directory: ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("training the bootstrap model", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_directory_that_cannot_be_made_is_a_clear_start_up_error()
    {
        string file = Path.Combine(_dir.FullName, "not-a-directory");
        File.WriteAllText(file, "x");
        var config = Parse(Config(FreePort(), 9, $$"""
            "model": { "bootstrap": { "history": 3000, "cards": 2000 } }, "learning": { "versions": {{Json(file)}} }
            """));
        var ex = Assert.Throws<ServeConfigException>(() => ServeHost.Start(config, TextWriter.Null));
        Assert.Equal("learning.versions", ex.Field);
        Assert.Contains("cannot create the version directory " + file, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inbound_address_already_in_use_is_a_clear_start_up_error()
    {
        using var taken = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        WriteModel(Path.Combine(_dir.FullName, "m.llmodel"), seed: 3);
        var config = Parse(Config(port, 9, """ "model": { "path": "m.llmodel" }, "thresholds": { "review": 0.5, "decline": 0.9 } """));
        var ex = Assert.Throws<IOException>(() => ServeHost.Start(config, TextWriter.Null));
        Assert.Contains($"cannot bind the inbound endpoint 127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"final: accepted ([\d,]+) transactions.*decided ([\d,]+) \(")]
    private static partial Regex FinalLine();

    [GeneratedRegex(@"final aeron: inbound [\d,]+ datagrams, ([\d,]+) data frames.* ([\d,]+) status messages")]
    private static partial Regex AeronLine();

    private ServeConfig Parse(string json) => ServeConfigReader.Parse(json, Path.Combine(_dir.FullName, "serve.json"));

    /// <summary>A loopback configuration: inbound on <paramref name="enginePort"/> from 127.0.0.1 only, decisions to the gateway, small tables.</summary>
    private static string Config(int enginePort, int gatewayPort, string rest) => $$"""
        {
          "inbound": { "channel": "aeron:udp?endpoint=127.0.0.1:{{enginePort}}", "allowedSources": ["127.0.0.1"] },
          "decisions": { "channel": "aeron:udp?endpoint=127.0.0.1:{{gatewayPort}}" },
          "control": { "channel": "aeron:udp?endpoint=127.0.0.1:0" },
          "features": { "spec": "payments", "maxCapacity": {{Capacity}} },
          "pipeline": { "ringSize": 4096 },
          "shutdown": { "drainTimeout": "5s", "linger": "1s" },
          {{rest}}
        }
        """;

    /// <summary>
    /// Acts as a model version store would: on promote it registers a model of that version (zero weights, bias -2) so the
    /// pipeline can swap to it; what happens is reported by serve's own handler.
    /// </summary>
    private sealed class RecordingModelCommands : IModelCommandHandler
    {
        private ScoringPipeline<ServeSink>? _pipeline;
        private PipelineModelCommands? _report;

        public List<(ControlCommand, uint, ulong, long)> Calls { get; } = [];

        public IModelCommandHandler Attach(ScoringPipeline<ServeSink> pipeline)
        {
            _pipeline = pipeline;
            _report = new PipelineModelCommands(pipeline);
            return this;
        }

        public ModelCommandResult Promote(in ControlMessage command, long sequence)
        {
            Calls.Add((command.Command, command.ModelVersion, command.RequestId, sequence));
            var current = _pipeline!.Model;
            if (_pipeline.Models.Find(command.ModelVersion) is null)
            {
                var zero = new LogisticModel(new float[current.DenseCount], new float[2], -2f);
                _pipeline.Models.Add(new ServingModel(ChampionModel.FromLogistic(zero, current.Champion.Layout.FeatureNames), command.ModelVersion, "test store"));
            }

            return _report!.Promote(command, sequence);
        }

        public ModelCommandResult Rollback(in ControlMessage command, long sequence)
        {
            Calls.Add((command.Command, command.ModelVersion, command.RequestId, sequence));
            return _report!.Rollback(command, sequence);
        }
    }

    /// <summary>An Aeron publication to the control stream from a chosen loopback address, on its own endpoint thread.</summary>
    private sealed class ControlSender : IDisposable
    {
        private readonly AeronUdpEndpoint _endpoint;
        private readonly UdpPublication _publication;
        private readonly byte[] _buffer = new byte[256];

        public ControlSender(IPEndPoint control, IPAddress bind)
        {
            _endpoint = new AeronUdpEndpoint(new UdpEndpointOptions { Bind = new IPEndPoint(bind, 0) });
            _publication = _endpoint.AddPublication(new AeronPublicationOptions { StreamId = 1003, TermLength = 64 * 1024 }, control);
            _endpoint.Start(default(Ignore), "control-sender");
        }

        public bool IsConnected => _publication.IsConnected;

        public bool WaitUntilConnected(TimeSpan timeout) => WaitFor(() => _publication.IsConnected, timeout);

        public void Send(ControlMessage message) => SendRaw(b => ControlCodec.Encode(b, message));

        public void SendRaw(Func<byte[], int> encode)
        {
            int length = encode(_buffer);
            Assert.Equal(OfferResult.Ok, _publication.Offer(_buffer.AsSpan(0, length)));
        }

        public void Dispose()
        {
            _publication.Close();
            _endpoint.Dispose();
        }

        private readonly struct Ignore : IAeronMessageHandler
        {
            public void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position)
            {
            }
        }
    }
}
