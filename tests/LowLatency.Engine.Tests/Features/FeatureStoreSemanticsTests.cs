using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using static LowLatency.Engine.Tests.Features.FeatureStreams;

namespace LowLatency.Engine.Tests.Features;

/// <summary>Hand-worked scenarios for each documented rule; expected values follow from the rule, not from the code.</summary>
public class FeatureStoreSemanticsTests
{
    // 1h window of 6 x 10m buckets, lateness 10m, max future 90m, TTL 2h, distinct merchants capped at 3.
    private const string Spec = """
    { "event": "transaction", "allowedLateness": "10m", "maxFuture": "90m", "memoryBudgetBytes": 10000000,
      "entities": [
        { "name": "card", "key": "card", "capacity": 64, "ttl": "2h", "timeSinceLast": true, "velocity": true,
          "windows": [ { "length": "1h", "bucket": "10m", "aggregates": [
            { "kind": "count" }, { "kind": "sum", "field": "amount" }, { "kind": "distinct", "field": "merchant", "maxTracked": 3 } ] } ] },
        { "name": "device", "key": "device", "capacity": 1, "ttl": "2h", "timeSinceLast": true,
          "windows": [ { "length": "1h", "bucket": "10m", "aggregates": [ { "kind": "count" } ] } ] } ] }
    """;

    private const int Count = 0, Sum = 1, Distinct = 2, TimeSince = 3, Velocity = 4, DeviceCount = 5, DeviceSince = 6;

    // Bucket-aligned origin so bucket boundaries are easy to reason about.
    private static readonly long T0 = Start / (10 * Minute) * (10 * Minute);

    private static Transaction Tx(long t, ulong card = 1, long amount = 100, ulong merchant = 1, ulong device = 0, double lat = double.NaN, double lon = double.NaN) =>
        new() { EventTimeNs = t, CardId = card, AmountMinor = amount, MerchantId = merchant, DeviceId = device, Latitude = lat, Longitude = lon };

    private readonly FeatureStore _store = new(FeaturePlan.Load(Spec));
    private readonly float[] _f = new float[7];

    private float[] Run(Transaction tx, FeatureStatus expected = FeatureStatus.Accepted)
    {
        Assert.Equal(expected, _store.Process(in tx, _f));
        return _f;
    }

    [Fact]
    public void Each_event_reads_its_features_before_it_updates_them()
    {
        float[] f = Run(Tx(T0, amount: 100));
        Assert.Equal([0f, 0f, 0f, -1f, 0f], f[..5]);
        f = Run(Tx(T0 + Minute, amount: 50));
        Assert.Equal(1f, f[Count]);
        Assert.Equal(100f, f[Sum]);
        Assert.Equal(60f, f[TimeSince]);
        Assert.Equal(FeatureStatus.Accepted, _store.Peek(Tx(T0 + (2 * Minute)), _f));
        Assert.Equal(2f, _f[Count]);
        Assert.Equal(150f, _f[Sum]);
        Assert.Equal(FeatureStatus.Accepted, _store.Peek(Tx(T0 + (2 * Minute)), _f));
        Assert.Equal(2f, _f[Count]);
    }

    [Fact]
    public void The_window_slides_by_whole_buckets()
    {
        Run(Tx(T0));                       // bucket b0
        Run(Tx(T0 + (15 * Minute)));       // bucket b0+1
        // At T0+59m the window is buckets b0..b0+5: both events count.
        Assert.Equal(2f, Run(Tx(T0 + (59 * Minute), card: 1))[Count]);
        // At T0+60m it is b0+1..b0+6: the first event (bucket b0) has left, though it is exactly 60 minutes old.
        Assert.Equal(2f, Run(Tx(T0 + (60 * Minute)))[Count]); // T0+15m and T0+59m
        Assert.Equal(3f, Run(Tx(T0 + (69 * Minute)))[Count]);
        Assert.Equal(3f, Run(Tx(T0 + (70 * Minute)))[Count]); // T0+15m left with bucket b0+1
    }

    [Fact]
    public void Out_of_order_events_within_lateness_land_in_their_bucket_and_later_ones_are_dropped()
    {
        Run(Tx(T0 + (30 * Minute), amount: 1));
        Run(Tx(T0 + (25 * Minute), amount: 10));                                   // 5m late: accepted
        float[] f = Run(Tx(T0 + (19 * Minute), amount: 100), FeatureStatus.Late);   // 11m late: dropped
        Assert.Equal(0f, f[Count]); // reads as of its own bucket (b0+1): nothing there yet
        Assert.Equal(1, _store.Counters.LateDropped);
        f = Run(Tx(T0 + (31 * Minute)));
        Assert.Equal(2f, f[Count]);
        Assert.Equal(11f, f[Sum]);
        // The 25m event sits in bucket b0+2: at T0+80m (window b0+3..b0+8) it is gone, the 30m one (b0+3) stays.
        Assert.Equal(2f, Run(Tx(T0 + (80 * Minute)))[Count]);
    }

    [Fact]
    public void Events_too_far_ahead_are_rejected_and_leave_no_trace()
    {
        Run(Tx(T0));
        float[] f = Run(Tx(T0 + (91 * Minute), amount: 7), FeatureStatus.RejectedFuture);
        Assert.All(f, v => Assert.Equal(0f, v));
        Assert.Equal(T0, _store.WatermarkNs);
        Assert.Equal(1f, Run(Tx(T0 + (50 * Minute)))[Count]); // the rejected event left nothing in the window
        Assert.Equal(1, _store.Counters.FutureRejected);
        Run(Tx(0), FeatureStatus.RejectedInvalidTime);
        Assert.Equal(1, _store.Counters.InvalidTimeRejected);
    }

    [Fact]
    public void An_entity_idle_longer_than_its_ttl_is_forgotten_and_counted()
    {
        Run(Tx(T0, card: 7, amount: 5));
        long t = T0;
        for (int i = 0; i < 30; i++)
        {
            t += 5 * Minute; // another card moves the watermark 2.5h forward
            Run(Tx(t, card: 8));
        }

        float[] f = Run(Tx(t, card: 7));
        Assert.Equal(-1f, f[TimeSince]);
        Assert.Equal(0f, f[Count]);
        Assert.Equal(1, _store.Counters.EvictedTtl);
    }

    [Fact]
    public void A_full_probe_window_evicts_the_stalest_entity_and_counts_it()
    {
        // Device capacity 1: every device has the same home and the 8 slots of its probe window; the 9th evicts the one seen longest ago.
        for (int d = 1; d <= 9; d++)
        {
            Run(Tx(T0 + (d * 1_000_000_000L), card: 100 + (ulong)d, device: (ulong)d));
        }

        FeatureStoreCounters c = _store.Counters;
        Assert.Equal(1, c.EvictedFull);
        Assert.Equal(1UL, _store.Tables[1].LastFullEvictedKey);
        float[] f = Run(Tx(T0 + (10 * 1_000_000_000L), card: 200, device: 1));
        Assert.Equal(-1f, f[DeviceSince]);
        Assert.Equal(0f, f[DeviceCount]);
        f = Run(Tx(T0 + (11 * 1_000_000_000L), card: 201, device: 9));
        Assert.Equal(1f, f[DeviceCount]);
    }

    [Fact]
    public void Distinct_is_exact_up_to_its_cap_then_saturates()
    {
        Run(Tx(T0, merchant: 1));
        Run(Tx(T0 + 1, merchant: 1));
        Assert.Equal(1f, Run(Tx(T0 + 2, merchant: 2))[Distinct]);
        Assert.Equal(2f, Run(Tx(T0 + 3, merchant: 3))[Distinct]);
        Assert.Equal(3f, Run(Tx(T0 + 4, merchant: 4))[Distinct]);
        Assert.Equal(3f, Run(Tx(T0 + 5, merchant: 5))[Distinct]);
    }

    [Fact]
    public void Velocity_is_the_great_circle_speed_between_consecutive_locations()
    {
        // Paris to London is about 344 km along the great circle; one hour apart.
        Run(Tx(T0, lat: 48.8566, lon: 2.3522));
        Run(Tx(T0 + (30 * Minute)));                         // no location: does not move the reference point
        float[] f = Run(Tx(T0 + (60 * Minute), lat: 51.5074, lon: -0.1278));
        Assert.InRange(f[Velocity], 340f, 348f);
        Assert.Equal(0f, Run(Tx(T0 + (61 * Minute)))[Velocity]); // this event has no location
    }

    [Fact]
    public void An_unknown_key_yields_empty_features_and_creates_no_entity()
    {
        float[] f = Run(Tx(T0, card: 0, device: 0));
        Assert.Equal([0f, 0f, 0f, -1f, 0f, 0f, -1f], f);
        Assert.Equal(0, _store.Counters.Inserted);
    }

    [Fact]
    public void Peek_changes_neither_state_nor_counters()
    {
        foreach (Transaction tx in Transactions(3, 500))
        {
            _store.Process(in tx, _f);
        }

        byte[] before = Snapshot(_store);
        FeatureStoreCounters c = _store.Counters;
        foreach (Transaction tx in Transactions(4, 200))
        {
            _store.Peek(in tx, _f);
        }

        Assert.Equal(before, Snapshot(_store));
        Assert.Equal(c, _store.Counters);
    }

    [Fact]
    public void Misuse_fails_loudly()
    {
        Assert.Throws<ArgumentException>(() => _store.Process(Tx(T0), new float[3]));
        Order o = default;
        Assert.Throws<InvalidOperationException>(() => _store.Process(in o, _f));
    }

    internal static byte[] Snapshot(FeatureStore store)
    {
        using var ms = new MemoryStream();
        store.WriteSnapshot(ms);
        return ms.ToArray();
    }
}
