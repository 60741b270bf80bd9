using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using static LowLatency.Engine.Tests.Features.FeatureStreams;

namespace LowLatency.Engine.Tests.Features;

public class FeatureStoreSnapshotTests
{
    private static FeaturePlan Plan(int cards = 256) => FeaturePlan.Compile(FeatureSpec.Parse(SmallSpecJson(cards)));

    private static FeatureStore Warm(FeaturePlan plan, out Transaction[] rest)
    {
        Transaction[] all = Transactions(7, 3000);
        var store = new FeatureStore(plan);
        var f = new float[plan.VectorLength];
        for (int i = 0; i < 2000; i++)
        {
            store.Process(in all[i], f);
        }

        rest = all[2000..];
        return store;
    }

    [Fact]
    public void A_snapshot_loads_back_byte_equal_and_continues_identically()
    {
        FeaturePlan plan = Plan();
        using FeatureStore original = Warm(plan, out Transaction[] rest);
        byte[] bytes = FeatureStoreSemanticsTests.Snapshot(original);
        using FeatureStore loaded = FeatureStore.LoadSnapshot(new MemoryStream(bytes), plan);

        Assert.Equal(bytes, FeatureStoreSemanticsTests.Snapshot(loaded));
        Assert.Equal(original.Counters, loaded.Counters);
        Assert.Equal(original.WatermarkNs, loaded.WatermarkNs);
        var a = new float[plan.VectorLength];
        var b = new float[plan.VectorLength];
        foreach (Transaction tx in rest)
        {
            Assert.Equal(original.Process(in tx, a), loaded.Process(in tx, b));
            Assert.Equal(a, b);
        }

        Assert.Equal(FeatureStoreSemanticsTests.Snapshot(original), FeatureStoreSemanticsTests.Snapshot(loaded));
    }

    [Fact]
    public void The_same_input_gives_the_same_snapshot_bytes()
    {
        FeaturePlan plan = Plan();
        using FeatureStore x = Warm(plan, out _);
        using FeatureStore y = Warm(plan, out _);
        Assert.Equal(FeatureStoreSemanticsTests.Snapshot(x), FeatureStoreSemanticsTests.Snapshot(y));
    }

    [Fact]
    public void Prefetching_ahead_changes_no_feature_and_no_state()
    {
        FeaturePlan plan = Plan();
        Transaction[] all = Transactions(11, 3000);
        using var plain = new FeatureStore(plan);
        using var prefetched = new FeatureStore(plan);
        var a = new float[plan.VectorLength];
        var b = new float[plan.VectorLength];
        for (int i = 0; i < all.Length; i++)
        {
            prefetched.Prefetch(in all[(i + 1) % all.Length]);
            prefetched.Prefetch(in all[i]);
            Assert.Equal(plain.Process(in all[i], a), prefetched.Process(in all[i], b));
            Assert.Equal(a, b);
        }

        Assert.Equal(plain.Counters, prefetched.Counters);
        Assert.Equal(FeatureStoreSemanticsTests.Snapshot(plain), FeatureStoreSemanticsTests.Snapshot(prefetched));
    }

    [Fact]
    public void Every_corrupted_byte_position_sampled_is_rejected()
    {
        FeaturePlan plan = Plan(cards: 16);
        using FeatureStore store = Warm(plan, out _);
        byte[] good = FeatureStoreSemanticsTests.Snapshot(store);
        var rng = new Random(1);
        for (int trial = 0; trial < 200; trial++)
        {
            byte[] bad = (byte[])good.Clone();
            int at = trial < 16 ? trial : rng.Next(bad.Length);
            bad[at] ^= (byte)(1 << rng.Next(8));
            var ex = Assert.Throws<InvalidDataException>(() => FeatureStore.LoadSnapshot(new MemoryStream(bad), plan).Dispose());
            Assert.StartsWith("feature store snapshot rejected: ", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_truncated_snapshot_is_rejected_with_a_clear_message()
    {
        FeaturePlan plan = Plan(cards: 16);
        using FeatureStore store = Warm(plan, out _);
        byte[] good = FeatureStoreSemanticsTests.Snapshot(store);
        foreach (int length in new[] { 0, 5, 40, good.Length / 2, good.Length - 1 })
        {
            var ex = Assert.Throws<InvalidDataException>(() => FeatureStore.LoadSnapshot(new MemoryStream(good, 0, length), plan).Dispose());
            Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_snapshot_of_another_plan_or_version_is_rejected()
    {
        using FeatureStore store = Warm(Plan(), out _);
        byte[] good = FeatureStoreSemanticsTests.Snapshot(store);
        var ex = Assert.Throws<InvalidDataException>(() => FeatureStore.LoadSnapshot(new MemoryStream(good), Plan(cards: 512)).Dispose());
        Assert.Contains("different feature plan", ex.Message, StringComparison.Ordinal);

        byte[] v2 = (byte[])good.Clone();
        v2[8] = 2;
        ex = Assert.Throws<InvalidDataException>(() => FeatureStore.LoadSnapshot(new MemoryStream(v2), Plan()).Dispose());
        Assert.Contains("version 2", ex.Message, StringComparison.Ordinal);

        byte[] notOurs = (byte[])good.Clone();
        notOurs[0] = (byte)'X';
        ex = Assert.Throws<InvalidDataException>(() => FeatureStore.LoadSnapshot(new MemoryStream(notOurs), Plan()).Dispose());
        Assert.Contains("magic", ex.Message, StringComparison.Ordinal);
    }
}
