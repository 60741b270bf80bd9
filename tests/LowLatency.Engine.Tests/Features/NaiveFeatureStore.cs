using LowLatency.Engine.Events;
using LowLatency.Engine.Features;

namespace LowLatency.Engine.Tests.Features;

/// <summary>
/// Brute-force reference for <see cref="FeatureStore"/>: keeps every accepted event per entity in lists and
/// recomputes each feature from them, straight from the parsed <see cref="FeatureSpec"/> (no plan, no offsets,
/// no rings). It models the documented semantics: read-then-update, watermark lateness and future rejects,
/// ring horizon (max bucket seen minus the ring length), TTL expiry, and the capped distinct set. Full-table
/// evictions depend on hash layout, so the driver tells it which key the store evicted (<see cref="Forget"/>).
/// </summary>
internal sealed class NaiveFeatureStore
{
    private readonly FeatureSpec _spec;
    private readonly Dictionary<ulong, Entity>[] _entities;
    private long _watermark;

    public NaiveFeatureStore(FeatureSpec spec)
    {
        _spec = spec;
        _entities = new Dictionary<ulong, Entity>[spec.Entities.Count];
        for (int i = 0; i < _entities.Length; i++)
        {
            _entities[i] = [];
        }

        var names = new List<string>();
        foreach (EntitySpec e in spec.Entities)
        {
            foreach (WindowSpec w in e.Windows)
            {
                names.AddRange(w.Aggregates.Select(a => a.Name));
            }

            names.AddRange(e.EntityFeatures.Select(a => a.Name));
        }

        FeatureNames = names;
    }

    public List<string> FeatureNames { get; }

    public long LateDropped { get; private set; }

    public long FutureRejected { get; private set; }

    public int Live(int entityType) => _entities[entityType].Count;

    public void Forget(int entityType, ulong key) => _entities[entityType].Remove(key);

    public FeatureStatus Process(in Transaction t, float[] output)
    {
        Transaction tx = t;
        return Run(new Ev(tx.EventTimeNs, name => name switch
        {
            "card" => tx.CardId,
            "account" => tx.AccountId,
            "merchant" => tx.MerchantId,
            "device" => tx.DeviceId,
            "ip" => tx.Ipv4,
            "mcc" => tx.Mcc,
            "country" => tx.Country,
            _ => throw new ArgumentException(name),
        }, _ => tx.AmountMinor, tx.Latitude, tx.Longitude), output);
    }

    public FeatureStatus Process(in Order o, float[] output)
    {
        Order c = o;
        return Run(new Ev(o.EventTimeNs, name => name switch
        {
            "account" => c.AccountId,
            "instrument" => c.InstrumentId,
            "venue" => c.Venue,
            _ => throw new ArgumentException(name),
        }, name => name switch
        {
            "quantity" => c.Quantity,
            "price" => c.PriceE8 / 1e8,
            "notional" => c.PriceE8 / 1e8 * c.Quantity,
            "new" => c.Action == OrderAction.New ? 1 : 0,
            "cancel" => c.Action == OrderAction.Cancel ? 1 : 0,
            "fill" => c.Action == OrderAction.Fill ? 1 : 0,
            _ => throw new ArgumentException(name),
        }, double.NaN, double.NaN), output);
    }

    private FeatureStatus Run(Ev ev, float[] output)
    {
        Array.Clear(output);
        long t = ev.Time;
        if (t <= 0)
        {
            return FeatureStatus.RejectedInvalidTime;
        }

        if (_watermark != 0 && t - _watermark > _spec.MaxFutureNs)
        {
            FutureRejected++;
            return FeatureStatus.RejectedFuture;
        }

        bool late = _watermark != 0 && t < _watermark - _spec.AllowedLatenessNs;
        if (late)
        {
            LateDropped++;
        }
        else
        {
            _watermark = Math.Max(_watermark, t);
        }

        int o = 0;
        for (int i = 0; i < _spec.Entities.Count; i++)
        {
            EntitySpec es = _spec.Entities[i];
            ulong key = ev.Key(es.Key);
            Entity? entity = null;
            if (key != 0)
            {
                if (_entities[i].TryGetValue(key, out Entity? found) && found.LastSeen < _watermark - es.TtlNs)
                {
                    _entities[i].Remove(key);
                    found = null;
                }

                entity = found;
                if (entity is null && !late)
                {
                    entity = new Entity(es);
                    _entities[i].Add(key, entity);
                }
            }

            o = Read(es, entity, ev, output, o);
            if (entity is not null && !late)
            {
                Update(es, entity, ev);
            }
        }

        return late ? FeatureStatus.Late : FeatureStatus.Accepted;
    }

    private static int Read(EntitySpec es, Entity? entity, Ev ev, float[] output, int o)
    {
        for (int wi = 0; wi < es.Windows.Count; wi++)
        {
            WindowSpec w = es.Windows[wi];
            long b = ev.Time / w.BucketNs;
            var values = new List<double>();
            int distinct = 0;
            if (entity is not null && entity.Head[wi] is long head)
            {
                long lo = Math.Max(b - w.Buckets + 1, head - w.Buckets + 1);
                long hi = Math.Min(b, head);
                values.AddRange(entity.Items[wi].Where(it => it.Bucket >= lo && it.Bucket <= hi).Select(it => it.Value));
                distinct = entity.Distinct[wi].Values.Count(lb => lb >= lo && lb <= hi);
            }

            double mean = values.Count > 0 ? values.Average() : 0;
            double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count) : 0;
            foreach (AggregateSpec a in w.Aggregates)
            {
                double x = a.Field is not null && a.Kind != AggregateKind.Distinct ? ev.Numeric(a.Field) : 0;
                output[o++] = a.Kind switch
                {
                    AggregateKind.Count => values.Count,
                    AggregateKind.Sum => (float)values.Sum(),
                    AggregateKind.Mean => (float)mean,
                    AggregateKind.Std => (float)std,
                    AggregateKind.Min => values.Count > 0 ? values.Min(v => (float)v) : 0,
                    AggregateKind.Max => values.Count > 0 ? values.Max(v => (float)v) : 0,
                    AggregateKind.ZScore => std > 0 ? (float)((x - mean) / std) : 0,
                    AggregateKind.Distinct => distinct,
                    _ => throw new InvalidOperationException(),
                };
            }
        }

        foreach (AggregateSpec a in es.EntityFeatures)
        {
            if (a.Kind == AggregateKind.TimeSinceLast)
            {
                output[o++] = entity?.LastSeen is long last && last != long.MinValue ? (float)(Math.Max(0, ev.Time - last) / 1e9) : -1;
            }
            else
            {
                float v = 0;
                if (ev.HasGeo && entity?.LastGeo is (long gt, double lat, double lon))
                {
                    double hours = Math.Max(1e9, Math.Abs(ev.Time - gt)) / 3.6e12;
                    v = (float)(ChordKm(lat, lon, ev.Lat, ev.Lon) / hours);
                }

                output[o++] = v;
            }
        }

        return o;
    }

    private static void Update(EntitySpec es, Entity entity, Ev ev)
    {
        entity.LastSeen = Math.Max(entity.LastSeen, ev.Time);
        if (ev.HasGeo && (entity.LastGeo is null || ev.Time >= entity.LastGeo.Value.Time))
        {
            entity.LastGeo = (ev.Time, ev.Lat, ev.Lon);
        }

        for (int wi = 0; wi < es.Windows.Count; wi++)
        {
            WindowSpec w = es.Windows[wi];
            long b = ev.Time / w.BucketNs;
            long head = entity.Head[wi] ?? long.MinValue / 4;
            if (b <= head - w.Buckets)
            {
                continue;
            }

            head = Math.Max(head, b);
            entity.Head[wi] = head;
            AggregateSpec? numeric = w.Aggregates.FirstOrDefault(a => a.Kind is not AggregateKind.Count and not AggregateKind.Distinct);
            entity.Items[wi].Add((b, numeric is null ? 0 : ev.Numeric(numeric.Field!)));
            AggregateSpec? d = w.Aggregates.FirstOrDefault(a => a.Kind == AggregateKind.Distinct);
            ulong value = d is null ? 0 : ev.Key(d.Field!);
            if (value != 0)
            {
                Dictionary<uint, long> set = entity.Distinct[wi];
                uint fp = FeatureStore.Fingerprint(value);
                if (set.TryGetValue(fp, out long lb))
                {
                    set[fp] = Math.Max(lb, b);
                    continue;
                }

                foreach (uint stale in set.Where(kv => kv.Value <= head - w.Buckets).Select(kv => kv.Key).ToList())
                {
                    set.Remove(stale);
                }

                if (set.Count == d!.MaxTracked)
                {
                    set.Remove(set.OrderBy(kv => kv.Value).ThenBy(kv => kv.Key).First().Key);
                }

                set[fp] = b;
            }
        }
    }

    /// <summary>Great-circle distance via the chord between unit vectors (an independent formula from the store's haversine).</summary>
    internal static double ChordKm(double lat1, double lon1, double lat2, double lon2)
    {
        static (double X, double Y, double Z) Unit(double lat, double lon)
        {
            double la = lat * Math.PI / 180, lo = lon * Math.PI / 180;
            return (Math.Cos(la) * Math.Cos(lo), Math.Cos(la) * Math.Sin(lo), Math.Sin(la));
        }

        var a = Unit(lat1, lon1);
        var c = Unit(lat2, lon2);
        double chord = Math.Sqrt(((a.X - c.X) * (a.X - c.X)) + ((a.Y - c.Y) * (a.Y - c.Y)) + ((a.Z - c.Z) * (a.Z - c.Z)));
        return 2 * 6371.0088 * Math.Asin(Math.Min(1, chord / 2));
    }

    private sealed class Entity(EntitySpec es)
    {
        public long LastSeen = long.MinValue;
        public (long Time, double Lat, double Lon)? LastGeo;
        public readonly long?[] Head = new long?[es.Windows.Count];
        public readonly List<(long Bucket, double Value)>[] Items = es.Windows.Select(_ => new List<(long, double)>()).ToArray();
        public readonly Dictionary<uint, long>[] Distinct = es.Windows.Select(_ => new Dictionary<uint, long>()).ToArray();
    }

    private readonly record struct Ev(long Time, Func<string, ulong> Key, Func<string, double> Numeric, double Lat, double Lon)
    {
        public bool HasGeo => Lat is >= -90 and <= 90 && Lon is >= -180 and <= 180;
    }
}
