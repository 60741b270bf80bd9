using LowLatency.Adapters.Learning;
using Xunit.Abstractions;

namespace LowLatency.Adapters.Tests.Learning;

public sealed class LearningEvaluationTests(ITestOutputHelper output)
{
    // Seed 42 (the default options): one run shared by the assertions below (~5 s).
    private static readonly Lazy<LearningReport> s_report = new(() => LearningEvaluation.Run());

    [Fact]
    public void Continual_learning_beats_a_static_model_on_auc_and_recall_after_the_drift()
    {
        var r = s_report.Value;
        output.WriteLine(r.ToMarkdown());
        var s = r[LearningStrategy.Static];
        var c = r[LearningStrategy.Continual];
        Assert.True(r.Joined > 10_000 && r.Retrains >= 5, $"joined {r.Joined}, retrains {r.Retrains}");
        Assert.True(c.PostDriftAuc > s.PostDriftAuc + 0.015, $"AUC after drift: continual {c.PostDriftAuc} vs static {s.PostDriftAuc}");
        Assert.True(c.Auc > s.Auc + 0.015, $"AUC: continual {c.Auc} vs static {s.Auc}");
        Assert.True(c.PostDriftRecallAt1PctFpr > s.PostDriftRecallAt1PctFpr + 0.08, $"recall after drift: continual {c.PostDriftRecallAt1PctFpr} vs static {s.PostDriftRecallAt1PctFpr}");
        // The static model never learns the pattern that appeared after its training.
        Assert.True(c.NewPatternRecallAt1PctFpr > s.NewPatternRecallAt1PctFpr + 0.4, $"new pattern: continual {c.NewPatternRecallAt1PctFpr} vs static {s.NewPatternRecallAt1PctFpr}");
    }

    [Fact]
    public void Continual_learning_ranks_better_than_stateless_retraining_and_recalls_as_well()
    {
        var r = s_report.Value;
        var n = r[LearningStrategy.Retrain];
        var c = r[LearningStrategy.Continual];
        Assert.True(c.Auc > n.Auc + 0.004, $"AUC: continual {c.Auc} vs retrain {n.Auc}");
        Assert.True(c.PostDriftAuc > n.PostDriftAuc + 0.003, $"AUC after drift: continual {c.PostDriftAuc} vs retrain {n.PostDriftAuc}");
        // Recall at 1% FPR: on par, not a robust win. Both sides learn FTRL plus an adaptive Hoeffding tree (the retrain
        // grows its tree from scratch on its window); with seed 42 continual leads by +0.009 overall and +0.015 after the
        // drift, but seeds 7 and 11 give 0.000 / +0.017 overall and -0.013 / -0.021 after the drift (perf/results/learning.md).
        // Asserted as "not worse", not as a win.
        Assert.True(c.RecallAt1PctFpr > n.RecallAt1PctFpr - 0.02, $"recall: continual {c.RecallAt1PctFpr} vs retrain {n.RecallAt1PctFpr}");
        // Bucket by bucket after the drift, the continual model ranks at least as well in a majority of buckets. (With the
        // 11 card features this was two thirds; with the 113-feature store the retrain, refit every 30 minutes on richer
        // features, wins more single buckets while losing overall: 8 of 15 with seed 42.)
        var after = r.Buckets.Where(b => b.StartMinute >= r.Options.Simulator.DriftAt.TotalMinutes).ToList();
        int wins = after.Count(b => b.Auc[(int)LearningStrategy.Continual] >= b.Auc[(int)LearningStrategy.Retrain]);
        Assert.True(wins * 2 > after.Count, $"continual ≥ retrain in {wins} of {after.Count} post-drift buckets");
    }

    [Fact]
    public void The_report_renders_a_table_and_a_plot()
    {
        var r = s_report.Value;
        string md = r.ToMarkdown();
        Assert.Contains("| Continual |", md, StringComparison.Ordinal);
        string svg = r.ToSvg();
        var doc = System.Xml.Linq.XDocument.Parse(svg); // well-formed XML
        Assert.Equal(3, doc.Descendants().Count(e => e.Name.LocalName == "polyline"));
        Assert.Equal(r.Buckets.Count, r.Buckets.Select(b => b.StartMinute).Distinct().Count());
    }
}
