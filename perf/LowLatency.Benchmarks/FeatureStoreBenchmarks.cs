using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;

namespace LowLatency.Benchmarks;

/// <summary>
/// Update + read of the default payments spec (5 entity types, 4 windows each, 107 features) per event, over
/// populations from 10k to 10M cards. Entity tables are sized like the population they serve, with 25% headroom (none
/// at 10M: see <see cref="Headroom"/>): as many accounts as cards, a twentieth as many merchants, half as many devices
/// and IPs. Events pick entities uniformly, the worst case for caches (real traffic is Zipf-skewed and hits warm
/// entities far more often).
/// <para>
/// Baseline: <see cref="CacheMissFloor"/>, the memory-latency floor of the same access pattern: per event, one random
/// 64-byte line read from a table of the same total size per entity type, the five loads independent (as the store's
/// five look-ups are). The ratio says how close the store comes to "five cache misses and nothing else".
/// </para>
/// </summary>
[MemoryDiagnoser]
public class FeatureStoreBenchmarks
{
    private const int Events = 1 << 16;
    private const int Entities = 5;
    private const long LineBytes = 64;

    private FeatureStore _store = null!;
    private Transaction[] _stream = null!;
    private readonly float[] _features = new float[128];
    private unsafe byte*[] _floorTables = null!;
    private long[] _floorLines = null!;
    private uint[] _floorIndex = null!;
    private ulong _draw = 0x9E3779B97F4A7C15UL;
    // The floor's line picks: 16 invocations' worth, taken in turn, so it too reaches the whole table over a run.
    private const int FloorTurns = 16;
    private int _floorTurn;

    /// <summary>Cards in the population (accounts the same, merchants /20, devices and IPs /2).</summary>
    [ParamsSource(nameof(Populations))]
    public int Cards { get; set; }

    /// <summary>
    /// 10k to 1M cards; 10M too when <c>LOWLAT_BENCH_10M=1</c>. <c>LOWLAT_BENCH_CARDS=3000000,6000000</c> names the
    /// populations instead. Tables get 25% headroom over their population (<see cref="Headroom"/>), under which 8M cards
    /// (about 21 GB) is the most this 24 GiB machine holds; 10M cards are therefore sized at exactly their population
    /// (about 21 GB too), which fits: run it only when nothing else is using memory.
    /// </summary>
    public static IEnumerable<int> Populations() =>
        Environment.GetEnvironmentVariable("LOWLAT_BENCH_CARDS") is { Length: > 0 } cards
            ? cards.Split(',').Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture))
            : Environment.GetEnvironmentVariable("LOWLAT_BENCH_10M") == "1" ? [10_000, 100_000, 1_000_000, 10_000_000] : [10_000, 100_000, 1_000_000];

    /// <summary>
    /// Table capacity over population: <c>LOWLAT_BENCH_HEADROOM</c> if set, else 1 for 10M cards or more (with headroom
    /// they do not fit this machine) and 1.25 below, as docs/features.md advises (a full open-addressing table evicts).
    /// </summary>
    internal static double Headroom(int cards) =>
        Environment.GetEnvironmentVariable("LOWLAT_BENCH_HEADROOM") is { Length: > 0 } h
            ? double.Parse(h, System.Globalization.CultureInfo.InvariantCulture)
            : cards >= 10_000_000 ? 1.0 : 1.25;

    /// <summary>Builds the store, warms every entity once (so tables are full, as in steady state) and a stream of events.</summary>
    [GlobalSetup(Targets = [nameof(UpdateAndRead), nameof(UpdateAndReadPrefetched)])]
    public void SetupStore()
    {
        FeatureSpec spec = Spec(Cards);
        var plan = FeaturePlan.Compile(spec);
        Console.WriteLine($"// payments spec for {Cards:N0} cards: {plan.TotalBytes / (1 << 20):N0} MiB, {plan.VectorLength} features");
        foreach (EntitySpec e in spec.Entities)
        {
            Console.WriteLine($"//   {e.Name}: capacity {e.Capacity:N0}, {plan.BytesPerEntity(e.Name)} bytes per entity ({plan.BytesPerEntity(e.Name) / e.Windows.Count} per entity-window)");
        }

        _store = new FeatureStore(plan);
        _stream = Stream(Cards, Events, seed: 1);
        // Touch every card once so the benchmark measures a full table, not first inserts.
        // Spread over the 5 minutes before the stream (within the spec's 10-minute maxFuture of each other).
        var rng = new Random(2);
        long span = (long)TimeSpan.FromMinutes(5).TotalNanoseconds;
        long t = _stream[0].EventTimeNs - span;
        for (int c = 0; c < Cards; c++)
        {
            var tx = NewTransaction(rng, Cards, t + (span / Cards * c));
            tx.CardId = (ulong)c + 1;
            _store.Process(tx, _features);
        }
    }

    /// <summary>Tables of the same bytes per entity type as the store, for the floor.</summary>
    [GlobalSetup(Target = nameof(CacheMissFloor))]
    public unsafe void SetupFloor()
    {
        FeatureSpec spec = Spec(Cards);
        var plan = FeaturePlan.Compile(spec);
        _floorTables = new byte*[Entities];
        _floorLines = new long[Entities];
        for (int i = 0; i < Entities; i++)
        {
            EntitySpec e = spec.Entities[i];
            long bytes = (long)e.Capacity * plan.BytesPerEntity(e.Name);
            _floorTables[i] = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
            NativeMemory.Clear(_floorTables[i], (nuint)bytes);
            _floorLines[i] = bytes / LineBytes;
        }

        var rng = new Random(3);
        _floorIndex = new uint[FloorTurns * Events * Entities];
        for (int k = 0; k < _floorIndex.Length; k++)
        {
            _floorIndex[k] = (uint)rng.NextInt64(_floorLines[k % Entities]);
        }
    }

    /// <summary>Frees the native tables.</summary>
    [GlobalCleanup]
    public unsafe void Cleanup()
    {
        if (_store is not null)
        {
            // Proof the benchmark measured accepted events, not rejects.
            FeatureStoreCounters c = _store.Counters;
            Console.WriteLine($"// store counters: events {c.Events:N0}, accepted {c.Accepted:N0}, late {c.LateDropped:N0}, future {c.FutureRejected:N0}, evicted full {c.EvictedFull:N0}, ttl {c.EvictedTtl:N0}");
        }

        _store?.Dispose();
        if (_floorTables is not null)
        {
            foreach (byte* p in _floorTables)
            {
                NativeMemory.AlignedFree(p);
            }
        }
    }

    /// <summary>Five independent random line reads per event.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public unsafe long CacheMissFloor()
    {
        long sum = 0;
        uint[] index = _floorIndex;
        byte*[] tables = _floorTables;
        int turn = _floorTurn * Events;
        _floorTurn = (_floorTurn + 1) % FloorTurns;
        for (int e = 0; e < Events; e++)
        {
            int k = (turn + e) * Entities;
            sum += tables[0][index[k] * LineBytes] + tables[1][index[k + 1] * LineBytes] + tables[2][index[k + 2] * LineBytes]
                + tables[3][index[k + 3] * LineBytes] + tables[4][index[k + 4] * LineBytes];
        }

        return sum;
    }

    /// <summary>Read the 107 features as of just before the event, then update all five entities.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public float UpdateAndRead()
    {
        float sum = 0;
        Transaction[] stream = _stream;
        // Event times keep moving forward across invocations so windows roll as in production.
        long shift = _stream[^1].EventTimeNs - _stream[0].EventTimeNs + 1;
        for (int i = 0; i < stream.Length; i++)
        {
            _store.Process(stream[i], _features);
            sum += _features[0];
            stream[i].EventTimeNs += shift;
            Redraw(ref stream[i]);
        }

        return sum;
    }

    /// <summary>
    /// The same events as <see cref="UpdateAndRead"/>, processed as a batch is (a replay, a ring batch): the state of
    /// the next event is prefetched while this one is processed, so the misses of consecutive events overlap.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public float UpdateAndReadPrefetched()
    {
        float sum = 0;
        Transaction[] stream = _stream;
        long shift = _stream[^1].EventTimeNs - _stream[0].EventTimeNs + 1;
        for (int i = 0; i < stream.Length; i++)
        {
            if (i + 1 < stream.Length)
            {
                _store.Prefetch(stream[i + 1]);
            }

            _store.Process(stream[i], _features);
            sum += _features[0];
        }

        for (int i = 0; i < stream.Length; i++)
        {
            stream[i].EventTimeNs += shift;
            Redraw(ref stream[i]);
        }

        return sum;
    }

    /// <summary>
    /// New entities for an event's next turn, drawn uniformly from the population like the stream's first ones. The
    /// 65,536 events stay in the cache, as a ring's events are, while over the invocations they reach the whole
    /// population: at 1M cards a card comes back after about a million other events. (Until the eleventh session every
    /// invocation replayed the same entities, about 63,500 distinct cards at 1M cards, a card every 65 seconds of event
    /// time.) A few nanoseconds per event, counted in the measurement.
    /// </summary>
    private void Redraw(ref Transaction tx)
    {
        ulong cards = (ulong)Cards;
        tx.CardId = Draw(cards) + 1;
        tx.AccountId = Draw(cards) + 1;
        tx.MerchantId = Draw(Math.Max(1, cards / 20)) + 1;
        tx.DeviceId = Draw(Math.Max(1, cards / 2)) + 1;
        tx.Ipv4 = (uint)Draw(Math.Max(1, cards / 2)) + 1;
    }

    /// <summary>Uniform in [0, n): xorshift64, scaled by a multiply-high.</summary>
    private ulong Draw(ulong n)
    {
        ulong x = _draw;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        _draw = x;
        return Math.BigMul(x, n, out _);
    }

    /// <summary>The shipped payments spec with tables sized for <paramref name="cards"/>.</summary>
    internal static FeatureSpec Spec(int cards)
    {
        FeatureSpec spec = FeatureSpec.LoadDefault("payments");
        double headroom = Headroom(cards);
        int Cap(double share) => Math.Max(1024, (int)(cards * share * headroom));
        return spec with
        {
            MemoryBudgetBytes = long.MaxValue,
            Entities = [.. spec.Entities.Select(e => e with
            {
                Capacity = e.Name switch
                {
                    "card" or "account" => Cap(1),
                    "merchant" => Cap(0.05),
                    _ => Cap(0.5),
                },
            })],
        };
    }

    private static Transaction[] Stream(int cards, int events, int seed)
    {
        var rng = new Random(seed);
        long t = 1_763_000_000_000_000_000;
        var list = new Transaction[events];
        for (int i = 0; i < events; i++)
        {
            // 1 ms of event time per event on average: 1,000 events a second. With Redraw at 1M cards a card comes back about
            // every 17 minutes, so its 5-minute window has emptied and its 1-hour window has moved on since its last event:
            // most windows change bucket on most events (with 100 cards, few do).
            t += rng.Next(1, 2_000_000);
            list[i] = NewTransaction(rng, cards, t);
        }

        return list;
    }

    private static Transaction NewTransaction(Random rng, int cards, long t) => new()
    {
        TxId = (ulong)rng.NextInt64(), EventTimeNs = t, CardId = (ulong)rng.Next(cards) + 1, AccountId = (ulong)rng.Next(cards) + 1,
        MerchantId = (ulong)rng.Next(Math.Max(1, cards / 20)) + 1, DeviceId = (ulong)rng.Next(Math.Max(1, cards / 2)) + 1,
        Ipv4 = (uint)rng.Next(Math.Max(1, cards / 2)) + 1, AmountMinor = rng.Next(100, 100_000), Mcc = 5411, Country = 826,
        Latitude = 50 + rng.NextDouble(), Longitude = rng.NextDouble(),
    };
}
