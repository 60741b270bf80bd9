using LowLatency.Engine.Features;

namespace LowLatency.Engine.Tests.Features;

/// <summary>
/// The capped distinct set's insertion, entry by entry, against a plain statement of its rule: a value already present
/// moves its bucket forward; a new one takes the first empty or expired entry (bucket at or before the horizon), else
/// evicts the entry with the oldest bucket, ties going to the smaller fingerprint. Both the store's path (vector compares
/// for sets of eight) and the scalar loop are checked.
/// </summary>
public class DistinctSetTests
{
    private static ulong Entry(uint fp, int bucket) => fp | ((ulong)(uint)bucket << 32);

    private static (uint Fp, int Bucket) Split(ulong e) => ((uint)e, (int)(e >> 32));

    /// <summary>The rule, written out over a list.</summary>
    private static ulong[] Reference(ulong[] before, uint fp, int bucket, int horizon)
    {
        ulong[] after = (ulong[])before.Clone();
        var entries = before.Select(Split).ToArray();
        int present = Array.FindIndex(entries, e => e.Fp == fp);
        if (present >= 0)
        {
            after[present] = Entry(fp, Math.Max(bucket, entries[present].Bucket));
            return after;
        }

        int free = Array.FindIndex(entries, e => e.Fp == 0 || e.Bucket <= horizon);
        int at = free >= 0
            ? free
            : Enumerable.Range(0, entries.Length).OrderBy(i => entries[i].Bucket).ThenBy(i => entries[i].Fp).First();
        after[at] = Entry(fp, bucket);
        return after;
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(8, false)]
    [InlineData(3, true)]
    [InlineData(5, false)]
    public void Insertion_follows_the_rule_on_random_sets(int k, bool asStored)
    {
        var rng = new Random(1000 + k);
        int present = 0, free = 0, evictedOnTie = 0;
        for (int round = 0; round < 20_000; round++)
        {
            // Fingerprints unique within a set (0 = empty), drawn from a small pool so the new value is often present;
            // buckets from a narrow range around the horizon, so entries expire and tie. Every third set is full and
            // live (no empty or expired entry), so the victim search runs.
            int horizon = rng.Next(-5, 5);
            bool full = round % 3 == 0;
            uint[] pool = Enumerable.Range(1, 12).Select(i => (uint)i).OrderBy(_ => rng.Next()).ToArray();
            var before = new ulong[k];
            for (int i = 0; i < k; i++)
            {
                bool empty = !full && rng.Next(10) == 0;
                before[i] = empty ? 0 : Entry(pool[i], horizon + (full ? rng.Next(1, 3) : rng.Next(-1, 3)));
            }

            uint fp = (uint)rng.Next(1, 13);
            int bucket = horizon + rng.Next(1, 4);
            ulong[] want = Reference(before, fp, bucket, horizon);
            ulong[] got = (ulong[])before.Clone();
            FeatureStore.AddDistinctEntry(got, fp, bucket, horizon, asStored);
            Assert.True(want.SequenceEqual(got), $"round {round}: [{string.Join(", ", before.Select(Split))}] + ({fp}, {bucket}) horizon {horizon}: want [{string.Join(", ", want.Select(Split))}] got [{string.Join(", ", got.Select(Split))}]");

            var entries = before.Select(Split).ToArray();
            if (entries.Any(e => e.Fp == fp))
            {
                present++;
            }
            else if (entries.Any(e => e.Fp == 0 || e.Bucket <= horizon))
            {
                free++;
            }
            else if (entries.Count(e => e.Bucket == entries.Min(x => x.Bucket)) > 1)
            {
                evictedOnTie++;
            }
        }

        Assert.True(present > 1000 && free > 1000 && evictedOnTie > 1000, $"cases: present {present}, free {free}, eviction on a bucket tie {evictedOnTie}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_full_set_evicts_the_oldest_bucket_then_the_smaller_fingerprint(bool asStored)
    {
        ulong[] set = [.. new uint[] { 70, 20, 90, 40, 10, 60, 30, 80 }.Select(fp => Entry(fp, 5))];
        set[6] = Entry(30, 4); // the one entry with an older bucket goes first, whatever its fingerprint
        FeatureStore.AddDistinctEntry(set, 99, 6, horizon: 3, asStored);
        Assert.Equal(Entry(99, 6), set[6]);

        // All left at bucket 5 but the newcomer: the smallest fingerprint (10, at index 4) goes next.
        FeatureStore.AddDistinctEntry(set, 98, 6, horizon: 3, asStored);
        Assert.Equal(Entry(98, 6), set[4]);
        Assert.Equal(Entry(20, 5), set[1]);
    }
}
