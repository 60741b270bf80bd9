using LowLatency.Models.Online;

namespace LowLatency.Models.Tests.Online;

public sealed class HoeffdingTreeTests
{
    // The concept: positive when x1 > 0.6 or x3 < 0.25 (axis-aligned, two features of five matter).
    private static bool Concept(float[] x) => x[1] > 0.6f || x[3] < 0.25f;

    private static float[] Uniform(Random rng, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)rng.NextDouble();
        }

        return x;
    }

    [Fact]
    public void Learns_a_known_axis_aligned_concept()
    {
        var tree = new HoeffdingTree(5, new HoeffdingTreeOptions { GracePeriod = 200, Delta = 1e-7 });
        var rng = new Random(21);
        for (int i = 0; i < 40_000; i++)
        {
            var x = Uniform(rng, 5);
            tree.Learn(x, Concept(x));
        }

        int correct = 0;
        const int Test = 5000;
        for (int i = 0; i < Test; i++)
        {
            var x = Uniform(rng, 5);
            correct += (tree.Probability(x) > 0.5) == Concept(x) ? 1 : 0;
        }

        Assert.True(correct > 0.97 * Test, $"accuracy {correct / (double)Test}");
        var first = tree.Splits[0];
        Assert.Contains(first.Feature, new[] { 1, 3 });
        Assert.Equal(first.Feature == 1 ? 0.6 : 0.25, first.Threshold, 0.07);
        // Every split is on a feature the concept uses.
        foreach (var split in tree.Splits)
        {
            Assert.Contains(split.Feature, new[] { 1, 3 });
        }
    }

    [Fact]
    public void Every_split_satisfies_the_hoeffding_bound()
    {
        const double Delta = 1e-5, Tau = 0.02;
        var tree = new HoeffdingTree(4, new HoeffdingTreeOptions { GracePeriod = 100, Delta = Delta, TieThreshold = Tau });
        var rng = new Random(4);
        for (int i = 0; i < 60_000; i++)
        {
            var x = Uniform(rng, 4);
            // A weak, noisy concept: the bound, not the data, decides when splits happen.
            bool y = rng.NextDouble() < (x[0] > 0.5 ? 0.65 : 0.35) + (x[2] < 0.3 ? 0.1 : 0);
            tree.Learn(x, y);
        }

        Assert.NotEmpty(tree.Splits.ToArray());
        // The weak signal cannot pass the bound at the first attempt: the root waited for evidence.
        Assert.True(tree.Splits[0].Examples > 500, $"root split after {tree.Splits[0].Examples} examples");
        foreach (var s in tree.Splits)
        {
            double epsilon = Math.Sqrt(Math.Log(1 / Delta) / (2.0 * s.Examples));
            Assert.Equal(epsilon, s.Epsilon, 12);
            Assert.True(s.BestGain - s.SecondGain > epsilon || epsilon < Tau, $"split at n={s.Examples}: {s.BestGain} - {s.SecondGain} vs ε={epsilon}");
            Assert.True(s.BestGain >= s.SecondGain);
        }
    }

    [Fact]
    public void Pure_noise_never_splits()
    {
        var tree = new HoeffdingTree(6, new HoeffdingTreeOptions { GracePeriod = 200, Delta = 1e-7, TieThreshold = 0.01 });
        var rng = new Random(8);
        for (int i = 0; i < 50_000; i++)
        {
            tree.Learn(Uniform(rng, 6), rng.Next(2) == 0);
        }

        Assert.Equal(1, tree.NodeCount);
    }

    [Fact]
    public void Snapshot_scores_like_the_tree_and_learning_allocates_nothing()
    {
        var tree = new HoeffdingTree(5, new HoeffdingTreeOptions { GracePeriod = 100, MaxNodes = 255 });
        var rng = new Random(2);
        var data = Enumerable.Range(0, 512).Select(_ => Uniform(rng, 5)).ToArray();
        for (int i = 0; i < 20_000; i++)
        {
            var x = data[i & 511];
            tree.Learn(x, Concept(x) ^ (rng.Next(20) == 0));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20_000; i++)
        {
            var x = data[i & 511];
            tree.Learn(x, Concept(x));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        var model = tree.Snapshot();
        Assert.True(tree.NodeCount > 1);
        for (int i = 0; i < 1000; i++)
        {
            var x = Uniform(rng, 5);
            if (i % 7 == 0)
            {
                x[i % 5] = float.NaN;
            }

            Assert.Equal(tree.Probability(x), model.Predict(x), 5);
        }
    }

    [Fact]
    public void Normal_cdf_approximation_is_accurate()
    {
        // Reference values of Φ from tables.
        Assert.Equal(0.5, HoeffdingTree.NormalCdf(0), 6);
        Assert.Equal(0.841344746, HoeffdingTree.NormalCdf(1), 6);
        Assert.Equal(0.022750132, HoeffdingTree.NormalCdf(-2), 6);
        Assert.Equal(0.998650102, HoeffdingTree.NormalCdf(3), 6);
    }

    /// <summary>
    /// Prequential accuracy over the 10,000 examples after an abrupt concept change at 30,000 (x1 &gt; 0.6
    /// becomes x2 &lt; 0.4), and over the last 5000 of 60,000.
    /// </summary>
    private static (double Recovery, double Final) AccuracyAfterChange(HoeffdingTree tree, bool change)
    {
        var rng = new Random(13);
        int recovery = 0, final = 0;
        for (int i = 0; i < 60_000; i++)
        {
            var x = Uniform(rng, 5);
            bool y = change && i >= 30_000 ? x[2] < 0.4f : x[1] > 0.6f;
            int hit = (tree.Probability(x) > 0.5) == y ? 1 : 0;
            recovery += i is >= 30_000 and < 40_000 ? hit : 0;
            final += i >= 55_000 ? hit : 0;
            tree.Learn(x, y);
        }

        return (recovery / 10_000.0, final / 5000.0);
    }

    [Fact]
    public void Alternate_subtrees_recover_from_an_abrupt_concept_change_faster_than_plain_vfdt()
    {
        var options = new HoeffdingTreeOptions { GracePeriod = 200, Delta = 1e-7 };
        var plain = new HoeffdingTree(5, options);
        var adaptive = new HoeffdingTree(5, options with { Adaptive = true });
        var p = AccuracyAfterChange(plain, change: true);
        var a = AccuracyAfterChange(adaptive, change: true);
        Assert.True(adaptive.AlternatesSwapped >= 1, $"swapped {adaptive.AlternatesSwapped}, started {adaptive.AlternatesStarted}");
        Assert.True(a.Final > 0.97 && a.Final >= p.Final, $"final accuracy: adaptive {a.Final}, plain {p.Final}");
        Assert.True(a.Recovery > p.Recovery + 0.03, $"accuracy in the 10,000 after the change: adaptive {a.Recovery} vs plain {p.Recovery}");
    }

    [Fact]
    public void A_stationary_concept_triggers_no_swap()
    {
        var tree = new HoeffdingTree(5, new HoeffdingTreeOptions { GracePeriod = 200, Delta = 1e-7, Adaptive = true });
        Assert.True(AccuracyAfterChange(tree, change: false).Final > 0.97);
        Assert.Equal(0, tree.AlternatesSwapped);
    }

    [Fact]
    public void State_round_trips_and_a_restored_tree_or_a_clone_continues_exactly_as_the_original()
    {
        // Adaptive, through a concept change, so alternates, drift monitors and recycled statistics blocks are all in the state.
        var tree = new HoeffdingTree(5, new HoeffdingTreeOptions { GracePeriod = 200, Delta = 1e-7, Adaptive = true, MaxNodes = 255 });
        var rng = new Random(31);
        for (int i = 0; i < 45_000; i++)
        {
            var x = Uniform(rng, 5);
            tree.Learn(x, i < 30_000 ? x[1] > 0.6f : x[2] < 0.4f);
        }

        Assert.True(tree.AlternatesStarted >= 1 && tree.Splits.Length >= 2, $"alternates {tree.AlternatesStarted}, splits {tree.Splits.Length}");
        var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            tree.WriteState(w);
        }

        bytes.Position = 0;
        var restored = HoeffdingTree.ReadState(new BinaryReader(bytes));
        Assert.Equal(bytes.Length, bytes.Position);
        var clone = tree.Clone();
        Assert.Equal(tree.Splits.ToArray(), restored.Splits.ToArray());
        for (int i = 0; i < 30_000; i++)
        {
            var x = Uniform(rng, 5);
            bool y = i < 15_000 ? x[2] < 0.4f : x[0] > 0.5f; // and a second change
            double p = tree.Probability(x);
            Assert.Equal(p, restored.Probability(x));
            Assert.Equal(p, clone.Probability(x));
            tree.Learn(x, y);
            restored.Learn(x, y);
            clone.Learn(x, y);
        }

        Assert.Equal(tree.NodeCount, restored.NodeCount);
        Assert.Equal(tree.Splits.ToArray(), restored.Splits.ToArray());
        Assert.Equal(tree.Splits.ToArray(), clone.Splits.ToArray());
        Assert.Equal(tree.AlternatesSwapped, restored.AlternatesSwapped);
        Assert.Equal(tree.Examples, clone.Examples);
    }

    [Fact]
    public void A_malformed_state_is_refused_naming_what_is_wrong()
    {
        var tree = new HoeffdingTree(3, new HoeffdingTreeOptions { GracePeriod = 50 });
        var rng = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            var x = Uniform(rng, 3);
            tree.Learn(x, x[0] > 0.5f);
        }

        var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            tree.WriteState(w);
        }

        byte[] good = bytes.ToArray();
        var badFeatures = (byte[])good.Clone();
        BitConverter.GetBytes(0).CopyTo(badFeatures, 8); // feature count
        Assert.Contains("feature count", Assert.Throws<ModelFormatException>(() => HoeffdingTree.ReadState(new BinaryReader(new MemoryStream(badFeatures)))).Message, StringComparison.Ordinal);
        var badMagic = (byte[])good.Clone();
        badMagic[0] ^= 0xFF;
        Assert.Throws<ModelFormatException>(() => HoeffdingTree.ReadState(new BinaryReader(new MemoryStream(badMagic))));
        // The root's split feature (after magic, format, features, 11 option fields, 6 counters and the node count).
        int root = 4 + 4 + 4 + (4 + 8 + 8 + 4 + 4 + 4 + 8 + 1 + 8 + 8 + 4) + (6 * 8) + 4;
        var badNode = (byte[])good.Clone();
        BitConverter.GetBytes(7).CopyTo(badNode, root);
        Assert.Contains("node 0", Assert.Throws<ModelFormatException>(() => HoeffdingTree.ReadState(new BinaryReader(new MemoryStream(badNode)))).Message, StringComparison.Ordinal);
    }
}
