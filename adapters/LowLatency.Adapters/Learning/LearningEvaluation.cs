using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models.Evaluation;
using LowLatency.Models.Online;

namespace LowLatency.Adapters.Learning;

/// <summary>
/// Does continual learning pay? Runs the payment simulator (which adds a new fraud pattern at its drift
/// point), computes each transaction's features with the pipeline's <see cref="Featurizer"/> (the shipped payments spec) plus hashed
/// merchant / MCC / country / channel keys, and keeps three models of one family current in three ways (a
/// <see cref="ChampionLearner"/>: FTRL-Proximal logistic regression plus, by default, an adaptive Hoeffding tree
/// blended into its margin, <see cref="LearningEvaluationOptions.Learner"/>): frozen after
/// the bootstrap (static), retrained from scratch every few minutes on a trailing window of labelled
/// examples (stateless retrain), and updated on every delayed label as it arrives, joined with the features
/// logged at decision time (continual). Every transaction after the bootstrap is scored by all three before
/// anything about it is known (prequential), and judged against the simulator's ground truth. Seeded and
/// deterministic: the same options give the same report.
/// </summary>
public static class LearningEvaluation
{
    private const int KeyCount = 4;

    /// <summary>Runs the evaluation.</summary>
    public static LearningReport Run(LearningEvaluationOptions? options = null, Action<double>? progress = null)
    {
        options ??= new LearningEvaluationOptions();
        var sim = new PaymentSimulator(options.Simulator);
        long start = options.Simulator.StartTimeNs;
        long durationNs = Ns(options.Duration), bootstrapNs = Ns(options.Bootstrap), driftNs = Ns(options.Simulator.DriftAt);
        long retrainEveryNs = Ns(options.RetrainEvery), retrainWindowNs = Ns(options.RetrainWindow);
        using var features = new Featurizer(FeaturePlan.Compile(FeatureSpec.LoadDefault("payments").WithMaxCapacity(Math.Max(1 << 14, options.Simulator.Cards * 4))));
        int dense = features.Count;
        var join = new LabelJoinStore(new LabelJoinOptions { Capacity = 1 << 20, Retention = TimeSpan.FromHours(6), DenseCount = dense, MaxSparseKeys = KeyCount });
        ChampionLearner? frozen = null, continual = null, retrained = null;
        Standardiser? scale = null;
        var history = new List<Labelled>(); // what a retrain may use: (label time, example)
        var scored = new List<Scored>();
        var x = new float[dense];
        var keys = new ulong[KeyCount];
        var e = default(SimEvent);
        long nextRetrain = bootstrapNs + retrainEveryNs;
        int retrains = 0;
        long joined = 0, notJoined = 0;
        while (true)
        {
            sim.Next(ref e);
            long t = e.EventTimeNs - start;
            if (t >= durationNs)
            {
                break;
            }

            if (e.Kind == SimEventKind.Label)
            {
                if (continual is null)
                {
                    notJoined++;
                    continue; // a bootstrap transaction: already learned with its ground truth
                }

                bool fraud = e.Label.Class == LabelClass.Fraud;
                if (join.TryJoin(e.Label.TxId, e.Label.LabelTimeNs, out var ex) == JoinStatus.Joined)
                {
                    joined++;
                    continual.TryUpdate(ex.Dense, ex.Keys, fraud, out _);
                    history.Add(new Labelled(t, ex.Dense.ToArray(), ex.Keys.ToArray(), fraud));
                }
                else
                {
                    notJoined++;
                }

                continue;
            }

            ref readonly var tx = ref e.Transaction;
            features.Process(tx, x);
            Keys(tx, keys);
            bool truth = e.Truth.IsFraud;
            if (t < bootstrapNs)
            {
                // History with known outcomes (as HistoryTrainer uses): every strategy starts from it.
                history.Add(new Labelled(t, (float[])x.Clone(), (ulong[])keys.Clone(), truth));
                continue;
            }

            if (frozen is null)
            {
                // The raw features span five orders of magnitude (counts of busy cards run into the
                // hundreds); every strategy sees them standardised with the bootstrap's mean and spread.
                scale = new Standardiser(history, dense);
                foreach (var h in history)
                {
                    scale.Apply(h.Dense);
                }

                var bootstrap = Train(history, 0, dense, options.BootstrapEpochs, options);
                frozen = bootstrap.Clone();
                continual = bootstrap.Clone();
                retrained = bootstrap;
            }

            scale!.Apply(x);

            if (t >= nextRetrain)
            {
                retrained = Train(history, t - retrainWindowNs, dense, options.RetrainEpochs, options);
                retrains++;
                nextRetrain += retrainEveryNs;
            }

            float s0 = (float)frozen.Probability(x, keys);
            float s1 = (float)retrained!.Probability(x, keys);
            float s2 = (float)continual!.Probability(x, keys);
            scored.Add(new Scored(t, s0, s1, s2, truth, e.Truth.Pattern));
            join.Record(tx.TxId, tx.EventTimeNs, s2, x, keys);
            if (progress is not null && (scored.Count & 0x3FFF) == 0)
            {
                progress((double)t / durationNs);
            }
        }

        progress?.Invoke(1.0);
        return Summarise(options, scored, driftNs, joined, notJoined, retrains);
    }

    /// <summary>A fresh learner (every part from scratch) trained on the examples labelled at or after <paramref name="fromNs"/>.</summary>
    private static ChampionLearner Train(List<Labelled> history, long fromNs, int dense, int epochs, LearningEvaluationOptions options)
    {
        var learner = ChampionLearner.ForLogistic(new FtrlLearner(dense, options.Ftrl), options.Learner);
        int first = history.FindIndex(h => h.LabelTimeNs >= fromNs);
        for (int epoch = 0; epoch < epochs && first >= 0; epoch++)
        {
            for (int i = first; i < history.Count; i++)
            {
                var h = history[i];
                learner.TryUpdate(h.Dense, h.Keys, h.Label, out _);
            }
        }

        return learner;
    }

    private static LearningReport Summarise(LearningEvaluationOptions options, List<Scored> scored, long driftNs, long joined, long notJoined, int retrains)
    {
        var strategies = new StrategyMetrics[3];
        var after = scored.Where(s => s.TimeNs >= driftNs).ToList();
        for (int k = 0; k < 3; k++)
        {
            var all = Window(scored, k);
            var post = Window(after, k);
            strategies[k] = new StrategyMetrics((LearningStrategy)k, all.Auc(), all.RecallAtFpr(0.01), post.Auc(), post.RecallAtFpr(0.01), PatternRecall(after, k, FraudPattern.AppCryptoEscalation));
        }

        long bucketNs = Ns(options.Bucket);
        var buckets = new List<AucBucket>();
        foreach (var group in scored.GroupBy(s => s.TimeNs / bucketNs).OrderBy(g => g.Key))
        {
            var items = group.ToList();
            var auc = new double[3];
            for (int k = 0; k < 3; k++)
            {
                auc[k] = Window(items, k).Auc();
            }

            buckets.Add(new AucBucket(group.Key * options.Bucket.TotalMinutes, items.Count, items.Count(s => s.Fraud), auc));
        }

        return new LearningReport(options, strategies, [.. buckets], scored.Count, scored.Count(s => s.Fraud), joined, notJoined, retrains);
    }

    private static PrequentialWindow Window(List<Scored> items, int strategy)
    {
        var w = new PrequentialWindow(Math.Max(2, items.Count));
        foreach (var s in items)
        {
            w.Add(s.Score(strategy), s.Fraud);
        }

        return w;
    }

    /// <summary>Share of one pattern's frauds scoring above the threshold that flags 1% of genuine transactions.</summary>
    private static double PatternRecall(List<Scored> items, int strategy, FraudPattern pattern)
    {
        var negatives = items.Where(s => !s.Fraud).Select(s => s.Score(strategy)).OrderByDescending(v => v).ToArray();
        var target = items.Where(s => s.Pattern == pattern).ToList();
        if (negatives.Length == 0 || target.Count == 0)
        {
            return double.NaN;
        }

        float threshold = negatives[Math.Min(negatives.Length - 1, (int)(0.01 * negatives.Length))];
        return target.Count(s => s.Score(strategy) > threshold) / (double)target.Count;
    }

    /// <summary>The pipeline's own hashed keys of a transaction (merchant, MCC, country, channel × entry mode).</summary>
    private static void Keys(in Transaction tx, Span<ulong> keys) => SparseKeys.Write(tx, keys);

    private static long Ns(TimeSpan span) => span.Ticks * 100;

    /// <summary>Per-column (x − mean) / sd, clamped to ±8 sd; NaN stays NaN (missing).</summary>
    private sealed class Standardiser
    {
        private readonly float[] _mean;
        private readonly float[] _inverseSd;

        public Standardiser(List<Labelled> rows, int columns)
        {
            _mean = new float[columns];
            _inverseSd = new float[columns];
            for (int j = 0; j < columns; j++)
            {
                double sum = 0, sumSq = 0;
                long n = 0;
                foreach (var r in rows)
                {
                    float v = r.Dense[j];
                    if (float.IsFinite(v))
                    {
                        sum += v;
                        sumSq += (double)v * v;
                        n++;
                    }
                }

                double mean = n > 0 ? sum / n : 0;
                double sd = n > 1 ? Math.Sqrt(Math.Max(0, (sumSq / n) - (mean * mean))) : 0;
                _mean[j] = (float)mean;
                _inverseSd[j] = sd > 1e-9 ? (float)(1 / sd) : 0f; // a constant column carries nothing
            }
        }

        public void Apply(Span<float> x)
        {
            for (int j = 0; j < x.Length; j++)
            {
                x[j] = Math.Clamp((x[j] - _mean[j]) * _inverseSd[j], -8f, 8f);
            }
        }
    }

    private readonly record struct Labelled(long LabelTimeNs, float[] Dense, ulong[] Keys, bool Label);

    private readonly record struct Scored(long TimeNs, float Static, float Retrain, float Continual, bool Fraud, FraudPattern Pattern)
    {
        public float Score(int strategy) => strategy switch { 0 => Static, 1 => Retrain, _ => Continual };
    }
}
