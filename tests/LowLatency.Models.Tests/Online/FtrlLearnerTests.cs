using LowLatency.Models.Linear;
using LowLatency.Models.Online;

namespace LowLatency.Models.Tests.Online;

public sealed class FtrlLearnerTests
{
    /// <summary>A random example: mixed scales (some big enough to hit the gradient clip), NaNs, exact zeros, colliding keys.</summary>
    internal static (float[] X, ulong[] Keys) RandomExample(Random rng, int dense, int maxKeys)
    {
        var x = new float[dense];
        for (int i = 0; i < dense; i++)
        {
            double u = rng.NextDouble();
            x[i] = u < 0.1 ? float.NaN : u < 0.2 ? 0f : u < 0.25 ? (float)((rng.NextDouble() - 0.5) * 400) : (float)((rng.NextDouble() * 4) - 2);
        }

        var keys = new ulong[rng.Next(maxKeys + 1)];
        for (int k = 0; k < keys.Length; k++)
        {
            keys[k] = (ulong)rng.Next(40); // few distinct keys in a small table: duplicates and collisions both happen
        }

        return (x, keys);
    }

    [Theory]
    [InlineData(1, 0.1, 1.0, 0.0, 0.0)]
    [InlineData(2, 0.05, 1.0, 0.5, 1.0)]
    [InlineData(3, 0.5, 0.1, 2.0, 0.01)]
    [InlineData(4, 1.0, 0.0, 0.05, 5.0)]
    [InlineData(5, 0.3, 1.0, 0.01, 0.1)]
    public void Follows_the_naive_published_update_on_random_streams(int seed, double alpha, double beta, double l1, double l2)
    {
        // The learner multiplies by 1/α where the paper divides by α and sums the margin in four lanes: a rounding or
        // two per step. Over 4,000 steps the weights and predictions must stay within 1e-9 (relative) of the literal
        // algorithm; a wrong formula, a skipped coordinate or a lost update is off by orders of magnitude more.
        const int Dense = 9, Bits = 5;
        var options = new FtrlOptions { Alpha = alpha, Beta = beta, L1 = l1, L2 = l2, HashBits = Bits, MaxSparseKeys = 8, GradientClip = 3 };
        var learner = new FtrlLearner(Dense, options);
        var naive = new NaiveFtrl(Dense, alpha, beta, l1, l2, Bits, 3);
        var rng = new Random(seed);
        var truth = Enumerable.Range(0, Dense).Select(_ => (rng.NextDouble() * 2) - 1).ToArray();
        double largest = 0;
        for (int t = 0; t < 4000; t++)
        {
            var (x, keys) = RandomExample(rng, Dense, 8);
            double m = keys.Length * 0.1;
            for (int i = 0; i < Dense; i++)
            {
                m += float.IsNaN(x[i]) ? 0 : truth[i] * x[i];
            }

            bool y = rng.NextDouble() < 1 / (1 + Math.Exp(-m));
            AssertCloseWeights(naive, learner, Dense, Bits, t);
            Assert.True(learner.TryUpdate(x, keys, y, out double p));
            double expected = naive.Update(x, keys, y);
            Assert.True(Close(expected, p), $"step {t}: p {p} against {expected}");
            largest = Math.Max(largest, Math.Abs(learner.DenseWeight(0)));
        }

        AssertCloseWeights(naive, learner, Dense, Bits, -1);
        Assert.True(largest > 0.05, $"the weights barely moved ({largest}): the comparison would prove nothing");

        if (l1 > 0.4)
        {
            // L1 is doing its job: with a strong penalty some coordinates sit at exactly zero.
            Assert.Contains(Enumerable.Range(0, 1 << Bits), s => learner.HashedWeight(s) == 0);
        }
    }

    private static bool Close(double expected, double actual) => Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, Math.Abs(expected));

    private static void AssertCloseWeights(NaiveFtrl naive, FtrlLearner learner, int dense, int bits, int step)
    {
        for (int i = 0; i < dense; i++)
        {
            Assert.True(Close(naive.Weight($"d{i}"), learner.DenseWeight(i)), $"step {step}: dense {i}: {learner.DenseWeight(i)} against {naive.Weight($"d{i}")}");
        }

        for (int s = 0; s < 1 << bits; s++)
        {
            Assert.True(Close(naive.Weight($"h{s}"), learner.HashedWeight(s)), $"step {step}: slot {s}");
        }

        Assert.True(Close(naive.Weight("bias"), learner.Bias), $"step {step}: bias");
    }

    [Fact]
    public void The_update_predicts_with_the_margin_it_reports_bit_for_bit()
    {
        // Test-then-train: the probability TryUpdate returns is the one Probability gives just before, and with
        // 13 dense features (a vector and a scalar tail) and up to 8 keys every lane shape is met.
        const int Dense = 13;
        var learner = new FtrlLearner(Dense, new FtrlOptions { HashBits = 6, MaxSparseKeys = 8, L1 = 0.05 });
        var rng = new Random(11);
        for (int t = 0; t < 3000; t++)
        {
            var (x, keys) = RandomExample(rng, Dense, 8);
            double before = learner.Probability(x, keys);
            Assert.True(learner.TryUpdate(x, keys, rng.Next(4) == 0, out double p));
            Assert.Equal(BitConverter.DoubleToInt64Bits(before), BitConverter.DoubleToInt64Bits(p));
        }
    }

    [Fact]
    public void The_one_coordinate_weights_equal_the_vector_kernels_lanes_bit_for_bit()
    {
        // DenseWeight, HashedWeight and Bias (what Snapshot publishes) compute one coordinate's weight; Margin computes
        // every lane with the vector kernel. With one input at 1 and every other missing, the margin is that weight
        // plus the bias in a single rounding, so the two paths must agree to the bit, lane position by lane position
        // (13 dense features: three full vectors and a tail), with L1 zeroing some weights and L2 shrinking the rest.
        const int Dense = 13, Bits = 6;
        var learner = new FtrlLearner(Dense, new FtrlOptions { HashBits = Bits, MaxSparseKeys = 8, L1 = 3.0, L2 = 0.5 });
        var rng = new Random(12);
        for (int t = 0; t < 3000; t++)
        {
            var (x, keys) = RandomExample(rng, Dense, 8);
            Assert.True(learner.TryUpdate(x, keys, rng.Next(3) == 0, out _));
        }

        var probe = new float[Dense];
        int zeros = 0;
        for (int i = 0; i < Dense; i++)
        {
            probe.AsSpan().Fill(float.NaN);
            probe[i] = 1f;
            double expected = learner.DenseWeight(i) + learner.Bias;
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(learner.Margin(probe, [])));
            zeros += learner.DenseWeight(i) == 0 ? 1 : 0;
        }

        probe.AsSpan().Fill(float.NaN);
        for (ulong key = 0; key < 40; key++)
        {
            double expected = learner.HashedWeight(FeatureHasher.Slot(key, Bits)) + learner.Bias;
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(learner.Margin(probe, [key])));
        }

        Assert.InRange(zeros, 1, Dense - 1); // both branches of the L1 threshold were compared
    }

    [Fact]
    public void Log_loss_falls_on_a_separable_stream()
    {
        const int Dense = 6;
        var learner = new FtrlLearner(Dense, new FtrlOptions { HashBits = 10, L1 = 0.001, L2 = 0.001, Alpha = 0.5 });
        var rng = new Random(7);
        double first = 0, last = 0;
        const int N = 20_000, Window = 2000, Start = 200;
        var x = new float[Dense];
        var keys = new ulong[2];
        for (int t = 0; t < N; t++)
        {
            for (int i = 0; i < Dense; i++)
            {
                x[i] = (float)((rng.NextDouble() * 2) - 1);
            }

            keys[0] = (ulong)rng.Next(100);
            keys[1] = 1000 + (ulong)rng.Next(100);
            // Separable: the label is the sign of a fixed hyperplane plus a key effect.
            bool y = (2 * x[0]) - x[1] + (0.5 * x[2]) + (keys[0] < 50 ? 0.3 : -0.3) > 0;
            learner.TryUpdate(x, keys, y, out double p);
            double loss = -Math.Log(Math.Clamp(y ? p : 1 - p, 1e-15, 1));
            if (t < Start)
            {
                first += loss;
            }
            else if (t >= N - Window)
            {
                last += loss;
            }
        }

        first /= Start;
        last /= Window;
        Assert.True(first > 0.3, $"first-window log loss {first}");
        Assert.True(last < 0.15 && last < first / 3, $"log loss {first} -> {last}");
        Assert.True(learner.DenseWeight(0) > 0 && learner.DenseWeight(1) < 0);
    }

    [Fact]
    public void Updates_allocate_nothing_in_steady_state()
    {
        var learner = new FtrlLearner(16, new FtrlOptions { HashBits = 12 });
        var rng = new Random(3);
        var examples = Enumerable.Range(0, 256).Select(_ => RandomExample(rng, 16, 8)).ToArray();
        for (int i = 0; i < 1000; i++)
        {
            var (x, k) = examples[i & 255];
            learner.TryUpdate(x, k, (i & 7) == 0, out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        double sum = 0;
        for (int i = 0; i < 50_000; i++)
        {
            var (x, k) = examples[i & 255];
            learner.TryUpdate(x, k, (i & 7) == 0, out double p);
            sum += p + learner.Margin(x, k);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(double.IsFinite(sum));
    }

    [Fact]
    public void Snapshot_scores_like_the_learner()
    {
        const int Dense = 10;
        var learner = new FtrlLearner(Dense, new FtrlOptions { HashBits = 8, L1 = 0.05 });
        var rng = new Random(11);
        for (int t = 0; t < 5000; t++)
        {
            var (x, k) = RandomExample(rng, Dense, 6);
            learner.TryUpdate(x, k, rng.NextDouble() < (float.IsNaN(x[0]) ? 0.5 : x[0] > 0 ? 0.8 : 0.2), out _);
        }

        LogisticModel model = learner.Snapshot();
        Assert.Equal(8, model.HashBits);
        for (int t = 0; t < 500; t++)
        {
            var (x, k) = RandomExample(rng, Dense, 6);
            double expected = learner.Margin(x, k);
            Assert.Equal(expected, model.MarginScalar(x, k), 1e-3 * (1 + Math.Abs(expected)));
        }
    }

    [Fact]
    public void Restored_state_continues_exactly_like_the_original()
    {
        var options = new FtrlOptions { HashBits = 7, L1 = 0.1, L2 = 0.2 };
        var learner = new FtrlLearner(5, options);
        var rng = new Random(5);
        for (int t = 0; t < 2000; t++)
        {
            var (x, k) = RandomExample(rng, 5, 4);
            learner.TryUpdate(x, k, rng.Next(3) == 0, out _);
        }

        using var buffer = new MemoryStream();
        learner.WriteState(new BinaryWriter(buffer));
        buffer.Position = 0;
        var restored = FtrlLearner.ReadState(new BinaryReader(buffer));
        var clone = learner.Clone();
        Assert.Equal(learner.Updates, restored.Updates);
        for (int t = 0; t < 2000; t++)
        {
            var (x, k) = RandomExample(rng, 5, 4);
            bool y = rng.Next(3) == 0;
            learner.TryUpdate(x, k, y, out double a);
            restored.TryUpdate(x, k, y, out double b);
            clone.TryUpdate(x, k, y, out double c);
            Assert.Equal(a, b);
            Assert.Equal(a, c);
        }
    }

    [Fact]
    public void Corrupt_state_is_a_clear_error()
    {
        var learner = new FtrlLearner(3, new FtrlOptions { HashBits = 4 });
        using var buffer = new MemoryStream();
        learner.WriteState(new BinaryWriter(buffer));
        var bytes = buffer.ToArray();
        bytes[0] ^= 0xFF;
        Assert.Throws<ModelFormatException>(() => FtrlLearner.ReadState(new BinaryReader(new MemoryStream(bytes))));
    }

    [Fact]
    public void Malformed_examples_are_counted_and_not_learned()
    {
        var learner = new FtrlLearner(3, new FtrlOptions { HashBits = 4, MaxSparseKeys = 2 });
        Assert.False(learner.TryUpdate([1f, 2f], [], true, out double p));
        Assert.True(double.IsNaN(p));
        Assert.False(learner.TryUpdate([1f, float.PositiveInfinity, 0f], [], true, out _));
        Assert.False(learner.TryUpdate([1f, 2f, 3f], [1UL, 2UL, 3UL], true, out _));
        Assert.Equal((1, 1, 1, 0), (learner.RejectedShape, learner.RejectedNonFinite, learner.RejectedTooManyKeys, learner.Updates));
        Assert.Equal(0.0, learner.Bias);
        Assert.True(learner.TryUpdate([float.NaN, 1f, 0f], [9UL, 9UL], true, out p));
        Assert.Equal(0.5, p);
    }
}
