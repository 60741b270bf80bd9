using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LowLatency.Engine.Events;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// The pipeline's minimal per-card feature set (the feature-store issue replaces it with declared
/// windows over all entities). State per card lives in one open-addressing table over a pinned array
/// allocated at start-up; each event first reads its features as of just before it, then updates.
/// Time is event time from the message only. Decays are exponential, so state is a few fields per card.
/// </summary>
public sealed partial class CardFeatures
{
    /// <summary>Names of the features, in vector order (the model's layout).</summary>
    public static readonly string[] Names =
    [
        "log_amount", "log_secs_since_prev", "count_10m", "log_sum_1h", "amount_to_avg",
        "new_country", "log_velocity_kmh", "ecommerce", "keyed_or_on_file", "new_device", "night",
    ];

    /// <summary>Number of features written per event.</summary>
    public static int Count => Names.Length;

    private const double TenMinutesNs = 600e9;
    private const double OneHourNs = 3600e9;
    private const int MaxProbe = 16;

    private readonly CardState[] _table;
    private readonly int _mask;
    private long _evictions;

    /// <summary>Creates a table for about <paramref name="capacity"/> cards (rounded up to a power of two, at least 1024).</summary>
    public CardFeatures(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        int size = (int)Math.Min(1 << 30, Math.Max(1024, (int)BitOperations.RoundUpToPowerOf2((uint)capacity)));
        _table = GC.AllocateArray<CardState>(size, pinned: true);
        _mask = size - 1;
    }

    /// <summary>Cards dropped to make room (the table was full along a probe run).</summary>
    public long Evictions => _evictions;

    /// <summary>Writes the features of <paramref name="tx"/> as of just before it into <paramref name="output"/>, then updates the card's state.</summary>
    public void Process(in Transaction tx, Span<float> output)
    {
        ref CardState s = ref Find(tx.CardId, tx.EventTimeNs);
        double amount = tx.AmountMinor / 100.0;
        bool seen = s.Count > 0;
        double dtNs = seen ? Math.Max(0, tx.EventTimeNs - s.LastTimeNs) : double.PositiveInfinity;

        double count10m = seen ? s.Count10m * Math.Exp(-dtNs / TenMinutesNs) : 0;
        double sum1h = seen ? s.Sum1h * Math.Exp(-dtNs / OneHourNs) : 0;
        double avg = seen ? s.AmountTotal / s.Count : amount;
        double velocity = 0;
        bool hasGeo = double.IsFinite(tx.Latitude) && double.IsFinite(tx.Longitude);
        double geoDtNs = tx.EventTimeNs - s.LastGeoTimeNs;
        if (seen && hasGeo && double.IsFinite(s.LastLat) && geoDtNs > 0)
        {
            velocity = Geo.HaversineKm(s.LastLat, s.LastLon, tx.Latitude, tx.Longitude) / (geoDtNs / 3.6e12);
        }

        output[0] = (float)Math.Log(1 + Math.Max(0, amount));
        output[1] = seen ? (float)Math.Log(1 + (dtNs / 1e9)) : 16f; // never seen: as if very long ago (e^16 s is months)
        output[2] = (float)count10m;
        output[3] = (float)Math.Log(1 + sum1h);
        output[4] = (float)(amount / Math.Max(1.0, avg));
        output[5] = seen && s.LastCountry != tx.Country ? 1f : 0f;
        output[6] = (float)Math.Log(1 + Math.Min(velocity, 1e6));
        output[7] = tx.Channel is Channel.Ecommerce or Channel.InApp ? 1f : 0f;
        output[8] = tx.EntryMode is EntryMode.Manual or EntryMode.CardOnFile ? 1f : 0f;
        output[9] = seen && tx.DeviceId != 0 && s.LastDevice != 0 && s.LastDevice != tx.DeviceId ? 1f : 0f;
        output[10] = HourOfDay(tx.EventTimeNs) is < 6 ? 1f : 0f;

        // Update. Out-of-order events (earlier than the card's last) decay by zero and do not move the clock back.
        s.Count10m = count10m + 1;
        s.Sum1h = sum1h + amount;
        s.AmountTotal += amount;
        s.Count++;
        s.LastTimeNs = Math.Max(s.LastTimeNs, tx.EventTimeNs);
        s.LastCountry = tx.Country;
        if (tx.DeviceId != 0)
        {
            s.LastDevice = tx.DeviceId;
        }

        if (hasGeo)
        {
            s.LastLat = tx.Latitude;
            s.LastLon = tx.Longitude;
            s.LastGeoTimeNs = tx.EventTimeNs;
        }
    }

    private static int HourOfDay(long eventTimeNs) => (int)((eventTimeNs / 3_600_000_000_000L) % 24 + 24) % 24;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref CardState Find(ulong card, long nowNs)
    {
        // Key 0 marks an empty slot, so card 0 is stored as key ~0 (ids are hashes; the collision is harmless).
        ulong key = card == 0 ? ulong.MaxValue : card;
        int start = (int)(Mix(key) & (ulong)_mask);
        int stalest = start;
        for (int i = 0; i < MaxProbe; i++)
        {
            int index = (start + i) & _mask;
            ref CardState s = ref _table[index];
            if (s.Key == key)
            {
                return ref s;
            }

            if (s.Key == 0)
            {
                s.Key = key;
                s.LastLat = double.NaN;
                return ref s;
            }

            if (s.LastTimeNs < _table[stalest].LastTimeNs)
            {
                stalest = index;
            }
        }

        return ref Evict(stalest, key, nowNs);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref CardState Evict(int index, ulong key, long nowNs)
    {
        _ = nowNs;
        _evictions++;
        ref CardState s = ref _table[index];
        s = default;
        s.Key = key;
        s.LastLat = double.NaN;
        return ref s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong x)
    {
        // splitmix64 finaliser: ids from gateways are often sequential, and sequential keys would cluster.
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9UL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebUL;
        return x ^ (x >> 31);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CardState
    {
        public ulong Key;
        public long LastTimeNs;
        public long Count;
        public double Count10m;
        public double Sum1h;
        public double AmountTotal;
        public double LastLat;
        public double LastLon;
        public long LastGeoTimeNs;
        public ulong LastDevice;
        public ushort LastCountry;
    }
}
