using LowLatency.Models.Training;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests.Training;

public class GradientBoostingTrainerTests
{
    /// <summary>Rows with a few distinct values per column (fewer than the bins), so every value boundary is a candidate cut.</summary>
    private static (float[] Rows, byte[] Labels) Coarse(int n, int columns, int seed, Func<float[], double> probability)
    {
        var rng = new Random(seed);
        var rows = new float[n * columns];
        var labels = new byte[n];
        var x = new float[columns];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                x[j] = rng.Next(0, 8) * 0.5f;
            }

            x.CopyTo(rows, i * columns);
            labels[i] = rng.NextDouble() < probability(x) ? (byte)1 : (byte)0;
        }

        return (rows, labels);
    }

    private static double LogLoss(TreeEnsemble model, float[] rows, byte[] labels, int columns)
    {
        double loss = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double p = Math.Clamp(model.Predict(rows.AsSpan(i * columns, columns)), 1e-7, 1 - 1e-7);
            loss -= labels[i] != 0 ? Math.Log(p) : Math.Log(1 - p);
        }

        return loss / labels.Length;
    }

    [Fact]
    public void The_first_split_is_the_one_an_exhaustive_search_over_every_threshold_finds()
    {
        const int Columns = 4;
        var (rows, labels) = Coarse(3000, Columns, seed: 1, x => x[2] >= 2f ? 0.7 : 0.2);
        var options = new GradientBoostingOptions { Trees = 1, MaxDepth = 1, RowSubsample = 1, LearningRate = 0.3, L2 = 2 };
        var model = GradientBoostingTrainer.Train(rows, Columns, labels, options);

        // Reference: every feature, every distinct value as the threshold (left: x < t), gain of the logistic
        // second-order step from the prior, as written in the XGBoost paper.
        double prior = labels.Average(l => (double)l);
        double g(int i) => prior - labels[i];
        double h = prior * (1 - prior);
        double lambda = options.L2;
        double gAll = Enumerable.Range(0, labels.Length).Sum(g), hAll = h * labels.Length;
        (int Feature, float Threshold, double Gain, double GL, double HL) best = (-1, 0, double.MinValue, 0, 0);
        for (int f = 0; f < Columns; f++)
        {
            foreach (float t in Enumerable.Range(0, labels.Length).Select(i => rows[(i * Columns) + f]).Distinct().Order())
            {
                var left = Enumerable.Range(0, labels.Length).Where(i => rows[(i * Columns) + f] < t).ToArray();
                if (left.Length == 0 || left.Length == labels.Length)
                {
                    continue;
                }

                double gl = left.Sum(g), hl = h * left.Length, gr = gAll - gl, hr = hAll - hl;
                double gain = (gl * gl / (hl + lambda)) + (gr * gr / (hr + lambda)) - (gAll * gAll / (hAll + lambda));
                if (gain > best.Gain + 1e-9)
                {
                    best = (f, t, gain, gl, hl);
                }
            }
        }

        var tree = model.ToSpecs()[0];
        Assert.Equal(best.Feature, tree.Feature[0]);
        Assert.Equal(best.Threshold, tree.Threshold[0]);
        Assert.Equal(2f, tree.Threshold[0]);
        double leftLeaf = -options.LearningRate * best.GL / (best.HL + lambda);
        double rightLeaf = -options.LearningRate * (gAll - best.GL) / (hAll - best.HL + lambda);
        Assert.Equal(leftLeaf, tree.LeafValue[tree.Left[0]], 1e-5);
        Assert.Equal(rightLeaf, tree.LeafValue[tree.Right[0]], 1e-5);
        Assert.Equal(Math.Log(prior / (1 - prior)), model.BaseMargin, 1e-5);
        // Cover is the hessian each node saw: what Saabas reason codes weight paths by.
        Assert.Equal(hAll, tree.Cover![0], 1e-2);
    }

    [Fact]
    public void Missing_values_follow_the_side_that_gains_more()
    {
        // NaN in column 0 for a quarter of the rows, all of them as risky as the high values.
        var rng = new Random(3);
        int n = 4000;
        var rows = new float[n];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int kind = rng.Next(4);
            rows[i] = kind == 0 ? float.NaN : rng.Next(0, 10);
            double p = kind == 0 || rows[i] >= 5 ? 0.8 : 0.1;
            labels[i] = rng.NextDouble() < p ? (byte)1 : (byte)0;
        }

        var model = GradientBoostingTrainer.Train(rows, 1, labels, new GradientBoostingOptions { Trees = 1, MaxDepth = 1, RowSubsample = 1 });
        var tree = model.ToSpecs()[0];
        Assert.Equal(5f, tree.Threshold[0]);
        Assert.False(tree.DefaultLeft[0]); // NaN goes right, with the high values
        Assert.Equal(model.Margin([7f]), model.Margin([float.NaN]));
        Assert.True(model.Margin([float.NaN]) > model.Margin([1f]));
    }

    [Fact]
    public void Boosted_trees_learn_an_interaction_a_logistic_regression_cannot()
    {
        // Fraud when exactly one of two signals is high (XOR): no linear boundary separates it.
        static double Xor(float[] x) => (x[0] >= 2) != (x[1] >= 2) ? 0.95 : 0.02;
        var (train, trainLabels) = Coarse(20_000, 3, seed: 5, Xor);
        var (test, testLabels) = Coarse(5_000, 3, seed: 6, Xor);
        var trees = GradientBoostingTrainer.Train(train, 3, trainLabels, new GradientBoostingOptions { Trees = 20, MaxDepth = 3 });
        var linear = LogisticTrainer.Train(train, 3, trainLabels);

        var treeScores = Enumerable.Range(0, testLabels.Length).Select(i => trees.Margin(test.AsSpan(i * 3, 3))).ToArray();
        var linearScores = Enumerable.Range(0, testLabels.Length).Select(i => linear.Bias + linear.Weights.Select((w, j) => w * test[(i * 3) + j]).Sum()).ToArray();
        double treeAuc = Auc(treeScores, testLabels), linearAuc = Auc(linearScores, testLabels);
        Assert.True(treeAuc > 0.9, $"trees AUC {treeAuc}");
        Assert.True(linearAuc < 0.65, $"logistic AUC {linearAuc}");
    }

    [Fact]
    public void More_rounds_lower_the_training_loss_below_the_prior()
    {
        var (rows, labels) = Coarse(5_000, 5, seed: 8, x => 1 / (1 + Math.Exp(-(x[0] - x[3] + (x[1] * x[2] / 4) - 1))));
        double prior = labels.Average(l => (double)l);
        double priorLoss = -((prior * Math.Log(prior)) + ((1 - prior) * Math.Log(1 - prior)));
        double few = LogLoss(GradientBoostingTrainer.Train(rows, 5, labels, new GradientBoostingOptions { Trees = 3 }), rows, labels, 5);
        double many = LogLoss(GradientBoostingTrainer.Train(rows, 5, labels, new GradientBoostingOptions { Trees = 30 }), rows, labels, 5);
        Assert.True(few < priorLoss - 0.02, $"3 trees {few} vs prior {priorLoss}");
        Assert.True(many < few - 0.02, $"30 trees {many} vs 3 trees {few}");
    }

    [Fact]
    public void The_same_rows_and_seed_give_the_same_trees_and_another_seed_does_not()
    {
        var (rows, labels) = Coarse(4_000, 4, seed: 9, x => x[0] > 1.5 ? 0.6 : 0.1);
        var o = new GradientBoostingOptions { Trees = 5, MaxDepth = 3, RowSubsample = 0.5, Seed = 11 };
        float[] Margins(TreeEnsemble m) => [.. Enumerable.Range(0, labels.Length).Select(i => m.Margin(rows.AsSpan(i * 4, 4)))];
        var a = Margins(GradientBoostingTrainer.Train(rows, 4, labels, o));
        var b = Margins(GradientBoostingTrainer.Train(rows, 4, labels, o));
        var c = Margins(GradientBoostingTrainer.Train(rows, 4, labels, o with { Seed = 12 }));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Bad_input_and_options_are_refused_with_the_reason()
    {
        Assert.Contains("multiple of 3", Assert.Throws<ArgumentException>(() => GradientBoostingTrainer.Train(new float[10], 3, new byte[3])).Message, StringComparison.Ordinal);
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => GradientBoostingTrainer.Train(new float[9], 3, new byte[2])).Message, StringComparison.Ordinal);
        Assert.Contains("MaxDepth", Assert.Throws<ArgumentException>(() => GradientBoostingTrainer.Train(new float[9], 3, new byte[3], new GradientBoostingOptions { MaxDepth = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("Bins", Assert.Throws<ArgumentException>(() => GradientBoostingTrainer.Train(new float[9], 3, new byte[3], new GradientBoostingOptions { Bins = 300 })).Message, StringComparison.Ordinal);
    }

    /// <summary>Rank-sum AUC with average ranks for ties.</summary>
    private static double Auc(float[] scores, byte[] labels)
    {
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        long positives = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }

            for (int k = i; k <= j; k++)
            {
                if (labels[order[k]] != 0)
                {
                    rankSum += ((i + j) / 2.0) + 1;
                    positives++;
                }
            }

            i = j + 1;
        }

        long negatives = scores.Length - positives;
        return (rankSum - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives);
    }
}
