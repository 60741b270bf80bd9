using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LowLatency.Engine.Features;

/// <summary>The per-entity read and update: ring arithmetic over the slot's bytes, driven by the plan's offsets.</summary>
public sealed unsafe partial class FeatureStore
{
    private const double EarthRadiusKm = 6371.0088;
    private const double NsPerHour = 3.6e12;
    private const long MinVelocityDtNs = 1_000_000_000L;

    private void WriteEmpty(in EntityPlan ep, Span<float> output)
    {
        output.Slice(ep.FirstOut, ep.OutCount).Clear();
        if (ep.TimeSinceOut >= 0)
        {
            output[ep.TimeSinceOut] = -1f;
        }
    }

    private void ReadEntity(in EntityPlan ep, byte* slot, ref FeatureEvent e, Span<float> output)
    {
        long t = e.TimeNs;
        WindowPlan[] windows = _windows;
        AggregateOp[] ops = _ops;
        for (int w = ep.FirstWindow; w < ep.FirstWindow + ep.WindowCount; w++)
        {
            ref readonly WindowPlan wp = ref windows[w];
            byte* ws = slot + wp.Offset;
            long head = *(long*)ws;
            long b = _bucketIndex[w];
            int bslot = _bucketSlot[w];
            int n = wp.Buckets;
            long hi = Math.Min(b, head);
            long lo = Math.Max(b - n + 1, head - n + 1);

            long count = 0;
            double sum = 0, sumSq = 0;
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            if (hi >= lo)
            {
                int s = SlotOf(lo, b, bslot, n); // lo is within n - 1 buckets before b here
                int bb = wp.BucketBytes;
                byte* buckets = ws + sizeof(long);
                for (long j = lo; j <= hi; j++)
                {
                    byte* bk = buckets + (s * bb);
                    uint c = *(uint*)bk;
                    if (c != 0)
                    {
                        count += c;
                        if (wp.SumOffset >= 0)
                        {
                            sum += Unsafe.ReadUnaligned<double>(bk + wp.SumOffset);
                        }

                        if (wp.SumSqOffset >= 0)
                        {
                            sumSq += Unsafe.ReadUnaligned<double>(bk + wp.SumSqOffset);
                        }

                        if (wp.MinOffset >= 0)
                        {
                            min = Math.Min(min, *(float*)(bk + wp.MinOffset));
                        }

                        if (wp.MaxOffset >= 0)
                        {
                            max = Math.Max(max, *(float*)(bk + wp.MaxOffset));
                        }
                    }

                    if (++s == n)
                    {
                        s = 0;
                    }
                }
            }

            int distinct = 0;
            if (wp.DistinctK > 0)
            {
                DistinctEntry* d = (DistinctEntry*)(ws + wp.DistinctOffset);
                for (int k = 0; k < wp.DistinctK; k++)
                {
                    if (d[k].Fingerprint != 0 && d[k].Bucket >= lo && d[k].Bucket <= hi)
                    {
                        distinct++;
                    }
                }
            }

            double mean = count > 0 ? sum / count : 0;
            // n*sumsq - sum^2 is exact for integer-valued data while both stay below 2^53, unlike sumsq/n - mean^2.
            double variance = count > 1 ? Math.Max(0, ((count * sumSq) - (sum * sum)) / ((double)count * count)) : 0;
            double std = Math.Sqrt(variance);
            double x = wp.NumericIndex >= 0 ? e.Numerics[wp.NumericIndex] : 0;
            for (int o = wp.FirstOp; o < wp.FirstOp + wp.OpCount; o++)
            {
                AggregateOp op = ops[o];
                output[op.Out] = op.Kind switch
                {
                    AggregateKind.Count => count,
                    AggregateKind.Sum => (float)sum,
                    AggregateKind.Mean => (float)mean,
                    AggregateKind.Std => (float)std,
                    AggregateKind.Min => count > 0 ? min : 0f,
                    AggregateKind.Max => count > 0 ? max : 0f,
                    AggregateKind.ZScore => std > 0 ? (float)((x - mean) / std) : 0f,
                    AggregateKind.Distinct => distinct,
                    _ => 0f,
                };
            }
        }

        long lastSeen = *(long*)slot;
        if (ep.TimeSinceOut >= 0)
        {
            output[ep.TimeSinceOut] = lastSeen == EntityTable.Never ? -1f : (float)(Math.Max(0, t - lastSeen) * 1e-9);
        }

        if (ep.VelocityOut >= 0)
        {
            long lastGeo = *(long*)(slot + 8);
            float v = 0;
            if (e.HasGeo && lastGeo != EntityTable.Never)
            {
                double km = HaversineKm(*(double*)(slot + 16), *(double*)(slot + 24), e.Latitude, e.Longitude);
                long dt = Math.Max(MinVelocityDtNs, Math.Abs(t - lastGeo));
                v = (float)(km / (dt / NsPerHour));
            }

            output[ep.VelocityOut] = v;
        }
    }

    private void UpdateEntity(in EntityPlan ep, byte* slot, ref FeatureEvent e)
    {
        long t = e.TimeNs;
        if (t > *(long*)slot)
        {
            *(long*)slot = t;
        }

        if (e.HasGeo && t >= *(long*)(slot + 8))
        {
            *(long*)(slot + 8) = t;
            *(double*)(slot + 16) = e.Latitude;
            *(double*)(slot + 24) = e.Longitude;
        }

        WindowPlan[] windows = _windows;
        for (int w = ep.FirstWindow; w < ep.FirstWindow + ep.WindowCount; w++)
        {
            ref readonly WindowPlan wp = ref windows[w];
            byte* ws = slot + wp.Offset;
            long head = *(long*)ws;
            long b = _bucketIndex[w];
            int bslot = _bucketSlot[w];
            int n = wp.Buckets;
            int bb = wp.BucketBytes;
            byte* buckets = ws + sizeof(long);
            if (b > head)
            {
                // The ring moves forward: buckets head+1..b get recycled, at most the whole ring.
                if (b - head >= n)
                {
                    NativeMemory.Clear(buckets, (nuint)(n * bb));
                }
                else
                {
                    int s = SlotOf(head + 1, b, bslot, n); // b - n < head < b here
                    for (long j = head + 1; j <= b; j++)
                    {
                        NativeMemory.Clear(buckets + (s * bb), (nuint)bb);
                        if (++s == n)
                        {
                            s = 0;
                        }
                    }
                }

                *(long*)ws = head = b;
            }
            else if (b <= head - n)
            {
                // Older than the ring's horizon: no read can see it any more.
                continue;
            }

            byte* bk = buckets + (bslot * bb);
            uint c = *(uint*)bk;
            *(uint*)bk = c + 1;
            if (wp.NumericIndex >= 0)
            {
                double x = e.Numerics[wp.NumericIndex];
                if (wp.SumOffset >= 0)
                {
                    Unsafe.WriteUnaligned(bk + wp.SumOffset, Unsafe.ReadUnaligned<double>(bk + wp.SumOffset) + x);
                }

                if (wp.SumSqOffset >= 0)
                {
                    Unsafe.WriteUnaligned(bk + wp.SumSqOffset, Unsafe.ReadUnaligned<double>(bk + wp.SumSqOffset) + (x * x));
                }

                float xf = (float)x;
                if (wp.MinOffset >= 0 && (c == 0 || xf < *(float*)(bk + wp.MinOffset)))
                {
                    *(float*)(bk + wp.MinOffset) = xf;
                }

                if (wp.MaxOffset >= 0 && (c == 0 || xf > *(float*)(bk + wp.MaxOffset)))
                {
                    *(float*)(bk + wp.MaxOffset) = xf;
                }
            }

            if (wp.DistinctK > 0)
            {
                ulong value = e.Keys[wp.DistinctKeyIndex];
                if (value != 0)
                {
                    AddDistinct((DistinctEntry*)(ws + wp.DistinctOffset), wp.DistinctK, Fingerprint(value), (int)b, head - n);
                }
            }
        }
    }

    /// <summary>
    /// Capped exact set of (fingerprint, last bucket). A value already present moves its bucket forward; a new
    /// one takes an empty entry or one that fell out of the ring's horizon, else evicts the entry with the
    /// oldest bucket (ties: smaller fingerprint), so the set always holds the most recent values.
    /// </summary>
    private static void AddDistinct(DistinctEntry* d, int k, uint fp, int bucket, long horizon)
    {
        int free = -1, victim = -1;
        for (int i = 0; i < k; i++)
        {
            uint f = d[i].Fingerprint;
            if (f == fp)
            {
                if (bucket > d[i].Bucket)
                {
                    d[i].Bucket = bucket;
                }

                return;
            }

            if (f == 0 || d[i].Bucket <= horizon)
            {
                if (free < 0)
                {
                    free = i;
                }
            }
            else if (victim < 0 || d[i].Bucket < d[victim].Bucket || (d[i].Bucket == d[victim].Bucket && f < d[victim].Fingerprint))
            {
                victim = i;
            }
        }

        int at = free >= 0 ? free : victim;
        d[at].Fingerprint = fp;
        d[at].Bucket = bucket;
    }

    /// <summary>32-bit fingerprint of a key for the distinct set; never 0 (0 marks an empty entry).</summary>
    internal static uint Fingerprint(ulong value)
    {
        ulong h = (value ^ (value >> 31)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 29)) * 0x94D049BB133111EBUL;
        uint f = (uint)(h >> 32);
        return f == 0 ? 1u : f;
    }

    /// <summary>
    /// Ring position of bucket <paramref name="x"/> given <paramref name="b"/>'s (<paramref name="bslot"/> = b mod n), for
    /// x within n - 1 buckets of b: an add and one correction instead of a 64-bit division.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SlotOf(long x, long b, int bslot, int n)
    {
        int s = bslot + (int)(x - b);
        if (s < 0)
        {
            s += n;
        }
        else if (s >= n)
        {
            s -= n;
        }

        return s;
    }

    private static double HaversineKm(double lat1, double lon1, double lat2, double lon2)
    {
        const double Rad = Math.PI / 180.0;
        double sLat = Math.Sin((lat2 - lat1) * Rad * 0.5);
        double sLon = Math.Sin((lon2 - lon1) * Rad * 0.5);
        double a = (sLat * sLat) + (Math.Cos(lat1 * Rad) * Math.Cos(lat2 * Rad) * sLon * sLon);
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1.0, Math.Sqrt(a)));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DistinctEntry
    {
        public uint Fingerprint;
        public int Bucket;
    }
}
