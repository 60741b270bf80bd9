using System.Globalization;
using System.Text;

namespace LowLatency.Adapters.Learning;

/// <summary>
/// The learning evaluation repeated over several simulator seeds. One seed's recall at 1% FPR rests on a few thousand
/// frauds and moves by about ±0.01 from seed to seed, as much as the differences between strategies; the mean difference
/// over seeds and its standard error say whether one strategy beats another, where a single seed cannot.
/// </summary>
public sealed class LearningSeedStudy
{
    private LearningSeedStudy(LearningReport[] reports) => Reports = reports;

    /// <summary>One report per seed, in the order the seeds were given.</summary>
    public IReadOnlyList<LearningReport> Reports { get; }

    /// <summary>
    /// Runs <see cref="LearningEvaluation.Run"/> once per seed (the options of <paramref name="template"/> with the
    /// simulator's seed replaced), <paramref name="parallelism"/> seeds at a time. Each run is deterministic, so the
    /// study is too, whatever the parallelism.
    /// </summary>
    public static LearningSeedStudy Run(IReadOnlyList<ulong> seeds, LearningEvaluationOptions template, int parallelism = 2, Action<int>? seedDone = null)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(template);
        if (seeds.Count < 2)
        {
            throw new ArgumentException("A seed study needs at least two seeds.", nameof(seeds));
        }

        var reports = new LearningReport[seeds.Count];
        int done = 0;
        Parallel.For(0, seeds.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, i =>
        {
            reports[i] = LearningEvaluation.Run(template with { Simulator = template.Simulator with { Seed = seeds[i] } });
            seedDone?.Invoke(Interlocked.Increment(ref done));
        });
        return new LearningSeedStudy(reports);
    }

    /// <summary>
    /// Per seed, <paramref name="metric"/> of <paramref name="a"/> minus that of <paramref name="b"/>; their mean and the
    /// standard error of the mean (sample standard deviation / √seeds).
    /// </summary>
    public SeedDifference Difference(LearningStrategy a, LearningStrategy b, Func<StrategyMetrics, double> metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        double[] d = [.. Reports.Select(r => metric(r[a]) - metric(r[b]))];
        double mean = d.Average();
        double variance = d.Sum(x => (x - mean) * (x - mean)) / (d.Length - 1);
        return new SeedDifference(d, mean, Math.Sqrt(variance / d.Length));
    }

    /// <summary>A markdown table: per seed the continual model's AUC and recall and its lead over retraining and static; then mean ± standard error.</summary>
    public string ToMarkdown()
    {
        var o = Reports[0].Options;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Reports.Count} seeds, {o.Duration.TotalMinutes:F0} sim-minutes each, drift at {o.Simulator.DriftAt.TotalMinutes:F0} min, ");
        sb.Append(CultureInfo.InvariantCulture, $"retrain every {o.RetrainEvery.TotalMinutes:F0} min on the last {o.RetrainWindow.TotalMinutes:F0} min. Differences are continual minus the other strategy.\n\n");
        sb.Append("| seed | continual AUC | − retrain | − static | continual recall @1% FPR | − retrain | − static |\n");
        sb.Append("|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var r in Reports)
        {
            var c = r[LearningStrategy.Continual];
            var n = r[LearningStrategy.Retrain];
            var s = r[LearningStrategy.Static];
            sb.Append(CultureInfo.InvariantCulture,
                $"| {r.Options.Simulator.Seed} | {c.Auc:F4} | {c.Auc - n.Auc:+0.0000;-0.0000} | {c.Auc - s.Auc:+0.0000;-0.0000} | {c.RecallAt1PctFpr:F4} | {c.RecallAt1PctFpr - n.RecallAt1PctFpr:+0.0000;-0.0000} | {c.RecallAt1PctFpr - s.RecallAt1PctFpr:+0.0000;-0.0000} |\n");
        }

        var aucR = Difference(LearningStrategy.Continual, LearningStrategy.Retrain, m => m.Auc);
        var aucS = Difference(LearningStrategy.Continual, LearningStrategy.Static, m => m.Auc);
        var recR = Difference(LearningStrategy.Continual, LearningStrategy.Retrain, m => m.RecallAt1PctFpr);
        var recS = Difference(LearningStrategy.Continual, LearningStrategy.Static, m => m.RecallAt1PctFpr);
        double meanAuc = Reports.Average(r => r[LearningStrategy.Continual].Auc);
        double meanRecall = Reports.Average(r => r[LearningStrategy.Continual].RecallAt1PctFpr);
        sb.Append(CultureInfo.InvariantCulture,
            $"| mean ± s.e. | {meanAuc:F4} | {aucR.Mean:+0.0000;-0.0000} ± {aucR.StandardError:0.0000} | {aucS.Mean:+0.0000;-0.0000} ± {aucS.StandardError:0.0000} | {meanRecall:F4} | {recR.Mean:+0.0000;-0.0000} ± {recR.StandardError:0.0000} | {recS.Mean:+0.0000;-0.0000} ± {recS.StandardError:0.0000} |\n");
        return sb.ToString();
    }
}

/// <summary>Per-seed differences of one metric between two strategies, their mean and its standard error.</summary>
/// <param name="PerSeed">The difference for each seed, in the study's order.</param>
/// <param name="Mean">Their mean.</param>
/// <param name="StandardError">Sample standard deviation over √seeds.</param>
public sealed record SeedDifference(IReadOnlyList<double> PerSeed, double Mean, double StandardError);
