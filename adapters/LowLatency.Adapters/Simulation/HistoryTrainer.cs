using LowLatency.Adapters.Load;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models.Training;

namespace LowLatency.Adapters.Simulation;

/// <summary>The model and thresholds learned from a stretch of simulated history, with what it took.</summary>
/// <param name="Model">The trained scorer (version 1).</param>
/// <param name="Policy">Thresholds calibrated on the history's scores.</param>
/// <param name="Transactions">Transactions trained on.</param>
/// <param name="Frauds">Fraudulent ones among them.</param>
/// <param name="TrainingAuc">AUC of the model on its own training rows (a sanity figure, not an evaluation).</param>
/// <param name="Features">
/// The feature state at the end of the history, so the live pipeline continues the same stream with warm windows
/// (pass it to the pipeline, which takes ownership; or dispose it).
/// </param>
public sealed record BootstrapModel(LinearScorer Model, DecisionPolicy Policy, int Transactions, int Frauds, double TrainingAuc, Featurizer Features);

/// <summary>
/// Trains the pipeline's starting model: runs the simulator for a stretch of history, computes each transaction's
/// features with the same code the pipeline runs, labels rows with the ground truth (history whose outcomes are
/// known), fits the logistic model and calibrates thresholds to review and decline rates.
/// </summary>
public static class HistoryTrainer
{
    /// <summary>
    /// Consumes <paramref name="transactions"/> transactions of <paramref name="simulator"/> (labels in between are
    /// skipped), computing features with <paramref name="spec"/> exactly as the pipeline will.
    /// </summary>
    public static BootstrapModel Train(PaymentSimulator simulator, int transactions, FeatureSpec spec, double reviewRate = 0.02, double declineRate = 0.005, Action<double>? progress = null) =>
        Train(new PaymentFlow(simulator ?? throw new ArgumentNullException(nameof(simulator))), transactions, spec, reviewRate, declineRate, progress);

    /// <summary>
    /// Consumes <paramref name="events"/> decided events (transactions or orders) of <paramref name="source"/>, computing
    /// features with <paramref name="spec"/> exactly as the pipeline will; rows are labelled with the ground truth.
    /// </summary>
    public static BootstrapModel Train(IFlowSource source, int events, FeatureSpec spec, double reviewRate = 0.02, double declineRate = 0.005, Action<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(events, 1000);
        if (spec.Event != source.Flow)
        {
            throw new ArgumentException($"The {source.Flow} flow needs a {source.Flow} feature spec; this one is for {spec.Event}.", nameof(spec));
        }

        var features = new Featurizer(FeaturePlan.Compile(spec));
        try
        {
            return Fit(source, events, features, reviewRate, declineRate, progress);
        }
        catch
        {
            features.Dispose();
            throw;
        }
    }

    private static BootstrapModel Fit(IFlowSource source, int transactions, Featurizer features, double reviewRate, double declineRate, Action<double>? progress)
    {
        int columns = features.Count;
        var rows = new float[(long)transactions * columns];
        var labels = new byte[transactions];
        var slot = new PipelineSlot[1];
        int n = 0;
        while (n < transactions)
        {
            ref PipelineSlot e = ref slot[0];
            source.Next(ref e, out GroundTruth truth);
            Span<float> row = rows.AsSpan(n * columns, columns);
            if (e.Kind == MessageKind.Transaction && source.Flow == FeatureEventKind.Transaction)
            {
                features.Process(e.Transaction, row);
            }
            else if (e.Kind == MessageKind.Order && source.Flow == FeatureEventKind.Order)
            {
                features.Process(e.Order, row);
            }
            else
            {
                continue;
            }

            labels[n] = truth.IsFraud ? (byte)1 : (byte)0;
            n++;
            if (progress is not null && (n & 0xFFFF) == 0)
            {
                progress(0.5 * n / transactions);
            }
        }

        var fit = LogisticTrainer.Train(rows, columns, labels);
        var model = new LinearScorer(fit, version: 1);
        var scores = new float[transactions];
        for (int i = 0; i < transactions; i++)
        {
            scores[i] = model.Score(rows.AsSpan(i * columns, columns));
        }

        progress?.Invoke(1.0);
        int frauds = labels.Count(l => l != 0);
        return new BootstrapModel(model, DecisionPolicy.FromRates(scores, reviewRate, declineRate), transactions, frauds, Auc(scores, labels), features);
    }

    /// <summary>Area under the ROC curve by the rank-sum formula (ties get average ranks).</summary>
    public static double Auc(ReadOnlySpan<float> scores, ReadOnlySpan<byte> labels)
    {
        var order = Enumerable.Range(0, scores.Length).ToArray();
        var s = scores.ToArray();
        Array.Sort(s, order);
        double rankSumPositives = 0;
        long positives = 0;
        for (int i = 0; i < s.Length;)
        {
            int j = i;
            while (j + 1 < s.Length && s[j + 1] == s[i])
            {
                j++;
            }

            double averageRank = ((i + j) / 2.0) + 1;
            for (int k = i; k <= j; k++)
            {
                if (labels[order[k]] != 0)
                {
                    rankSumPositives += averageRank;
                    positives++;
                }
            }

            i = j + 1;
        }

        long negatives = s.Length - positives;
        return positives == 0 || negatives == 0 ? double.NaN : (rankSumPositives - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives);
    }
}
