using LowLatency.Adapters.Load;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Online;
using LowLatency.Models.Training;
using LowLatency.Models.Trees;

namespace LowLatency.Adapters.Simulation;

/// <summary>The champion and thresholds learned from a stretch of simulated history, with what it took.</summary>
/// <param name="Model">The starting champion (version 1).</param>
/// <param name="Policy">Thresholds calibrated on the history's scores.</param>
/// <param name="Transactions">Events trained on.</param>
/// <param name="Frauds">Fraudulent ones among them.</param>
/// <param name="TrainingAuc">AUC of the model on its own training rows (a sanity figure, not an evaluation).</param>
/// <param name="Features">
/// The feature state at the end of the history, so the live pipeline continues the same stream with warm windows
/// (pass it to the pipeline, which takes ownership; or dispose it).
/// </param>
/// <param name="Learner">The FTRL state behind the logistic part, for online learning to continue from (null when the champion has none or was loaded).</param>
/// <param name="Scaling">The standardisation <paramref name="Learner"/> works in (its weights are folded back to raw features in the model).</param>
public sealed record BootstrapModel(ServingModel Model, DecisionPolicy Policy, int Transactions, int Frauds, double TrainingAuc, Featurizer Features, FtrlLearner? Learner, InputScaling? Scaling);

/// <summary>
/// Trains the pipeline's starting champion: runs the simulator for a stretch of history, computes each event's features
/// and hashed keys with the same code the pipeline runs, labels rows with the ground truth (history whose outcomes are
/// known), fits the parts the options ask for — a logistic regression by FTRL over dense features and keys, a gradient
/// boosted tree ensemble over the dense features — combines them, and calibrates thresholds to review and decline rates.
/// </summary>
public static class HistoryTrainer
{
    /// <summary>
    /// Consumes <paramref name="transactions"/> transactions of <paramref name="simulator"/> (labels in between are
    /// skipped), computing features with <paramref name="spec"/> exactly as the pipeline will.
    /// </summary>
    public static BootstrapModel Train(PaymentSimulator simulator, int transactions, FeatureSpec spec, BootstrapOptions? options = null, Action<double>? progress = null) =>
        Train(new PaymentFlow(simulator ?? throw new ArgumentNullException(nameof(simulator))), transactions, spec, options, progress);

    /// <summary>
    /// Consumes <paramref name="events"/> decided events (transactions or orders) of <paramref name="source"/>, computing
    /// features with <paramref name="spec"/> exactly as the pipeline will; rows are labelled with the ground truth.
    /// </summary>
    public static BootstrapModel Train(IFlowSource source, int events, FeatureSpec spec, BootstrapOptions? options = null, Action<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(events, 1000);
        options ??= new BootstrapOptions();
        options.Validate();
        if (spec.Event != source.Flow)
        {
            throw new ArgumentException($"The {source.Flow} flow needs a {source.Flow} feature spec; this one is for {spec.Event}.", nameof(spec));
        }

        var features = new Featurizer(FeaturePlan.Compile(spec));
        try
        {
            return Fit(source, events, features, options, progress);
        }
        catch
        {
            features.Dispose();
            throw;
        }
    }

    private static BootstrapModel Fit(IFlowSource source, int events, Featurizer features, BootstrapOptions options, Action<double>? progress)
    {
        if (options.Model is { } given)
        {
            // Refuse a model for another feature layout before spending time on the history.
            given.Layout.Verify(features.Names);
        }

        int columns = features.Count;
        var rows = new float[(long)events * columns];
        var keys = new ulong[(long)events * SparseKeyBuffer.Capacity];
        var keyCounts = new byte[events];
        var labels = new byte[events];
        var slot = new PipelineSlot[1];
        int n = 0;
        while (n < events)
        {
            ref PipelineSlot e = ref slot[0];
            source.Next(ref e, out GroundTruth truth);
            Span<float> row = rows.AsSpan(n * columns, columns);
            Span<ulong> rowKeys = keys.AsSpan(n * SparseKeyBuffer.Capacity, SparseKeyBuffer.Capacity);
            if (e.Kind == MessageKind.Transaction && source.Flow == FeatureEventKind.Transaction)
            {
                features.Process(e.Transaction, row);
                keyCounts[n] = (byte)SparseKeys.Write(e.Transaction, rowKeys);
            }
            else if (e.Kind == MessageKind.Order && source.Flow == FeatureEventKind.Order)
            {
                features.Process(e.Order, row);
                keyCounts[n] = (byte)SparseKeys.Write(e.Order, rowKeys);
            }
            else
            {
                continue;
            }

            labels[n] = truth.IsFraud ? (byte)1 : (byte)0;
            n++;
            if (progress is not null && (n & 0xFFFF) == 0)
            {
                progress(0.4 * n / events);
            }
        }

        ReadOnlySpan<ulong> KeysOf(int i) => keys.AsSpan(i * SparseKeyBuffer.Capacity, keyCounts[i]);
        FtrlLearner? learner = null;
        InputScaling? scaling = null;
        ChampionModel champion;
        if (options.Model is { } model)
        {
            champion = model;
        }
        else
        {
            var layoutNames = features.Names;
            LogisticModel? logistic = null;
            TreeEnsemble? trees = null;
            if (options.Combination != BootstrapCombination.Trees)
            {
                // FTRL learns on standardised features (raw ones span orders of magnitude); the model folds the scaling back.
                scaling = InputScaling.Fit(rows.AsSpan(0, n * columns), columns);
                learner = new FtrlLearner(columns, options.Logistic);
                var z = new float[columns];
                for (int epoch = 0; epoch < options.LogisticEpochs; epoch++)
                {
                    for (int i = 0; i < n; i++)
                    {
                        scaling.Apply(rows.AsSpan(i * columns, columns), z);
                        learner.TryUpdate(z, KeysOf(i), labels[i] != 0, out _);
                    }
                }

                logistic = scaling.Fold(learner.Snapshot());
            }

            progress?.Invoke(0.5);
            if (options.Combination != BootstrapCombination.Logistic)
            {
                trees = GradientBoostingTrainer.Train(rows, columns, labels, options.Trees, layoutNames);
            }

            float w = options.TreeWeight;
            var blend = options.Combination switch
            {
                BootstrapCombination.Blend => new ChampionBlend(ChampionCombination.WeightedMargin, 1 - w, w, 0f),
                BootstrapCombination.Max => new ChampionBlend(ChampionCombination.Max, 1f, 1f, 0f),
                _ => ChampionBlend.Sum,
            };
            champion = new ChampionModel(new ModelLayout(layoutNames, logistic?.HashBits ?? 0), logistic, trees, blend, (scaling ?? InputScaling.Fit(rows.AsSpan(0, n * columns), columns)).Mean.ToArray());
        }

        var scores = new float[n];
        for (int i = 0; i < n; i++)
        {
            scores[i] = champion.Score(rows.AsSpan(i * columns, columns), KeysOf(i)).Probability;
        }

        progress?.Invoke(1.0);
        int frauds = labels.Count(l => l != 0);
        string origin = options.Model is null ? $"bootstrap {options.Combination.ToString().ToLowerInvariant()} on {n} simulated events" : options.ModelOrigin;
        var serving = new ServingModel(champion, version: 1, origin);
        return new BootstrapModel(serving, DecisionPolicy.FromRates(scores, options.ReviewRate, options.DeclineRate), n, frauds, Auc(scores, labels), features, learner, scaling);
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
