using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LowLatency.Engine.Features;

/// <summary>The per-entity read and update: ring arithmetic over the slot's bytes, driven by the plan's offsets.</summary>
public sealed unsafe partial class FeatureStore
{
    private const double EarthRadiusKm = 6371.0088;
    private const double NsPerHour = 3.6e12;
    private const long MinVelocityDtNs = 1_000_000_000L;

    /// <summary>An entity the event has no key for, or a read of one never seen: every window empty, no previous event, no velocity.</summary>
    private void WriteEmpty(in EntityPlan ep)
    {
        if (ep.TimeSinceOut >= 0)
        {
            _direct[ep.TimeSinceOut] = -1f;
        }

        if (ep.VelocityOut >= 0)
        {
            _direct[ep.VelocityOut] = 0f;
        }

        for (int w = ep.FirstWindow; w < ep.FirstWindow + ep.WindowCount; w++)
        {
            SetTotals(w, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    /// <summary>Records window <paramref name="w"/>'s totals for <see cref="Finish"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetTotals(int w, long count, double sum, double sumSq, double x, float min, float max, int distinct)
    {
        double* t = _totals + w;
        int s = _stride;
        t[0] = count;
        t[s] = sum;
        t[2 * s] = sumSq;
        t[3 * s] = x;
        float* f = _extremes + w;
        f[0] = min;
        f[s] = max;
        f[2 * s] = distinct;
    }

    /// <summary>
    /// Turns every window's totals into its statistics, four windows a step (count, sum, mean, std, min, max, z-score,
    /// distinct: the lane-by-lane operations of <see cref="FinishScalar"/>, so the same bits), then writes the feature
    /// vector from the table in one pass, eight features per gather: each feature is one float of it, a statistic or an
    /// entity feature, whatever its kind.
    /// </summary>
    private void Finish(float* output)
    {
        if (Avx.IsSupported && !ForceScalarFinish)
        {
            FinishVector();
        }
        else
        {
            FinishScalar();
        }

        float* table = _extremes;
        int* at = _gather;
        int j = 0, n = _plan.VectorLength;
        if (Avx2.IsSupported)
        {
            for (; j <= n - 8; j += 8)
            {
                Avx2.GatherVector256(table, Vector256.Load(at + j), sizeof(float)).Store(output + j);
            }
        }

        for (; j < n; j++)
        {
            output[j] = table[at[j]];
        }
    }

    /// <summary>Test hook: this store computes statistics by the scalar path even where AVX is available.</summary>
    internal bool ForceScalarFinish { get; set; }

    /// <summary>
    /// <see cref="Finish"/>'s statistics four windows a step. The divisions and the root are skipped for the steps none of
    /// whose windows has a feature that needs them (<see cref="_divisions"/>): the statistics of those kinds are then
    /// not written, and no feature reads them.
    /// </summary>
    private void FinishVector()
    {
        int s = _stride;
        double* t = _totals;
        float* f = _extremes, st = _stats;
        byte* needs = _divisions;
        for (int w = 0; w < s; w += 4)
        {
            Vector256<double> n = Vector256.Load(t + w);
            Vector256<double> sum = Vector256.Load(t + s + w);
            Vector128<float> count = Avx.ConvertToVector128Single(n);
            Vector128<float> someF = Vector128.GreaterThan(count, Vector128<float>.Zero);
            count.Store(st + ((int)AggregateKind.Count * s) + w);
            Avx.ConvertToVector128Single(sum).Store(st + ((int)AggregateKind.Sum * s) + w);
            Vector128.ConditionalSelect(someF, Vector128.Load(f + w), Vector128<float>.Zero).Store(st + ((int)AggregateKind.Min * s) + w);
            Vector128.ConditionalSelect(someF, Vector128.Load(f + s + w), Vector128<float>.Zero).Store(st + ((int)AggregateKind.Max * s) + w);
            Vector128.Load(f + (2 * s) + w).Store(st + ((int)AggregateKind.Distinct * s) + w);
            int need = needs[w >> 2];
            if (need == 0)
            {
                continue;
            }

            Vector256<double> zero = Vector256<double>.Zero;
            Vector256<double> some = Vector256.GreaterThan(n, zero);
            Vector256<double> mean = Vector256.ConditionalSelect(some, sum / n, zero);
            Avx.ConvertToVector128Single(mean).Store(st + ((int)AggregateKind.Mean * s) + w);
            if ((need & NeedsStd) == 0)
            {
                continue;
            }

            Vector256<double> sq = Vector256.Load(t + (2 * s) + w);
            Vector256<double> variance = Vector256.ConditionalSelect(
                Vector256.GreaterThan(n, Vector256.Create(1.0)), Vector256.Max(zero, ((n * sq) - (sum * sum)) / (n * n)), zero);
            Vector128<float> std = Vector128.Sqrt(Avx.ConvertToVector128Single(variance));
            std.Store(st + ((int)AggregateKind.Std * s) + w);
            if ((need & NeedsZScore) == 0)
            {
                continue;
            }

            Vector256<double> x = Vector256.Load(t + (3 * s) + w);
            Vector256<double> stdD = Avx.ConvertToVector256Double(std);
            Vector256<double> z = Vector256.ConditionalSelect(Vector256.GreaterThan(stdD, zero), (x - mean) / stdD, zero);
            Avx.ConvertToVector128Single(z).Store(st + ((int)AggregateKind.ZScore * s) + w);
        }
    }

    // Bits of _divisions: which statistics past count, sum, min, max and distinct some window of a step of four needs.
    private const byte NeedsMean = 1;
    private const byte NeedsStd = 2;
    private const byte NeedsZScore = 4;

    /// <summary>Per four windows of the plan, the <c>Needs…</c> bits of the features that read them.</summary>
    private static byte[] Divisions(FeaturePlan plan)
    {
        var needs = new byte[Math.Max(1, plan.WindowStride / 4)];
        foreach (AggregateOp op in plan.Ops)
        {
            int w = op.Source % plan.WindowStride;
            needs[w / 4] |= op.Kind switch
            {
                AggregateKind.Mean => NeedsMean,
                AggregateKind.Std => NeedsMean | NeedsStd,
                AggregateKind.ZScore => NeedsMean | NeedsStd | NeedsZScore,
                _ => 0,
            };
        }

        return needs;
    }

    /// <summary>
    /// <see cref="FinishVector"/> one window at a time. Std and z-score use n·Σx² − (Σx)², exact for integer-valued data
    /// while both stay below 2^53, unlike Σx²/n − mean²; the root is taken in single precision, the output's.
    /// </summary>
    private void FinishScalar()
    {
        int s = _stride;
        double* t = _totals;
        float* f = _extremes, st = _stats;
        for (int w = 0; w < s; w++)
        {
            double n = t[w], sum = t[s + w], sq = t[(2 * s) + w], x = t[(3 * s) + w];
            double mean = n > 0 ? sum / n : 0;
            double variance = n > 1 ? Math.Max(0, ((n * sq) - (sum * sum)) / (n * n)) : 0;
            float std = MathF.Sqrt((float)variance);
            st[((int)AggregateKind.Count * s) + w] = (float)n;
            st[((int)AggregateKind.Sum * s) + w] = (float)sum;
            st[((int)AggregateKind.Mean * s) + w] = (float)mean;
            st[((int)AggregateKind.Std * s) + w] = std;
            st[((int)AggregateKind.Min * s) + w] = n > 0 ? f[w] : 0f;
            st[((int)AggregateKind.Max * s) + w] = n > 0 ? f[s + w] : 0f;
            st[((int)AggregateKind.ZScore * s) + w] = std > 0 ? (float)((x - mean) / std) : 0f;
            st[((int)AggregateKind.Distinct * s) + w] = f[(2 * s) + w];
        }
    }

    /// <summary>
    /// One entity's part of an event: reads its features as of just before the event (its windows' totals and its entity
    /// features, into the tables <see cref="Finish"/> reads), then, when <paramref name="mutate"/>, adds the event to its
    /// state. Per window an event in the ring's newest bucket (the common case) reads every bucket of the ring without
    /// range arithmetic; an event in a newer bucket reads the ring's buckets still inside its window, then moves the ring
    /// forward to its bucket (emptying buckets no read can see again); a late one reads its window's part of the ring.
    /// </summary>
    // Never inlined: compiled as a root of its own, the JIT inlines the scans, the bucket update and the totals into it
    // whatever its caller; inlined into a large caller (the ring's batch loop) it ran out of inlining budget and called them.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Step(in EntityPlan ep, byte* slot, ref FeatureEvent e, bool mutate)
    {
        long t = e.TimeNs;
        long lastSeen = *(long*)slot;
        if (ep.TimeSinceOut >= 0)
        {
            _direct[ep.TimeSinceOut] = lastSeen == EntityTable.Never ? -1f : (float)(Math.Max(0, t - lastSeen) * 1e-9);
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

            _direct[ep.VelocityOut] = v;
        }

        if (mutate)
        {
            if (t > lastSeen)
            {
                *(long*)slot = t;
            }

            if (ep.VelocityOut >= 0 && e.HasGeo && t >= *(long*)(slot + 8))
            {
                *(long*)(slot + 8) = t;
                *(double*)(slot + 16) = e.Latitude;
                *(double*)(slot + 24) = e.Longitude;
            }
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

            // Events older than the ring's horizon are read but change nothing: no read can see their bucket any more.
            bool update = mutate && b > head - n;

            // The window is buckets b-n+1 .. b; the ring holds head-n+1 .. head. Read before the ring moves on to a newer
            // bucket (the buckets the move empties are outside the window anyway): a vector load of bytes just written by
            // scalar stores has to wait for them, and perf showed that wait after every move.
            Totals sum = Totals.Empty;
            long lo, hi;
            if (b == head)
            {
                lo = b - n + 1;
                hi = b;
                Scan(ws, in wp, 0, n, ref sum);
            }
            else
            {
                hi = Math.Min(b, head);
                lo = Math.Max(b - n + 1, head - n + 1);
                if (hi >= lo)
                {
                    int s = SlotOf(lo, b, bslot, n);
                    int len = (int)(hi - lo + 1);
                    int first = Math.Min(len, n - s);
                    Scan(ws, in wp, s, first, ref sum);
                    if (len > first)
                    {
                        Scan(ws, in wp, 0, len - first, ref sum);
                    }
                }
            }

            int distinct = 0;
            if (wp.DistinctK > 0 && hi >= lo)
            {
                DistinctEntry* d = (DistinctEntry*)(ws + wp.DistinctOffset);
                if (wp.DistinctK == 8 && Avx2.IsSupported)
                {
                    (Vector256<int> fps, Vector256<int> buckets) = Entries8(d);
                    // BucketWithin, lane by lane: (uint)(hi - bucket) <= hi - lo (the span is below 2^31).
                    Vector256<uint> age = (Vector256.Create(unchecked((int)hi)) - buckets).AsUInt32();
                    Vector256<int> live = ~Vector256.Equals(fps, Vector256<int>.Zero)
                        & ~Vector256.GreaterThan(age, Vector256.Create((uint)(hi - lo))).AsInt32();
                    distinct = BitOperations.PopCount(live.ExtractMostSignificantBits());
                }
                else
                {
                    for (int k = 0; k < wp.DistinctK; k++)
                    {
                        distinct += d[k].Fingerprint != 0 && BucketWithin(d[k].Bucket, lo, hi) ? 1 : 0;
                    }
                }
            }

            double x = wp.NumericIndex >= 0 ? e.Numerics[wp.NumericIndex] : 0;
            SetTotals(w, sum.Count, sum.Sum, sum.SumSq, x, sum.Min, sum.Max, distinct);
            if (update)
            {
                if (b > head)
                {
                    Advance(ws, in wp, head, b, bslot);
                    *(long*)ws = head = b;
                }

                AddToBucket(ws, in wp, bslot, x, ref e, b, head - n);
            }
        }
    }

    /// <summary>Counts the event into the ring position <paramref name="s"/> and, for distinct windows, its key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddToBucket(byte* ws, in WindowPlan wp, int s, double x, ref FeatureEvent e, long b, long horizon)
    {
        ((uint*)(ws + wp.CountsOffset))[s]++;
        if (wp.NumericIndex >= 0)
        {
            if (wp.SumsOffset >= 0)
            {
                ((double*)(ws + wp.SumsOffset))[s] += x;
            }

            if (wp.SumSqsOffset >= 0)
            {
                ((double*)(ws + wp.SumSqsOffset))[s] += x * x;
            }

            float xf = (float)x;
            if (wp.MinsOffset >= 0)
            {
                float* m = (float*)(ws + wp.MinsOffset) + s;
                *m = Math.Min(*m, xf);
            }

            if (wp.MaxsOffset >= 0)
            {
                float* m = (float*)(ws + wp.MaxsOffset) + s;
                *m = Math.Max(*m, xf);
            }
        }

        if (wp.DistinctK > 0)
        {
            ulong value = e.Keys[wp.DistinctKeyIndex];
            if (value != 0)
            {
                AddDistinct((DistinctEntry*)(ws + wp.DistinctOffset), wp.DistinctK, Fingerprint(value), unchecked((int)b), unchecked((int)horizon));
            }
        }
    }

    /// <summary>Bytes a vector read may touch past the end of a bucket array (eight lanes of 8 bytes from its last element).</summary>
    internal const int ScanOverrunBytes = 64;

    /// <summary>
    /// Adds ring positions <paramref name="start"/> .. start + len - 1 (no wrap) to <paramref name="t"/>. Up to eight
    /// buckets (every shipped window) take one masked vector per array; longer rings a loop. Floating-point sums are
    /// added in one fixed order either way (<see cref="SumOf8"/>), whatever vector width the CPU has.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scan(byte* ws, in WindowPlan wp, int start, int len, ref Totals t)
    {
        if (len <= 8 && Vector256.IsHardwareAccelerated)
        {
            ScanUpTo8(ws, in wp, start, len, ref t);
            return;
        }

        ScanLoop(ws, in wp, start, len, ref t);
    }

    /// <summary>
    /// <see cref="Scan"/> for at most eight positions: each array is loaded as eight lanes (the lanes past
    /// <paramref name="len"/> read the next bytes of the slot, or the table's <see cref="ScanOverrunBytes"/>, and are
    /// masked out before any arithmetic).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScanUpTo8(byte* ws, in WindowPlan wp, int start, int len, ref Totals t)
    {
        Vector256<int> live = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(len));
        Vector256<uint> counts = Vector256.Load((uint*)(ws + wp.CountsOffset) + start) & live.AsUInt32();
        (Vector256<ulong> cLo, Vector256<ulong> cHi) = Vector256.Widen(counts);
        t.Count += (long)Vector256.Sum(cLo + cHi);

        if (wp.SumsOffset >= 0 || wp.SumSqsOffset >= 0)
        {
            // Lanes 0-3 and 4-7 of the mask, widened to 64 bits for the double arrays.
            (Vector256<long> liveLo, Vector256<long> liveHi) = Vector256.Widen(live);
            if (wp.SumsOffset >= 0)
            {
                double* a = (double*)(ws + wp.SumsOffset) + start;
                t.Sum += SumOf8(Vector256.Load(a) & liveLo.AsDouble(), Vector256.Load(a + 4) & liveHi.AsDouble());
            }

            if (wp.SumSqsOffset >= 0)
            {
                double* a = (double*)(ws + wp.SumSqsOffset) + start;
                t.SumSq += SumOf8(Vector256.Load(a) & liveLo.AsDouble(), Vector256.Load(a + 4) & liveHi.AsDouble());
            }
        }

        // Empty buckets hold +inf / -inf, and so do the masked lanes: minima and maxima need no count test.
        if (wp.MinsOffset >= 0)
        {
            Vector256<float> m = Vector256.ConditionalSelect(live.AsSingle(), Vector256.Load((float*)(ws + wp.MinsOffset) + start), Vector256.Create(float.PositiveInfinity));
            t.Min = Math.Min(t.Min, Reduce(m, max: false));
        }

        if (wp.MaxsOffset >= 0)
        {
            Vector256<float> m = Vector256.ConditionalSelect(live.AsSingle(), Vector256.Load((float*)(ws + wp.MaxsOffset) + start), Vector256.Create(float.NegativeInfinity));
            t.Max = Math.Max(t.Max, Reduce(m, max: true));
        }
    }

    /// <summary>The smallest (or with <paramref name="max"/> the largest) of eight lanes; order does not matter for either.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector256<float> v, bool max)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector128<float> Pick(Vector128<float> a, Vector128<float> b, bool max) => max ? Vector128.Max(a, b) : Vector128.Min(a, b);
        Vector128<float> h = Pick(v.GetLower(), v.GetUpper(), max);
        h = Pick(h, Vector128.Shuffle(h, Vector128.Create(2, 3, 0, 1)), max);
        h = Pick(h, Vector128.Shuffle(h, Vector128.Create(1, 0, 3, 2)), max);
        return h.ToScalar();
    }

    /// <summary>
    /// x0 + … + x7 in one fixed order: ((x0 + x4) + (x2 + x6)) + ((x1 + x5) + (x3 + x7)). <see cref="ScanLoop"/> groups
    /// each run of eight the same way, so a window sums to the same bits on every path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double SumOf8(Vector256<double> lo, Vector256<double> hi)
    {
        Vector256<double> h = lo + hi;
        Vector128<double> q = h.GetLower() + h.GetUpper();
        return q.ToScalar() + q.GetElement(1);
    }

    /// <summary>Scalar <see cref="SumOf8"/> of <paramref name="a"/>[0 .. len - 1] (len ≤ 8), the missing lanes 0.</summary>
    private static double SumOf8Scalar(double* a, int len)
    {
        double* x = stackalloc double[8];
        for (int i = 0; i < 8; i++)
        {
            x[i] = i < len ? a[i] : 0;
        }

        return ((x[0] + x[4]) + (x[2] + x[6])) + ((x[1] + x[5]) + (x[3] + x[7]));
    }

    /// <summary>Test hook: a window's totals over ring positions <paramref name="start"/> .. start + len - 1 by the vector path or the loop.</summary>
    internal static (long Count, double Sum, double SumSq, float Min, float Max) ScanTotals(byte* ws, in WindowPlan wp, int start, int len, bool vector)
    {
        Totals t = Totals.Empty;
        if (vector)
        {
            ScanUpTo8(ws, in wp, start, len, ref t);
        }
        else
        {
            ScanLoop(ws, in wp, start, len, ref t);
        }

        return (t.Count, t.Sum, t.SumSq, t.Min, t.Max);
    }

    /// <summary><see cref="Scan"/> without vectors: any length, sums in runs of eight added in <see cref="SumOf8"/>'s order.</summary>
    private static void ScanLoop(byte* ws, in WindowPlan wp, int start, int len, ref Totals t)
    {
        uint* counts = (uint*)(ws + wp.CountsOffset) + start;
        long c = 0;
        for (int i = 0; i < len; i++)
        {
            c += counts[i];
        }

        t.Count += c;
        if (wp.SumsOffset >= 0)
        {
            double* a = (double*)(ws + wp.SumsOffset) + start;
            for (int i = 0; i < len; i += 8)
            {
                t.Sum += SumOf8Scalar(a + i, Math.Min(8, len - i));
            }
        }

        if (wp.SumSqsOffset >= 0)
        {
            double* a = (double*)(ws + wp.SumSqsOffset) + start;
            for (int i = 0; i < len; i += 8)
            {
                t.SumSq += SumOf8Scalar(a + i, Math.Min(8, len - i));
            }
        }

        // Empty buckets hold +inf / -inf, so minima and maxima need no count test.
        if (wp.MinsOffset >= 0)
        {
            float* a = (float*)(ws + wp.MinsOffset) + start;
            float m = t.Min;
            for (int i = 0; i < len; i++)
            {
                m = Math.Min(m, a[i]);
            }

            t.Min = m;
        }

        if (wp.MaxsOffset >= 0)
        {
            float* a = (float*)(ws + wp.MaxsOffset) + start;
            float m = t.Max;
            for (int i = 0; i < len; i++)
            {
                m = Math.Max(m, a[i]);
            }

            t.Max = m;
        }
    }

    /// <summary>Moves the ring from <paramref name="head"/> forward to <paramref name="b"/>: buckets head+1 .. b are emptied, at most the whole ring.</summary>
    private static void Advance(byte* ws, in WindowPlan wp, long head, long b, int bslot)
    {
        int n = wp.Buckets;
        if (b - head >= n)
        {
            Clear(ws, in wp, 0, n);
            return;
        }

        int s = SlotOf(head + 1, b, bslot, n); // b - n < head < b here
        int len = (int)(b - head);
        int first = Math.Min(len, n - s);
        Clear(ws, in wp, s, first);
        if (len > first)
        {
            Clear(ws, in wp, 0, len - first);
        }
    }

    /// <summary>
    /// Empties ring positions <paramref name="start"/> .. start + len - 1 (no wrap). Plain loops, not span helpers: a
    /// window moving to a new bucket clears one or a few positions of each array, too few to pay for a call.
    /// </summary>
    private static void Clear(byte* ws, in WindowPlan wp, int start, int len)
    {
        uint* counts = (uint*)(ws + wp.CountsOffset) + start;
        for (int i = 0; i < len; i++)
        {
            counts[i] = 0;
        }

        if (wp.SumsOffset >= 0)
        {
            double* a = (double*)(ws + wp.SumsOffset) + start;
            for (int i = 0; i < len; i++)
            {
                a[i] = 0;
            }
        }

        if (wp.SumSqsOffset >= 0)
        {
            double* a = (double*)(ws + wp.SumSqsOffset) + start;
            for (int i = 0; i < len; i++)
            {
                a[i] = 0;
            }
        }

        if (wp.MinsOffset >= 0)
        {
            float* a = (float*)(ws + wp.MinsOffset) + start;
            for (int i = 0; i < len; i++)
            {
                a[i] = float.PositiveInfinity;
            }
        }

        if (wp.MaxsOffset >= 0)
        {
            float* a = (float*)(ws + wp.MaxsOffset) + start;
            for (int i = 0; i < len; i++)
            {
                a[i] = float.NegativeInfinity;
            }
        }
    }

    /// <summary>Running totals of a range of buckets.</summary>
    private struct Totals
    {
        public long Count;
        public double Sum;
        public double SumSq;
        public float Min;
        public float Max;

        public static Totals Empty => new() { Min = float.PositiveInfinity, Max = float.NegativeInfinity };
    }

    /// <summary>
    /// Capped exact set of (fingerprint, last bucket). A value already present moves its bucket forward; a new
    /// one takes an empty entry or one that fell out of the ring's horizon, else evicts the entry with the
    /// oldest bucket (ties: smaller fingerprint), so the set always holds the most recent values.
    /// </summary>
    private static void AddDistinct(DistinctEntry* d, int k, uint fp, int bucket, int horizon)
    {
        if (k == 8 && Avx2.IsSupported)
        {
            AddDistinct8(d, fp, bucket, horizon);
            return;
        }

        AddDistinctLoop(d, k, fp, bucket, horizon);
    }

    /// <summary>
    /// Test hook: <see cref="AddDistinct"/> on a set held as packed entries (fingerprint in the low 32 bits, bucket in the
    /// high 32), by the path the store takes (<paramref name="asStored"/>: vector compares for sets of eight where AVX2
    /// is available) or by the scalar loop every size can take.
    /// </summary>
    internal static void AddDistinctEntry(Span<ulong> entries, uint fp, int bucket, int horizon, bool asStored)
    {
        fixed (ulong* p = entries)
        {
            if (asStored)
            {
                AddDistinct((DistinctEntry*)p, entries.Length, fp, bucket, horizon);
            }
            else
            {
                AddDistinctLoop((DistinctEntry*)p, entries.Length, fp, bucket, horizon);
            }
        }
    }

    /// <summary><see cref="AddDistinct"/> by one pass over the entries, for any set size.</summary>
    private static void AddDistinctLoop(DistinctEntry* d, int k, uint fp, int bucket, int horizon)
    {
        int free = -1, victim = -1;
        for (int i = 0; i < k; i++)
        {
            uint f = d[i].Fingerprint;
            if (f == fp)
            {
                if (BucketOrder(bucket, d[i].Bucket) > 0)
                {
                    d[i].Bucket = bucket;
                }

                return;
            }

            if (f == 0 || BucketOrder(d[i].Bucket, horizon) <= 0)
            {
                if (free < 0)
                {
                    free = i;
                }
            }
            else if (victim < 0 || BucketOrder(d[i].Bucket, d[victim].Bucket) < 0 || (d[i].Bucket == d[victim].Bucket && f < d[victim].Fingerprint))
            {
                victim = i;
            }
        }

        int at = free >= 0 ? free : victim;
        d[at].Fingerprint = fp;
        d[at].Bucket = bucket;
    }

    /// <summary>
    /// <see cref="AddDistinct"/> for a set of eight, its searches as vector compares: the value's entry, else the first
    /// free one (empty, or out of the horizon), else the same victim by the same order (oldest bucket, then smaller
    /// fingerprint). The same entry is written with the same values.
    /// </summary>
    private static void AddDistinct8(DistinctEntry* d, uint fp, int bucket, int horizon)
    {
        (Vector256<int> fps, Vector256<int> buckets) = Entries8(d);
        uint same = Vector256.Equals(fps, Vector256.Create(unchecked((int)fp))).ExtractMostSignificantBits();
        if (same != 0)
        {
            int i = BitOperations.TrailingZeroCount(same);
            if (BucketOrder(bucket, d[i].Bucket) > 0)
            {
                d[i].Bucket = bucket;
            }

            return;
        }

        // BucketOrder(entry, horizon) <= 0, lane by lane: entry - horizon (wrapping) is not positive.
        Vector256<int> expired = ~Vector256.GreaterThan(buckets - Vector256.Create(horizon), Vector256<int>.Zero);
        uint free = (Vector256.Equals(fps, Vector256<int>.Zero) | expired).ExtractMostSignificantBits();
        int at;
        if (free != 0)
        {
            at = BitOperations.TrailingZeroCount(free);
        }
        else
        {
            at = 0;
            for (int i = 1; i < 8; i++)
            {
                if (BucketOrder(d[i].Bucket, d[at].Bucket) < 0 || (d[i].Bucket == d[at].Bucket && d[i].Fingerprint < d[at].Fingerprint))
                {
                    at = i;
                }
            }
        }

        d[at].Fingerprint = fp;
        d[at].Bucket = bucket;
    }

    /// <summary>The fingerprints and the buckets of a set of eight entries, each as eight lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<int> Fingerprints, Vector256<int> Buckets) Entries8(DistinctEntry* d)
    {
        Vector256<int> order = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        Vector256<int> a = Avx2.PermuteVar8x32(Vector256.Load((int*)d), order); // f0 f1 f2 f3 b0 b1 b2 b3
        Vector256<int> b = Avx2.PermuteVar8x32(Vector256.Load((int*)d + 8), order); // f4 f5 f6 f7 b4 b5 b6 b7
        return (Avx2.Permute2x128(a, b, 0x20), Avx2.Permute2x128(a, b, 0x31));
    }

    // Distinct entries keep the low 32 bits of their absolute bucket number (with 100 ms buckets the number passes 2^31 at
    // today's epoch times). The live entries of one window lie within its ring of buckets, far less than 2^31 apart, so
    // comparing by wrapping difference orders them as their full numbers would.

    /// <summary>Sign of <paramref name="a"/> − <paramref name="b"/> for two 32-bit bucket numbers less than 2^31 apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int BucketOrder(int a, int b) => unchecked(a - b);

    /// <summary>Whether the 32-bit bucket number <paramref name="bucket"/> is one of <paramref name="lo"/> .. <paramref name="hi"/> (a window's span).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool BucketWithin(int bucket, long lo, long hi) => unchecked((uint)((int)hi - bucket)) <= (ulong)(hi - lo);

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
