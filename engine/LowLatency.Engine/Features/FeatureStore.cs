using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using LowLatency.Engine.Events;

namespace LowLatency.Engine.Features;

/// <summary>
/// Rolling per-entity features in event time over memory allocated once at construction. Each event first
/// READS its features as of just before it, then UPDATES the state (see Features/README.md for the exact
/// semantics). Single-threaded: one processing thread owns a store; no call allocates.
/// </summary>
public sealed unsafe partial class FeatureStore : IDisposable
{
    private readonly FeaturePlan _plan;
    private readonly EntityPlan[] _entities;
    private readonly WindowPlan[] _windows;
    private readonly AggregateOp[] _ops;
    private readonly EntityTable[] _tables;
    private readonly long[] _bucketIndex;
    // Per window: this event's bucket index modulo the ring length, and the event-time range [from, to) of the cached
    // bucket. Consecutive events mostly fall in the same bucket, so the divisions (t / bucket, b % n) run once per
    // bucket rather than per event; ring positions of other buckets are derived by adding offsets (see SlotOf).
    private readonly int[] _bucketSlot;
    private readonly long[] _bucketFrom;
    private readonly long[] _bucketTo;
    // The event's per-window totals (Step writes them, Finish turns them into features), a row per quantity and a column
    // per window of the plan (WindowStride columns, so four windows are one vector): rows of TotalRows doubles, then rows
    // of ExtremeRows floats, then the statistics table, a row per AggregateKind up to Distinct, then the entity features
    // (time since last, velocity) at their places in the feature vector. Every feature is then one float of that table:
    // _gather holds, per feature, where. Pinned, allocated once.
    private const int TotalRows = 4; // count, sum, sum of squares, the event's value x
    private const int ExtremeRows = 3; // min, max, distinct count
    private const int StatRows = (int)AggregateKind.Distinct + 1;
    private readonly int _stride;
    private readonly double[] _totalsArray;
    private readonly float[] _floatsArray;
    private readonly int[] _gatherArray;
    private readonly byte[] _divisionsArray;
    private readonly byte* _divisions;
    private readonly double* _totals;
    private readonly float* _extremes;
    private readonly float* _stats;
    private readonly float* _direct;
    private readonly int* _gather;
    private readonly long _lateness;
    private readonly long _maxFuture;

    // Max event time accepted so far; 0 = none yet (event times must be positive).
    private long _watermark;
    private long _events;
    private long _accepted;
    private long _late;
    private long _future;
    private long _invalidTime;

    /// <summary>Allocates and zeroes every table of the plan (<see cref="FeaturePlan.TotalBytes"/>).</summary>
    public FeatureStore(FeaturePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _plan = plan;
        _entities = plan.Entities;
        _windows = plan.Windows;
        _ops = plan.Ops;
        _bucketIndex = new long[_windows.Length];
        _bucketSlot = new int[_windows.Length];
        _bucketFrom = new long[_windows.Length];
        _bucketTo = new long[_windows.Length];
        _stride = plan.WindowStride;
        _totalsArray = GC.AllocateArray<double>(Math.Max(1, TotalRows * _stride), pinned: true);
        int directAt = (ExtremeRows + StatRows) * _stride;
        _floatsArray = GC.AllocateArray<float>(directAt + plan.VectorLength, pinned: true);
        _gatherArray = GC.AllocateArray<int>(Math.Max(1, plan.VectorLength), pinned: true);
        _totals = (double*)Unsafe.AsPointer(ref _totalsArray[0]);
        _extremes = (float*)Unsafe.AsPointer(ref _floatsArray[0]);
        _stats = _extremes + (ExtremeRows * _stride);
        _direct = _extremes + directAt;
        _gather = (int*)Unsafe.AsPointer(ref _gatherArray[0]);
        byte[] divisions = Divisions(plan);
        _divisionsArray = GC.AllocateArray<byte>(divisions.Length, pinned: true);
        divisions.CopyTo(_divisionsArray, 0);
        _divisions = (byte*)Unsafe.AsPointer(ref _divisionsArray[0]);
        for (int j = 0; j < plan.VectorLength; j++)
        {
            _gather[j] = directAt + j; // an entity feature, unless an aggregate writes it
        }

        foreach (AggregateOp op in _ops)
        {
            _gather[op.Out] = (ExtremeRows * _stride) + op.Source;
        }

        _lateness = plan.Spec.AllowedLatenessNs;
        _maxFuture = plan.Spec.MaxFutureNs;
        _tables = new EntityTable[_entities.Length];
        try
        {
            for (int i = 0; i < _tables.Length; i++)
            {
                _tables[i] = new EntityTable(plan, i);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The compiled plan: feature names and vector length.</summary>
    public FeaturePlan Plan => _plan;

    /// <summary>Max event time accepted so far (ns), 0 before the first event.</summary>
    public long WatermarkNs => _watermark;

    /// <summary>A copy of the counters.</summary>
    public FeatureStoreCounters Counters
    {
        get
        {
            var c = new FeatureStoreCounters
            {
                Events = _events,
                Accepted = _accepted,
                LateDropped = _late,
                FutureRejected = _future,
                InvalidTimeRejected = _invalidTime,
            };
            foreach (EntityTable t in _tables)
            {
                if (t is null)
                {
                    continue;
                }

                c.Inserted += t.Inserted;
                c.EvictedTtl += t.EvictedTtl;
                c.EvictedFull += t.EvictedFull;
            }

            return c;
        }
    }

    internal EntityTable[] Tables => _tables;

    /// <summary>Reads the transaction's features as of just before it into <paramref name="featuresOut"/>, then updates state.</summary>
    public FeatureStatus Process(in Transaction tx, Span<float> featuresOut) => Run(in tx, featuresOut, update: true);

    /// <summary>Order flavour of <see cref="Process(in Transaction, Span{float})"/>, for a store built from an order spec.</summary>
    public FeatureStatus Process(in Order order, Span<float> featuresOut) => Run(in order, featuresOut, update: true);

    /// <summary>What <see cref="Process(in Transaction, Span{float})"/> would write, without changing any state or counter.</summary>
    public FeatureStatus Peek(in Transaction tx, Span<float> featuresOut) => Run(in tx, featuresOut, update: false);

    /// <summary>Order flavour of <see cref="Peek(in Transaction, Span{float})"/>.</summary>
    public FeatureStatus Peek(in Order order, Span<float> featuresOut) => Run(in order, featuresOut, update: false);

    /// <summary>
    /// Starts loading the state <paramref name="tx"/> will touch, without waiting and without changing anything. Call it
    /// for an event a few places ahead of the one being processed (a replay batch, a ring batch): the cache misses of
    /// several events then overlap. Optional; results never depend on it.
    /// </summary>
    public void Prefetch(in Transaction tx)
    {
        if (_plan.Spec.Event != FeatureEventKind.Transaction || !Sse.IsSupported)
        {
            return;
        }

        Unsafe.SkipInit(out FeatureEvent e);
        EventFields.From(in tx, ref e);
        Prefetch(ref e);
    }

    /// <summary>Order flavour of <see cref="Prefetch(in Transaction)"/>.</summary>
    public void Prefetch(in Order order)
    {
        if (_plan.Spec.Event != FeatureEventKind.Order || !Sse.IsSupported)
        {
            return;
        }

        Unsafe.SkipInit(out FeatureEvent e);
        EventFields.From(in order, ref e);
        Prefetch(ref e);
    }

    private void Prefetch(ref FeatureEvent e)
    {
        EntityPlan[] entities = _entities;
        for (int i = 0; i < entities.Length; i++)
        {
            ulong key = e.Keys[entities[i].KeyIndex];
            if (key != 0)
            {
                _tables[i].Prefetch(key);
            }
        }
    }

    private FeatureStatus Run(in Transaction tx, Span<float> featuresOut, bool update)
    {
        if (_plan.Spec.Event != FeatureEventKind.Transaction)
        {
            ThrowWrongEvent(FeatureEventKind.Transaction);
        }

        Unsafe.SkipInit(out FeatureEvent e);
        EventFields.From(in tx, ref e);
        return Run(ref e, featuresOut, update);
    }

    private FeatureStatus Run(in Order order, Span<float> featuresOut, bool update)
    {
        if (_plan.Spec.Event != FeatureEventKind.Order)
        {
            ThrowWrongEvent(FeatureEventKind.Order);
        }

        Unsafe.SkipInit(out FeatureEvent e);
        EventFields.From(in order, ref e);
        return Run(ref e, featuresOut, update);
    }

    private FeatureStatus Run(ref FeatureEvent e, Span<float> output, bool update)
    {
        if (output.Length < _plan.VectorLength)
        {
            ThrowOutputTooShort(output.Length);
        }

        long t = e.TimeNs;
        long wm = _watermark;
        if (update)
        {
            _events++;
        }

        if (t <= 0)
        {
            output[.._plan.VectorLength].Clear();
            if (update)
            {
                _invalidTime++;
            }

            return FeatureStatus.RejectedInvalidTime;
        }

        if (wm != 0 && t - wm > _maxFuture)
        {
            output[.._plan.VectorLength].Clear();
            if (update)
            {
                _future++;
            }

            return FeatureStatus.RejectedFuture;
        }

        bool late = wm != 0 && t < wm - _lateness;
        bool mutate = update && !late;
        if (mutate)
        {
            _accepted++;
            if (t > wm)
            {
                _watermark = wm = t;
            }
        }
        else if (update)
        {
            _late++;
        }

        WindowPlan[] windows = _windows;
        long[] bucketIndex = _bucketIndex;
        long[] from = _bucketFrom, to = _bucketTo;
        for (int w = 0; w < windows.Length; w++)
        {
            if (t < from[w] || t >= to[w])
            {
                long bucketNs = windows[w].BucketNs;
                long b = t / bucketNs;
                bucketIndex[w] = b;
                _bucketSlot[w] = (int)(b % windows[w].Buckets);
                from[w] = b * bucketNs;
                to[w] = from[w] + bucketNs;
            }
        }

        EntityPlan[] entities = _entities;
        fixed (float* o = output)
        {
            for (int i = 0; i < entities.Length; i++)
            {
                ref readonly EntityPlan ep = ref entities[i];
                ulong key = e.Keys[ep.KeyIndex];
                byte* slot = null;
                if (key != 0)
                {
                    long expireBefore = wm - ep.TtlNs;
                    slot = mutate ? _tables[i].FindOrInsert(key, expireBefore) : _tables[i].Find(key, expireBefore);
                }

                if (slot == null)
                {
                    WriteEmpty(in ep);
                }
                else
                {
                    Step(in ep, slot, ref e, mutate);
                }
            }

            Finish(o);
        }

        return late ? FeatureStatus.Late : FeatureStatus.Accepted;
    }

    [DoesNotReturn]
    private static void ThrowWrongEvent(FeatureEventKind wanted) =>
        throw new InvalidOperationException($"this store was compiled for another event type than {wanted}");

    [DoesNotReturn]
    private void ThrowOutputTooShort(int length) =>
        throw new ArgumentException($"feature vector has {length} elements; the plan writes {_plan.VectorLength}", "featuresOut");

    /// <summary>Frees the tables. The store must not be used afterwards.</summary>
    public void Dispose()
    {
        foreach (EntityTable t in _tables)
        {
            t?.Dispose();
        }
    }
}
