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
        // Recall at 1% FPR on one seed is too noisy to order the two (one seed's figure moves by about ±0.01, as much as
        // the lead): with seed 42 continual leads by +0.009, but seeds 2 and 7 give -0.003 and 0.000. The ordering is
        // asserted over ten seeds below; here only "not worse".
        Assert.True(c.RecallAt1PctFpr > n.RecallAt1PctFpr - 0.02, $"recall: continual {c.RecallAt1PctFpr} vs retrain {n.RecallAt1PctFpr}");
        // Bucket by bucket after the drift, the continual model ranks at least as well in a majority of buckets. (With the
        // 11 card features this was two thirds; with the 113-feature store the retrain, refit every 30 minutes on richer
        // features, wins more single buckets while losing overall: 8 of 15 with seed 42.)
        var after = r.Buckets.Where(b => b.StartMinute >= r.Options.Simulator.DriftAt.TotalMinutes).ToList();
        int wins = after.Count(b => b.Auc[(int)LearningStrategy.Continual] >= b.Auc[(int)LearningStrategy.Retrain]);
        Assert.True(wins * 2 > after.Count, $"continual ≥ retrain in {wins} of {after.Count} post-drift buckets");
    }

    /// <summary>
    /// Issue #6's ordering, over seeds 1 to 10 (the whole evaluation once per seed, two at a time, ~20 s): continual beats
    /// the static model on AUC and recall at 1% FPR on every seed, and beats stateless retraining on AUC on every seed and
    /// on recall at 1% FPR on average, by more than twice the mean's standard error.
    /// </summary>
    [Fact]
    public void Over_ten_seeds_continual_learning_beats_retraining_and_a_static_model_on_auc_and_recall()
    {
        var study = LearningSeedStudy.Run([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], new LearningEvaluationOptions());
        output.WriteLine(study.ToMarkdown());
        var aucVsRetrain = study.Difference(LearningStrategy.Continual, LearningStrategy.Retrain, m => m.Auc);
        var recallVsRetrain = study.Difference(LearningStrategy.Continual, LearningStrategy.Retrain, m => m.RecallAt1PctFpr);
        var aucVsStatic = study.Difference(LearningStrategy.Continual, LearningStrategy.Static, m => m.Auc);
        var recallVsStatic = study.Difference(LearningStrategy.Continual, LearningStrategy.Static, m => m.RecallAt1PctFpr);

        Assert.All(aucVsStatic.PerSeed, d => Assert.True(d > 0.005, $"AUC lead over static {d}"));
        Assert.All(recallVsStatic.PerSeed, d => Assert.True(d > 0.03, $"recall lead over static {d}"));
        Assert.All(aucVsRetrain.PerSeed, d => Assert.True(d > 0.002, $"AUC lead over retraining {d}"));
        Assert.True(aucVsRetrain.Mean > 0.005 && aucVsRetrain.Mean > 2 * aucVsRetrain.StandardError, $"AUC lead over retraining {aucVsRetrain}");
        Assert.True(recallVsRetrain.Mean > 0.008 && recallVsRetrain.Mean > 2 * recallVsRetrain.StandardError, $"recall lead over retraining {recallVsRetrain}");
    }

    [Fact]
    public void A_seed_study_is_the_single_runs_side_by_side_and_its_statistics_are_theirs()
    {
        var options = new LearningEvaluationOptions { Duration = TimeSpan.FromMinutes(100) };
        var study = LearningSeedStudy.Run([3, 4, 5], options, parallelism: 2);
        var single = LearningEvaluation.Run(options with { Simulator = options.Simulator with { Seed = 4 } });
        Assert.Equal(single.Strategies, study.Reports[1].Strategies);
        var d = study.Difference(LearningStrategy.Continual, LearningStrategy.Retrain, m => m.Auc);
        double[] want = [.. study.Reports.Select(r => r[LearningStrategy.Continual].Auc - r[LearningStrategy.Retrain].Auc)];
        Assert.Equal(want, d.PerSeed);
        double mean = want.Average();
        Assert.Equal(mean, d.Mean, 12);
        Assert.Equal(Math.Sqrt(want.Sum(x => (x - mean) * (x - mean)) / 2 / 3), d.StandardError, 12);
        Assert.Throws<ArgumentException>(() => LearningSeedStudy.Run([1], options));
        Assert.Contains("| mean ± s.e. |", study.ToMarkdown(), StringComparison.Ordinal);
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
