namespace LowLatency.Models.Training;

/// <summary>
/// Batch trainer for a dense logistic regression: standardises the columns, runs deterministic
/// mini-batch Adam with L2, and folds the standardisation back into the weights so the result scores
/// raw feature values. It runs off the hot path (start-up, or the learner's stateless-retrain baseline),
/// so clarity wins over speed here; determinism does not bend: same rows in the same order, same weights.
/// </summary>
public static class LogisticTrainer
{
    /// <summary>
    /// Trains on <paramref name="rows"/> (row-major, <paramref name="columns"/> per row; NaN = missing,
    /// imputed with the column mean) against 0/1 <paramref name="labels"/>.
    /// </summary>
    public static LogisticFit Train(ReadOnlySpan<float> rows, int columns, ReadOnlySpan<byte> labels, LogisticTrainerOptions? options = null)
    {
        options ??= new LogisticTrainerOptions();
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        if (rows.Length % columns != 0)
        {
            throw new ArgumentException($"rows has {rows.Length} values, not a multiple of {columns} columns.", nameof(rows));
        }

        int n = rows.Length / columns;
        if (n != labels.Length)
        {
            throw new ArgumentException($"{n} rows but {labels.Length} labels.", nameof(labels));
        }

        if (n == 0)
        {
            throw new ArgumentException("No training rows.", nameof(rows));
        }

        var mean = new double[columns];
        var scale = new double[columns];
        ComputeStandardisation(rows, columns, mean, scale);

        // Standardised copy, NaN imputed to the mean (0 after standardisation).
        var x = new double[rows.Length];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                float v = rows[(i * columns) + j];
                x[(i * columns) + j] = float.IsFinite(v) ? (v - mean[j]) / scale[j] : 0.0;
            }
        }

        double positives = 0;
        foreach (byte label in labels)
        {
            positives += label != 0 ? 1 : 0;
        }

        // Class weighting keeps a rare positive class (fraud is ~1%) from being drowned out.
        double positiveWeight = options.BalanceClasses && positives > 0 && positives < n ? (n - positives) / positives : 1.0;

        var w = new double[columns];
        double b = 0;
        var m = new double[columns + 1];
        var v2 = new double[columns + 1];
        var grad = new double[columns + 1];
        const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
        long step = 0;
        long totalSteps = (long)options.Epochs * ((n + options.BatchSize - 1) / options.BatchSize);

        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            for (int start = 0; start < n; start += options.BatchSize)
            {
                int end = Math.Min(n, start + options.BatchSize);
                Array.Clear(grad);
                double weightSum = 0;
                for (int i = start; i < end; i++)
                {
                    var xi = x.AsSpan(i * columns, columns);
                    double z = b;
                    for (int j = 0; j < columns; j++)
                    {
                        z += w[j] * xi[j];
                    }

                    double y = labels[i] != 0 ? 1.0 : 0.0;
                    double sw = labels[i] != 0 ? positiveWeight : 1.0;
                    double err = sw * (Sigmoid(z) - y);
                    weightSum += sw;
                    for (int j = 0; j < columns; j++)
                    {
                        grad[j] += err * xi[j];
                    }

                    grad[columns] += err;
                }

                step++;
                double c1 = 1 - Math.Pow(Beta1, step), c2 = 1 - Math.Pow(Beta2, step);
                // Linear decay to 5% of the rate: constant-rate Adam keeps jittering around the optimum.
                double rate = options.LearningRate * (1.0 - (0.95 * (step - 1) / Math.Max(1, totalSteps - 1)));
                for (int j = 0; j <= columns; j++)
                {
                    double g = grad[j] / weightSum;
                    if (j < columns)
                    {
                        g += options.L2 * w[j];
                    }

                    m[j] = (Beta1 * m[j]) + ((1 - Beta1) * g);
                    v2[j] = (Beta2 * v2[j]) + ((1 - Beta2) * g * g);
                    double delta = rate * (m[j] / c1) / (Math.Sqrt(v2[j] / c2) + Epsilon);
                    if (j < columns)
                    {
                        w[j] -= delta;
                    }
                    else
                    {
                        b -= delta;
                    }
                }
            }
        }

        // Fold standardisation: w·((x - mean) / scale) + b = (w / scale)·x + (b - Σ w mean / scale).
        var weights = new float[columns];
        var impute = new float[columns];
        double bias = b;
        for (int j = 0; j < columns; j++)
        {
            weights[j] = (float)(w[j] / scale[j]);
            bias -= w[j] * mean[j] / scale[j];
            impute[j] = (float)mean[j];
        }

        // Undo the class weighting's shift of the intercept so scores stay calibrated probabilities.
        bias -= Math.Log(positiveWeight);
        return new LogisticFit(weights, (float)bias, impute);
    }

    private static void ComputeStandardisation(ReadOnlySpan<float> rows, int columns, double[] mean, double[] scale)
    {
        int n = rows.Length / columns;
        var count = new long[columns];
        var sumSq = new double[columns];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                float v = rows[(i * columns) + j];
                if (float.IsFinite(v))
                {
                    count[j]++;
                    mean[j] += v;
                }
            }
        }

        for (int j = 0; j < columns; j++)
        {
            mean[j] = count[j] > 0 ? mean[j] / count[j] : 0;
        }

        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                float v = rows[(i * columns) + j];
                if (float.IsFinite(v))
                {
                    double d = v - mean[j];
                    sumSq[j] += d * d;
                }
            }
        }

        for (int j = 0; j < columns; j++)
        {
            double sd = count[j] > 1 ? Math.Sqrt(sumSq[j] / (count[j] - 1)) : 0;
            scale[j] = sd > 1e-12 ? sd : 1.0; // a constant column keeps weight 0 instead of dividing by zero
        }
    }

    private static double Sigmoid(double z) => z >= 0 ? 1.0 / (1.0 + Math.Exp(-z)) : Math.Exp(z) / (1.0 + Math.Exp(z));
}

/// <summary>The trained weights over raw features, with the per-column values that stand in for missing ones.</summary>
/// <param name="Weights">One weight per column, applied to raw (unstandardised) values.</param>
/// <param name="Bias">Intercept.</param>
/// <param name="ImputeValues">Column means used for NaN (missing) inputs, at training and at scoring time.</param>
public sealed record LogisticFit(float[] Weights, float Bias, float[] ImputeValues);

/// <summary>Training knobs with sane defaults for a few hundred thousand rows.</summary>
public sealed class LogisticTrainerOptions
{
    /// <summary>Passes over the data (default 8).</summary>
    public int Epochs { get; init; } = 8;
    /// <summary>Rows per gradient step (default 256).</summary>
    public int BatchSize { get; init; } = 256;
    /// <summary>Adam step size (default 0.05).</summary>
    public double LearningRate { get; init; } = 0.05;
    /// <summary>L2 penalty on the standardised weights (default 1e-4).</summary>
    public double L2 { get; init; } = 1e-4;
    /// <summary>Weight positives by negatives/positives during training (default true).</summary>
    public bool BalanceClasses { get; init; } = true;

    internal void Validate()
    {
        if (Epochs <= 0 || BatchSize <= 0 || !(LearningRate > 0) || !(L2 >= 0))
        {
            throw new ArgumentException($"Invalid trainer options: Epochs={Epochs}, BatchSize={BatchSize}, LearningRate={LearningRate}, L2={L2} (need positive epochs, batch and rate; L2 >= 0).");
        }
    }
}
