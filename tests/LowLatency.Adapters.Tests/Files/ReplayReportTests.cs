using LowLatency.Adapters.Files;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;
using static LowLatency.Adapters.Tests.Files.ReplayFixtures;

namespace LowLatency.Adapters.Tests.Files;

public sealed class ReplayReportTests
{
    /// <summary>AUC by definition: the share of (fraud, genuine) pairs the scores order correctly, ties counting half.</summary>
    private static double NaiveAuc(IReadOnlyList<(float Score, bool Fraud)> rows)
    {
        double good = 0, pairs = 0;
        foreach (var p in rows.Where(r => r.Fraud))
        {
            foreach (var n in rows.Where(r => !r.Fraud))
            {
                pairs++;
                good += p.Score > n.Score ? 1 : p.Score == n.Score ? 0.5 : 0;
            }
        }

        return good / pairs;
    }

    [Fact]
    public void Prequential_auc_over_a_window_equals_the_pairwise_definition_on_that_window()
    {
        var rng = new Random(4);
        var decisions = new List<DecidedEvent>();
        var labels = new List<SeenLabel>();
        for (int i = 0; i < 3000; i++)
        {
            bool fraud = rng.NextDouble() < 0.1;
            float score = (float)Math.Round(Math.Clamp((fraud ? 0.3 : 0) + (rng.NextDouble() * 0.7), 0, 1), 2); // ties on purpose
            decisions.Add(new DecidedEvent((ulong)i, i, score, Outcome.Approve));
            if (i % 3 != 0)
            {
                labels.Add(new SeenLabel((ulong)i, 1_000_000L * i, fraud));
            }
        }

        labels.Add(new SeenLabel(999_999, 5, true)); // a label for a transaction never decided: not joined
        var points = ReplayReport.PrequentialAuc(decisions, labels);
        Assert.NotEmpty(points);
        var joined = labels.Where(l => l.TxId < 3000).OrderBy(l => l.LabelTimeNs).ToList();
        var last = joined.TakeLast(ReplayReport.AucWindow).Select(l => (decisions[(int)l.TxId].Score, l.Fraud)).ToList();
        Assert.Equal(NaiveAuc(last), points[^1].Y, 9);
        var first = joined.Take(ReplayReport.AucWindow).Select(l => (decisions[(int)l.TxId].Score, l.Fraud)).ToList();
        Assert.Equal(NaiveAuc(first), points[0].Y, 9);
    }

    [Fact]
    public void A_report_of_a_replay_has_every_plot()
    {
        var recorder = new ReplayRecorder();
        var messages = SimulatedMessages(40_000, seed: 8);
        var dir = TempDir();
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "f.bin"), [.. FramesSource.Magic, .. messages.SelectMany(m => BitConverter.GetBytes(m.Length).Concat(m))]);
            using var source = new FramesSource(Path.Combine(dir, "f.bin"));
            var (_, result) = Replay(source, recorder);
            string html = ReplayReport.Html(recorder, "test", result, default);
            Assert.Equal(4, System.Text.RegularExpressions.Regex.Count(html, "<svg ")); // rates, scores, latency, AUC
            Assert.Contains("Prequential AUC", html, StringComparison.Ordinal);
            Assert.Contains("Score distribution", html, StringComparison.Ordinal);
            Assert.Contains("Decisions per minute", html, StringComparison.Ordinal);
            Assert.Contains("Processing latency", html, StringComparison.Ordinal);
            Assert.True(recorder.Labels.Count > 500, $"{recorder.Labels.Count} labels");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_paced_replay_takes_at_least_the_recorded_span_divided_by_the_speed()
    {
        var messages = SimulatedMessages(400, seed: 10);
        var times = messages.Select(m => LowLatency.Adapters.Sbe.TransactionCodec.Decode(m, out var t, out _) == LowLatency.Adapters.Sbe.DecodeStatus.Ok ? t.EventTimeNs : (long?)null).Where(t => t.HasValue).Select(t => t!.Value).ToList();
        double span = (times.Max() - times.Min()) / 1e9;
        double factor = span / 0.6; // should take ~0.6 s
        var dir = TempDir();
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "f.bin"), [.. FramesSource.Magic, .. messages.SelectMany(m => BitConverter.GetBytes(m.Length).Concat(m))]);
            using var source = new FramesSource(Path.Combine(dir, "f.bin"));
            var (_, result) = Replay(source, null, factor);
            Assert.True(result.Elapsed.TotalSeconds >= 0.5, $"paced replay took {result.Elapsed.TotalSeconds:F3} s");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
    /// <summary>A sink that takes 2 ms over every decision, so that deciding is what bounds the replay.</summary>
    private struct SlowSink : IDecisionSink
    {
        public readonly bool TryPublish(ref PipelineSlot slot)
        {
            Thread.Sleep(2);
            return true;
        }

        public readonly void OnOther(ref PipelineSlot slot)
        {
        }

        public readonly void Flush()
        {
        }
    }

    [Fact]
    public void A_drained_replay_is_timed_to_its_last_decision_not_to_its_last_read()
    {
        // 100 transactions fit the ring many times over: the feed ends at once, the decisions take 100 x 2 ms at least.
        var messages = SimulatedMessages(400, seed: 11).Where(m => LowLatency.Adapters.Sbe.TransactionCodec.Decode(m, out _, out _) == LowLatency.Adapters.Sbe.DecodeStatus.Ok).Take(100).ToList();
        Assert.Equal(100, messages.Count);
        var dir = TempDir();
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "f.bin"), [.. FramesSource.Magic, .. messages.SelectMany(m => BitConverter.GetBytes(m.Length).Concat(m))]);
            using var source = new FramesSource(Path.Combine(dir, "f.bin"));
            using var pipeline = new ScoringPipeline<SlowSink>(Options(Topology.SingleThread), Model.Model, Model.Policy, default);
            pipeline.Start();
            ReplayResult? result = new ReplayDriver(0).RunAndDrain(source, pipeline, TimeSpan.FromSeconds(30));
            Assert.NotNull(result);
            Assert.Equal(100, result.Messages);
            Assert.Equal(100, pipeline.Stats.DecisionsPublished);
            Assert.True(result.Elapsed.TotalSeconds >= 0.2, $"timed at {result.Elapsed.TotalSeconds:F3} s for 100 decisions of at least 2 ms");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
