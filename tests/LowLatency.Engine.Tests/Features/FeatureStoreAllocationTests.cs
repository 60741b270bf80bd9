using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using static LowLatency.Engine.Tests.Features.FeatureStreams;

namespace LowLatency.Engine.Tests.Features;

public class FeatureStoreAllocationTests
{
    [Fact]
    public void Processing_allocates_nothing_in_steady_state()
    {
        FeatureSpec spec = FeatureSpec.LoadDefault("payments");
        foreach (EntitySpec e in spec.Entities)
        {
            spec = spec.WithCapacity(e.Name, 4096);
        }

        using var store = new FeatureStore(FeaturePlan.Compile(spec));
        // The stream includes late, future, invalid and evicting events, so every path runs in the measured loop.
        Transaction[] events = Transactions(9, 20_000, activeCards: 3000, driftEvery: 5);
        var f = new float[store.Plan.VectorLength];
        for (int i = 0; i < events.Length; i++)
        {
            store.Process(in events[i], f);
            store.Peek(in events[i], f);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < events.Length; i++)
            {
                // Shift time forward each round so the stream keeps moving the watermark rather than being all late.
                Transaction tx = events[i];
                tx.EventTimeNs += (round + 1) * 40L * 24 * 3600 * Second;
                store.Process(in tx, f);
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(store.Counters.Events >= 120_000);
    }
}
