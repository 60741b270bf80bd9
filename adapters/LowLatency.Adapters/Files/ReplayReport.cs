using System.Globalization;
using System.Net;
using System.Text;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Metrics;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Files;

/// <summary>
/// The replay report: one self-contained HTML page with inline SVG plots — decision rates over event time, score
/// distribution, processing latency by percentile, and prequential AUC over time when the stream carries labels.
/// </summary>
public static class ReplayReport
{
    /// <summary>Labelled decisions per point of the prequential AUC curve (a sliding window over label arrival).</summary>
    public const int AucWindow = 2000;

    /// <summary>Renders the page.</summary>
    public static string Html(ReplayRecorder recorder, string source, ReplayResult result, PipelineStats stats)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(result);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>lowlat replay report</title>");
        sb.Append("<style>body{font-family:sans-serif;max-width:820px;margin:2em auto}td{padding:2px 10px}</style></head><body>\n");
        sb.Append(inv, $"<h1>Replay report</h1><p>{WebUtility.HtmlEncode(source)}</p>\n<table>");
        void Row(string k, string v) => sb.Append(inv, $"<tr><td>{WebUtility.HtmlEncode(k)}</td><td>{WebUtility.HtmlEncode(v)}</td></tr>");
        Row("Messages", result.Messages.ToString("N0", inv));
        Row("Wall time", $"{result.Elapsed.TotalSeconds:F2} s ({result.MessagesPerSecond:N0} messages/s)");
        Row("Decisions", $"{stats.DecisionsPublished:N0} (approve {stats.Approved:N0}, review {stats.Reviewed:N0}, decline {stats.Declined:N0})");
        Row("Rejected", $"{stats.Rejected:N0} ({result.DecodeRejects:N0} undecodable)");
        Row("Labels", recorder.Labels.Count.ToString("N0", inv));
        foreach (var (label, micros) in LatencyReport.Percentiles(recorder.Latency))
        {
            Row($"Latency {label}", $"{micros:F1} µs");
        }

        sb.Append("</table>\n");
        sb.Append(DecisionRates(recorder.Decisions));
        sb.Append(ScoreDistribution(recorder.Decisions));
        if (recorder.Latency.TotalCount > 0)
        {
            sb.Append(LatencyReport.PercentileSvg("Processing latency (ingest to publish)", [new LatencySeries("replay", recorder.Latency)]));
        }

        var auc = PrequentialAuc(recorder.Decisions, recorder.Labels);
        if (auc.Count > 0)
        {
            var chart = new SvgChart($"Prequential AUC (last {AucWindow} labelled decisions, by label time)", "Label time (hours from the first)", "AUC");
            chart.Scales(auc[0].X, auc[^1].X, 0.5, 1);
            chart.Line(auc, 0, "AUC");
            sb.Append(chart.Render());
        }
        else
        {
            sb.Append("<p>No labels in the stream: no AUC curve.</p>");
        }

        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>
    /// AUC over a sliding window of labelled decisions, in the order labels arrived: each point uses the scores the
    /// engine gave before it knew those labels (test-then-train order). X is hours since the first label.
    /// </summary>
    public static List<(double X, double Y)> PrequentialAuc(IReadOnlyList<DecidedEvent> decisions, IReadOnlyList<SeenLabel> labels)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(labels);
        var scoreOf = new Dictionary<ulong, float>(decisions.Count);
        foreach (var d in decisions)
        {
            scoreOf[d.TxId] = d.Score;
        }

        var joined = labels.Where(l => scoreOf.ContainsKey(l.TxId)).OrderBy(l => l.LabelTimeNs).ToList();
        var points = new List<(double, double)>();
        if (joined.Count < AucWindow / 4)
        {
            return points;
        }

        int window = Math.Min(AucWindow, joined.Count);
        int step = Math.Max(1, (joined.Count - window) / 60);
        long t0 = joined[0].LabelTimeNs;
        var scores = new float[window];
        var classes = new byte[window];
        for (int end = window; end <= joined.Count; end += step)
        {
            for (int i = 0; i < window; i++)
            {
                var l = joined[end - window + i];
                scores[i] = scoreOf[l.TxId];
                classes[i] = l.Fraud ? (byte)1 : (byte)0;
            }

            int positives = classes.Count(c => c == 1);
            if (positives > 0 && positives < window)
            {
                points.Add(((joined[end - 1].LabelTimeNs - t0) / 3.6e12, HistoryTrainer.Auc(scores, classes)));
            }
        }

        return points;
    }

    private static string DecisionRates(List<DecidedEvent> decisions)
    {
        if (decisions.Count == 0)
        {
            return "<p>No decisions.</p>";
        }

        long t0 = decisions.Min(d => d.EventTimeNs), t1 = decisions.Max(d => d.EventTimeNs);
        const int Buckets = 60;
        double width = Math.Max(1, (t1 - t0) / (double)Buckets);
        var counts = new double[3, Buckets];
        foreach (var d in decisions)
        {
            int b = Math.Min(Buckets - 1, (int)((d.EventTimeNs - t0) / width));
            counts[(int)d.Outcome, b]++;
        }

        double perMinute = 60e9 / width;
        var chart = new SvgChart("Decisions per minute of event time", "Event time (hours from the first)", "Decisions / min");
        double max = 0;
        for (int o = 0; o < 3; o++)
        {
            for (int b = 0; b < Buckets; b++)
            {
                max = Math.Max(max, counts[o, b] * perMinute);
            }
        }

        chart.Scales(0, (t1 - t0) / 3.6e12, 0, max * 1.05);
        string[] names = ["approve", "review", "decline"];
        for (int o = 0; o < 3; o++)
        {
            var points = Enumerable.Range(0, Buckets).Select(b => (((b + 0.5) * width) / 3.6e12, counts[o, b] * perMinute)).ToList();
            chart.Line(points, o, names[o]);
        }

        return chart.Render();
    }

    private static string ScoreDistribution(List<DecidedEvent> decisions)
    {
        const int Bins = 50;
        var counts = new double[Bins];
        foreach (var d in decisions)
        {
            counts[Math.Min(Bins - 1, (int)(d.Score * Bins))]++;
        }

        // log10(1 + count): the distribution is dominated by low scores and the tail is what matters.
        var chart = new SvgChart("Score distribution", "Score", "log10(1 + decisions)");
        double max = counts.Max(c => Math.Log10(1 + c));
        chart.Scales(0, 1, 0, Math.Max(1, max));
        chart.Bars([.. Enumerable.Range(0, Bins).Select(b => (b / (double)Bins, (b + 1) / (double)Bins, Math.Log10(1 + counts[b])))], 0, "decisions");
        return chart.Render();
    }

}
