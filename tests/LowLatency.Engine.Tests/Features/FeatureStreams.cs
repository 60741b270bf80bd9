using LowLatency.Engine.Events;
using LowLatency.Engine.Features;

namespace LowLatency.Engine.Tests.Features;

/// <summary>Seeded event streams with drift (so entities go idle), jitter past the lateness, future and invalid times.</summary>
internal static class FeatureStreams
{
    internal const long Second = 1_000_000_000L;
    internal const long Minute = 60 * Second;
    internal const long Start = 1_700_000_000L * Second;

    /// <summary>A small spec with short windows so random streams exercise ring wrap, horizon and expiry quickly.</summary>
    internal static string SmallSpecJson(int cardCapacity, int distinctK = 3) => $$"""
    {
      "event": "transaction", "allowedLateness": "2m", "maxFuture": "10m", "memoryBudgetBytes": 100000000,
      "entities": [
        { "name": "card", "key": "card", "capacity": {{cardCapacity}}, "ttl": "2h", "timeSinceLast": true, "velocity": true,
          "windows": [
            { "length": "2m", "bucket": "30s", "aggregates": [
              { "kind": "count" }, { "kind": "sum", "field": "amount" }, { "kind": "mean", "field": "amount" },
              { "kind": "std", "field": "amount" }, { "kind": "min", "field": "amount" }, { "kind": "max", "field": "amount" },
              { "kind": "zscore", "field": "amount" } ] },
            { "length": "10m", "bucket": "2m", "aggregates": [
              { "kind": "count" }, { "kind": "sum", "field": "amount" }, { "kind": "max", "field": "amount" },
              { "kind": "distinct", "field": "merchant", "maxTracked": {{distinctK}} } ] },
            { "length": "1h", "bucket": "10m", "aggregates": [
              { "kind": "count" }, { "kind": "mean", "field": "amount" }, { "kind": "std", "field": "amount" }, { "kind": "zscore", "field": "amount" } ] }
          ] },
        { "name": "merchant", "key": "merchant", "capacity": 64, "ttl": "2h",
          "windows": [ { "length": "10m", "bucket": "1m", "aggregates": [
              { "kind": "count" }, { "kind": "sum", "field": "amount" }, { "kind": "distinct", "field": "card", "maxTracked": 4 } ] } ] },
        { "name": "device", "key": "device", "capacity": 64, "ttl": "2h", "timeSinceLast": true,
          "windows": [ { "length": "1h", "bucket": "10m", "aggregates": [ { "kind": "count" }, { "kind": "min", "field": "amount" } ] } ] }
      ]
    }
    """;

    internal static Transaction[] Transactions(int seed, int count, int activeCards = 30, int driftEvery = 20)
    {
        var rng = new Random(seed);
        var list = new Transaction[count];
        long t = Start;
        for (int i = 0; i < count; i++)
        {
            t += rng.Next(0, 40) * Second + rng.Next(0, 1000) * 1_000_000L;
            long et = t;
            int r = rng.Next(1000);
            if (r < 120)
            {
                et = t - (rng.Next(0, 200) * Second); // some within the 2m lateness, some beyond
            }
            else if (r < 122)
            {
                et = t + (30 * Minute); // implausibly far ahead
            }
            else if (r == 122)
            {
                et = -rng.Next(0, 5);
            }

            bool geo = rng.Next(4) != 0;
            list[i] = new Transaction
            {
                TxId = (ulong)i + 1,
                EventTimeNs = et,
                // Mostly the drifting active set; now and then a card from long ago comes back after its TTL.
                CardId = rng.Next(50) == 0 ? (ulong)(1 + rng.Next(1 + (i / driftEvery))) : (ulong)(1 + (i / driftEvery) + rng.Next(activeCards)),
                AccountId = (ulong)(1 + rng.Next(40)),
                MerchantId = (ulong)(1 + rng.Next(8)),
                DeviceId = rng.Next(4) == 0 ? 0 : (ulong)(1 + rng.Next(20)),
                Ipv4 = (uint)rng.Next(1, 50),
                AmountMinor = rng.Next(1, 100_000),
                Latitude = geo ? 40 + (rng.NextDouble() * 10) : double.NaN,
                Longitude = geo ? -5 + (rng.NextDouble() * 20) : double.NaN,
            };
        }

        return list;
    }

    internal static Order[] Orders(int seed, int count)
    {
        var rng = new Random(seed);
        var list = new Order[count];
        long t = Start;
        for (int i = 0; i < count; i++)
        {
            t += rng.Next(0, 3000) * 1_000_000L;
            long et = rng.Next(10) == 0 ? t - (rng.Next(0, 8000) * 1_000_000L) : t;
            list[i] = new Order
            {
                OrderId = (ulong)i + 1,
                EventTimeNs = et,
                AccountId = (ulong)(1 + rng.Next(30)),
                InstrumentId = (ulong)(1 + rng.Next(12)),
                PriceE8 = rng.Next(1, 100_000) * 1_000_000L,
                Quantity = rng.Next(1, 500),
                Venue = (ushort)rng.Next(3),
                Side = (Side)rng.Next(2),
                Action = (OrderAction)rng.Next(4),
            };
        }

        return list;
    }

    /// <summary>Runs store and reference side by side and asserts equal status and features for every event.</summary>
    internal static void AssertMatchesReference(FeatureStore store, NaiveFeatureStore naive, ReadOnlySpan<Transaction> events)
    {
        Assert.Equal(naive.FeatureNames, store.Plan.FeatureNames);
        var got = new float[store.Plan.VectorLength];
        var want = new float[store.Plan.VectorLength];
        var full = new long[store.Tables.Length];
        for (int i = 0; i < events.Length; i++)
        {
            FeatureStatus s = store.Process(in events[i], got);
            FeatureStatus n = naive.Process(in events[i], want);
            Assert.Equal(n, s);
            Compare(store.Plan, want, got, i);
            SyncEvictions(store, naive, full);
        }
    }

    internal static void AssertMatchesReference(FeatureStore store, NaiveFeatureStore naive, ReadOnlySpan<Order> events)
    {
        Assert.Equal(naive.FeatureNames, store.Plan.FeatureNames);
        var got = new float[store.Plan.VectorLength];
        var want = new float[store.Plan.VectorLength];
        var full = new long[store.Tables.Length];
        for (int i = 0; i < events.Length; i++)
        {
            FeatureStatus s = store.Process(in events[i], got);
            FeatureStatus n = naive.Process(in events[i], want);
            Assert.Equal(n, s);
            Compare(store.Plan, want, got, i);
            SyncEvictions(store, naive, full);
        }
    }

    private static void SyncEvictions(FeatureStore store, NaiveFeatureStore naive, long[] full)
    {
        for (int k = 0; k < full.Length; k++)
        {
            if (store.Tables[k].EvictedFull != full[k])
            {
                Assert.Equal(full[k] + 1, store.Tables[k].EvictedFull);
                full[k] = store.Tables[k].EvictedFull;
                naive.Forget(k, store.Tables[k].LastFullEvictedKey);
            }
        }
    }

    /// <summary>
    /// Counts, distinct counts, min, max and integer sums must be identical; mean, std, z-score and velocity are
    /// computed by different formulas (two-pass vs moments, chord vs haversine) and must agree to 1e-5 relative.
    /// </summary>
    internal static void Compare(FeaturePlan plan, float[] want, float[] got, int index)
    {
        for (int f = 0; f < want.Length; f++)
        {
            float w = want[f], g = got[f];
            if (w == g || Math.Abs(w - g) <= 1e-4 + (1e-5 * Math.Abs(w)))
            {
                continue;
            }

            Assert.Fail($"event {index}: feature {plan.FeatureNames[f]} expected {w} got {g}");
        }
    }
}
