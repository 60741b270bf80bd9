using LowLatency.Models.Training;

namespace LowLatency.Models.Tests.Training;

public class LogisticTrainerTests
{
    private static (float[] Rows, byte[] Labels) Synthetic(int n, double[] trueW, double trueB, int seed, double offsetScale)
    {
        var rng = new Random(seed);
        int c = trueW.Length;
        var rows = new float[n * c];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            double z = trueB;
            for (int j = 0; j < c; j++)
            {
                // Columns on very different scales and offsets, as raw features are (amounts vs counts).
                double raw = (rng.NextDouble() * 2 - 1) * (j + 1) * offsetScale + (j * 10);
                rows[(i * c) + j] = (float)raw;
                z += trueW[j] * raw;
            }

            labels[i] = rng.NextDouble() < 1 / (1 + Math.Exp(-z)) ? (byte)1 : (byte)0;
        }

        return (rows, labels);
    }

    [Fact]
    public void Recovers_the_weights_of_the_model_that_generated_the_data()
    {
        double[] trueW = [1.5, -0.8, 0.25, 0.0];
        double trueB = -0.5 - (trueW[1] * 10) - (trueW[2] * 20);
        var (rows, labels) = Synthetic(60_000, trueW, trueB, seed: 7, offsetScale: 1.0);

        var fit = LogisticTrainer.Train(rows, trueW.Length, labels, new LogisticTrainerOptions { BalanceClasses = false, L2 = 0, Epochs = 6 });

        for (int j = 0; j < trueW.Length; j++)
        {
            Assert.InRange(fit.Weights[j], trueW[j] - 0.12, trueW[j] + 0.12);
        }

        // The intercept absorbs the columns' offsets, so compare what it is for: the probabilities.
        double worst = 0;
        for (int i = 0; i < 2_000; i++)
        {
            double zTrue = trueB, zFit = fit.Bias;
            for (int j = 0; j < trueW.Length; j++)
            {
                zTrue += trueW[j] * rows[(i * trueW.Length) + j];
                zFit += fit.Weights[j] * rows[(i * trueW.Length) + j];
            }

            worst = Math.Max(worst, Math.Abs((1 / (1 + Math.Exp(-zTrue))) - (1 / (1 + Math.Exp(-zFit)))));
        }

        Assert.True(worst < 0.05, $"largest probability error {worst}");
    }

    [Fact]
    public void Class_balancing_keeps_scores_calibrated_to_the_base_rate()
    {
        double[] trueW = [2.0, 1.0];
        var (rows, labels) = Synthetic(40_000, trueW, trueB: -6.5 - 10, seed: 3, offsetScale: 1.0);
        double baseRate = labels.Average(l => (double)l);
        Assert.InRange(baseRate, 0.005, 0.2); // a rare positive class, which is the point of the test

        var fit = LogisticTrainer.Train(rows, trueW.Length, labels);

        double meanScore = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double z = fit.Bias + (fit.Weights[0] * rows[2 * i]) + (fit.Weights[1] * rows[(2 * i) + 1]);
            meanScore += 1 / (1 + Math.Exp(-z));
        }

        meanScore /= labels.Length;
        Assert.InRange(meanScore, baseRate * 0.5, baseRate * 2.0);
    }

    [Fact]
    public void Same_rows_give_bit_identical_weights()
    {
        var (rows, labels) = Synthetic(5_000, [1.0, -1.0, 0.5], -1, seed: 11, offsetScale: 3.0);
        var a = LogisticTrainer.Train(rows, 3, labels);
        var b = LogisticTrainer.Train(rows, 3, labels);
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.Bias, b.Bias);
    }

    [Fact]
    public void Missing_values_are_imputed_with_the_column_mean_and_constant_columns_get_no_weight()
    {
        var rows = new float[] { 1, 5, float.NaN, 5, 3, 5, 4, 5 };
        var labels = new byte[] { 0, 1, 0, 1 };
        var fit = LogisticTrainer.Train(rows, 2, labels);
        Assert.Equal((1 + 3 + 4) / 3f, fit.ImputeValues[0], 5);
        Assert.Equal(0f, fit.Weights[1]);
    }

    [Fact]
    public void Mismatched_shapes_are_refused_with_a_message()
    {
        var ex = Assert.Throws<ArgumentException>(() => LogisticTrainer.Train(new float[5], 2, new byte[2]));
        Assert.Contains("multiple of 2", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => LogisticTrainer.Train(new float[4], 2, new byte[3]));
        Assert.Contains("2 rows but 3 labels", ex.Message, StringComparison.Ordinal);
    }
}
