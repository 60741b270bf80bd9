using System.Globalization;
using System.Text;

namespace LowLatency.Adapters.Learning;

/// <summary>Prequential figures of one strategy over the scored part of the stream.</summary>
/// <param name="Strategy">Which strategy.</param>
/// <param name="Auc">AUC over every transaction after the bootstrap, against ground truth.</param>
/// <param name="RecallAt1PctFpr">Recall at 1% false-positive rate, same transactions.</param>
/// <param name="PostDriftAuc">AUC over the transactions after the drift point.</param>
/// <param name="PostDriftRecallAt1PctFpr">Recall at 1% FPR after the drift point.</param>
/// <param name="NewPatternRecallAt1PctFpr">Share of the post-drift pattern's (AppCryptoEscalation) frauds caught at the 1%-FPR threshold.</param>
public sealed record StrategyMetrics(LearningStrategy Strategy, double Auc, double RecallAt1PctFpr, double PostDriftAuc, double PostDriftRecallAt1PctFpr, double NewPatternRecallAt1PctFpr);

/// <summary>AUC of each strategy over one stretch of stream time.</summary>
/// <param name="StartMinute">Start of the bucket in stream minutes.</param>
/// <param name="Transactions">Transactions scored in it.</param>
/// <param name="Frauds">Fraudulent ones among them.</param>
/// <param name="Auc">AUC per strategy, indexed by <see cref="LearningStrategy"/>.</param>
public sealed record AucBucket(double StartMinute, int Transactions, int Frauds, double[] Auc);

/// <summary>The result of <see cref="LearningEvaluation.Run"/>, with its table and plot.</summary>
public sealed class LearningReport
{
    internal LearningReport(LearningEvaluationOptions options, StrategyMetrics[] strategies, AucBucket[] buckets, long transactions, long frauds, long joined, long notJoined, int retrains)
    {
        Options = options;
        Strategies = strategies;
        Buckets = buckets;
        Transactions = transactions;
        Frauds = frauds;
        Joined = joined;
        NotJoined = notJoined;
        Retrains = retrains;
    }

    /// <summary>The setup.</summary>
    public LearningEvaluationOptions Options { get; }

    /// <summary>Figures per strategy, indexed by <see cref="LearningStrategy"/>.</summary>
    public IReadOnlyList<StrategyMetrics> Strategies { get; }

    /// <summary>AUC over stream time.</summary>
    public IReadOnlyList<AucBucket> Buckets { get; }

    /// <summary>Transactions scored (after the bootstrap).</summary>
    public long Transactions { get; }

    /// <summary>Fraudulent transactions among them.</summary>
    public long Frauds { get; }

    /// <summary>Labels that joined a logged decision and were learned by the continual model.</summary>
    public long Joined { get; }

    /// <summary>Labels that did not join (for bootstrap transactions, which were learned with ground truth).</summary>
    public long NotJoined { get; }

    /// <summary>Times the stateless baseline was retrained.</summary>
    public int Retrains { get; }

    /// <summary>The figures of one strategy.</summary>
    public StrategyMetrics this[LearningStrategy strategy] => Strategies[(int)strategy];

    /// <summary>A markdown table of the figures.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        var o = Options;
        sb.Append(CultureInfo.InvariantCulture, $"Seed {o.Simulator.Seed}, {o.Duration.TotalMinutes:F0} sim-minutes, bootstrap {o.Bootstrap.TotalMinutes:F0} min, drift at {o.Simulator.DriftAt.TotalMinutes:F0} min, ");
        sb.Append(CultureInfo.InvariantCulture, $"retrain every {o.RetrainEvery.TotalMinutes:F0} min on the last {o.RetrainWindow.TotalMinutes:F0} min ({Retrains} retrains). ");
        sb.Append(CultureInfo.InvariantCulture, $"{Transactions:N0} transactions scored ({Frauds:N0} fraud), {Joined:N0} delayed labels learned.\n\n");
        sb.Append("| strategy | AUC | recall @1% FPR | AUC after drift | recall @1% FPR after drift | new-pattern recall @1% FPR |\n");
        sb.Append("|---|---:|---:|---:|---:|---:|\n");
        foreach (var s in Strategies)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {s.Strategy} | {s.Auc:F4} | {s.RecallAt1PctFpr:F4} | {s.PostDriftAuc:F4} | {s.PostDriftRecallAt1PctFpr:F4} | {s.NewPatternRecallAt1PctFpr:F4} |\n");
        }

        return sb.ToString();
    }

    /// <summary>An SVG line chart of AUC per bucket over stream time, the drift point marked.</summary>
    public string ToSvg()
    {
        const double W = 720, H = 360, Left = 60, Right = 150, Top = 30, Bottom = 50;
        double minutes = Options.Duration.TotalMinutes;
        double lo = 0.5, hi = 1.0;
        foreach (var b in Buckets)
        {
            foreach (double a in b.Auc)
            {
                if (double.IsFinite(a))
                {
                    lo = Math.Min(lo, Math.Floor(a * 10) / 10);
                }
            }
        }

        string X(double m) => (Left + ((W - Left - Right) * m / minutes)).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double a) => (Top + ((H - Top - Bottom) * (hi - a) / (hi - lo))).ToString("F1", CultureInfo.InvariantCulture);
        string[] colours = ["#888888", "#1f77b4", "#d62728"];
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"18\" font-size=\"14\">Prequential AUC per {Options.Bucket.TotalMinutes:F0}-minute bucket (seed {Options.Simulator.Seed})</text>\n");
        for (double a = lo; a <= hi + 1e-9; a += 0.1)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{W - Right}\" y1=\"{Y(a)}\" y2=\"{Y(a)}\" stroke=\"#eeeeee\"/><text x=\"{Left - 8}\" y=\"{Y(a)}\" text-anchor=\"end\" dy=\"4\">{a:F1}</text>\n");
        }

        for (double m = 0; m <= minutes + 1e-9; m += 30)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(m)}\" y=\"{H - Bottom + 18}\" text-anchor=\"middle\">{m:F0}</text>\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(minutes / 2)}\" y=\"{H - 10}\" text-anchor=\"middle\">stream time (sim-minutes)</text>\n");
        double drift = Options.Simulator.DriftAt.TotalMinutes;
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(drift)}\" x2=\"{X(drift)}\" y1=\"{Top}\" y2=\"{H - Bottom}\" stroke=\"black\" stroke-dasharray=\"4 3\"/><text x=\"{X(drift)}\" y=\"{Top - 4}\" text-anchor=\"middle\">drift</text>\n");
        double boot = Options.Bootstrap.TotalMinutes;
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(boot)}\" x2=\"{X(boot)}\" y1=\"{Top}\" y2=\"{H - Bottom}\" stroke=\"#999999\" stroke-dasharray=\"2 3\"/><text x=\"{X(boot)}\" y=\"{Top - 4}\" text-anchor=\"middle\">end of bootstrap</text>\n");
        foreach (LearningStrategy s in Enum.GetValues<LearningStrategy>())
        {
            var points = Buckets.Where(b => double.IsFinite(b.Auc[(int)s]))
                .Select(b => $"{X(b.StartMinute + (Options.Bucket.TotalMinutes / 2))},{Y(b.Auc[(int)s])}");
            sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colours[(int)s]}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>\n");
            double ly = Top + 20 + ((int)s * 20);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{W - Right + 10}\" x2=\"{W - Right + 30}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{colours[(int)s]}\" stroke-width=\"2\"/><text x=\"{W - Right + 36}\" y=\"{ly + 4}\">{s}</text>\n");
        }

        sb.Append("</svg>\n");
        return sb.ToString();
    }
}
