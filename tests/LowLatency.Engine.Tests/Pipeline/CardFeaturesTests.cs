using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Engine.Tests.Pipeline;

public class CardFeaturesTests
{
    /// <summary>Brute force: keeps every event of every card and recomputes each feature from the definition.</summary>
    private sealed class NaiveCardFeatures
    {
        private readonly Dictionary<ulong, List<Transaction>> _history = [];

        public float[] Process(Transaction tx)
        {
            if (!_history.TryGetValue(tx.CardId, out var past))
            {
                _history[tx.CardId] = past = [];
            }

            double amount = tx.AmountMinor / 100.0;
            var f = new float[CardFeatures.Count];
            f[0] = (float)Math.Log(1 + amount);
            f[1] = past.Count == 0 ? 16f : (float)Math.Log(1 + ((tx.EventTimeNs - past[^1].EventTimeNs) / 1e9));
            f[2] = (float)past.Sum(p => Math.Exp(-(tx.EventTimeNs - p.EventTimeNs) / 600e9));
            f[3] = (float)Math.Log(1 + past.Sum(p => p.AmountMinor / 100.0 * Math.Exp(-(tx.EventTimeNs - p.EventTimeNs) / 3600e9)));
            f[4] = (float)(amount / Math.Max(1.0, past.Count == 0 ? amount : past.Average(p => p.AmountMinor / 100.0)));
            f[5] = past.Count > 0 && past[^1].Country != tx.Country ? 1 : 0;
            int geoIndex = past.FindLastIndex(p => double.IsFinite(p.Latitude));
            var lastGeo = geoIndex >= 0 ? past[geoIndex] : default;
            double v = 0;
            if (geoIndex >= 0 && double.IsFinite(tx.Latitude) && tx.EventTimeNs > lastGeo.EventTimeNs)
            {
                v = Geo.HaversineKm(lastGeo.Latitude, lastGeo.Longitude, tx.Latitude, tx.Longitude) / ((tx.EventTimeNs - lastGeo.EventTimeNs) / 3.6e12);
            }

            f[6] = (float)Math.Log(1 + Math.Min(v, 1e6));
            f[7] = tx.Channel is Channel.Ecommerce or Channel.InApp ? 1 : 0;
            f[8] = tx.EntryMode is EntryMode.Manual or EntryMode.CardOnFile ? 1 : 0;
            var lastDevice = past.LastOrDefault(p => p.DeviceId != 0).DeviceId;
            f[9] = past.Count > 0 && tx.DeviceId != 0 && lastDevice != 0 && lastDevice != tx.DeviceId ? 1 : 0;
            f[10] = new DateTime(1970, 1, 1).AddTicks(tx.EventTimeNs / 100).Hour < 6 ? 1 : 0;
            past.Add(tx);
            return f;
        }
    }

    private static Transaction RandomTx(Random rng, long time, int cards)
    {
        bool geo = rng.NextDouble() < 0.7;
        return new Transaction
        {
            TxId = (ulong)time,
            EventTimeNs = time,
            CardId = (ulong)rng.Next(cards),
            AmountMinor = rng.Next(1, 500_000),
            Country = (ushort)(rng.NextDouble() < 0.9 ? 826 : 250),
            DeviceId = rng.NextDouble() < 0.2 ? 0UL : (ulong)rng.Next(1, 4),
            Channel = (Channel)rng.Next(5),
            EntryMode = (EntryMode)rng.Next(5),
            Latitude = geo ? 40 + (rng.NextDouble() * 20) : double.NaN,
            Longitude = geo ? -5 + (rng.NextDouble() * 20) : double.NaN,
        };
    }

    [Theory]
    [InlineData(1, 50)]
    [InlineData(2, 500)]
    [InlineData(3, 3)]
    public void Matches_a_brute_force_recomputation_on_random_in_order_streams(int seed, int cards)
    {
        var rng = new Random(seed);
        var store = new CardFeatures(4096);
        var naive = new NaiveCardFeatures();
        var actual = new float[CardFeatures.Count];
        long time = 1_700_000_000_000_000_000;
        for (int i = 0; i < 4_000; i++)
        {
            time += (long)(rng.NextDouble() * 120e9);
            var tx = RandomTx(rng, time, cards);
            store.Process(tx, actual);
            var expected = naive.Process(tx);
            for (int k = 0; k < expected.Length; k++)
            {
                // Decayed sums are kept incrementally in double and reported in float: relative 1e-4 covers both.
                float tolerance = 1e-4f * Math.Max(1f, Math.Abs(expected[k]));
                Assert.True(Math.Abs(expected[k] - actual[k]) <= tolerance, $"event {i} feature {CardFeatures.Names[k]}: expected {expected[k]}, got {actual[k]}");
            }
        }

        Assert.Equal(0, store.Evictions);
    }

    [Fact]
    public void A_full_table_evicts_the_stalest_card_and_counts_it()
    {
        var store = new CardFeatures(1024);
        var f = new float[CardFeatures.Count];
        for (int card = 0; card < 50_000; card++)
        {
            store.Process(new Transaction { CardId = (ulong)card + 1, EventTimeNs = card, AmountMinor = 100, Latitude = double.NaN, Longitude = double.NaN }, f);
        }

        Assert.True(store.Evictions >= 50_000 - 1024, $"evictions {store.Evictions}");
    }

    [Fact]
    public void Steady_state_processing_allocates_nothing()
    {
        var store = new CardFeatures(1 << 16);
        var rng = new Random(5);
        var txs = Enumerable.Range(0, 1024).Select(i => RandomTx(rng, 1_000_000_000L * i, 5_000)).ToArray();
        var f = new float[CardFeatures.Count];
        for (int i = 0; i < 20_000; i++)
        {
            store.Process(txs[i & 1023], f);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200_000; i++)
        {
            store.Process(txs[i & 1023], f);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
