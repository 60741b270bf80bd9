using System.Text;

namespace LowLatency.Engine.Features;

/// <summary>
/// A spec compiled into flat arrays of small structs: per entity a table layout, per window a ring layout
/// with byte offsets, per feature an opcode and its output index. The store walks these arrays; nothing is
/// looked up by name, reflected or called virtually per event. Immutable once compiled.
/// </summary>
public sealed class FeaturePlan
{
    /// <summary>Bytes of the entity header of a slot with a velocity feature: lastSeenNs, lastGeoNs, latitude, longitude.</summary>
    internal const int EntityHeaderBytes = 32;
    /// <summary>Bytes of the entity header of a slot without one: lastSeenNs only.</summary>
    internal const int PlainHeaderBytes = 8;
    /// <summary>Bytes of one distinct-set entry: u32 fingerprint + i32 last bucket index.</summary>
    internal const int DistinctEntryBytes = 8;
    /// <summary>Keys hashing to one home slot are looked for in this many consecutive slots.</summary>
    internal const int ProbeWindow = 8;

    internal readonly EntityPlan[] Entities;
    internal readonly WindowPlan[] Windows;
    internal readonly AggregateOp[] Ops;
    private readonly string[] _names;
    private readonly AggregateKind[] _kinds;

    private FeaturePlan(FeatureSpec spec, EntityPlan[] entities, WindowPlan[] windows, AggregateOp[] ops, string[] names, AggregateKind[] kinds, string layout)
    {
        _kinds = kinds;
        Spec = spec;
        Entities = entities;
        Windows = windows;
        Ops = ops;
        _names = names;
        Layout = layout;
        Fingerprint = SnapshotChecksum.OfString(layout);
        WindowStride = (windows.Length + 3) & ~3;
        for (int w = 0; w < windows.Length; w++)
        {
            for (int o = windows[w].FirstOp; o < windows[w].FirstOp + windows[w].OpCount; o++)
            {
                ops[o].Source = ((int)ops[o].Kind * WindowStride) + w;
            }
        }

        long total = 0;
        foreach (EntityPlan e in entities)
        {
            total += (long)e.Slots * (e.SlotBytes + sizeof(ulong));
        }

        TotalBytes = total;
    }

    /// <summary>The spec this plan was compiled from.</summary>
    public FeatureSpec Spec { get; }

    /// <summary>Feature names in vector order: the model's feature layout.</summary>
    public IReadOnlyList<string> FeatureNames => _names;

    /// <summary>What each feature computes, in vector order (consumers scale counts and z-scores differently).</summary>
    public IReadOnlyList<AggregateKind> FeatureKinds => _kinds;

    /// <summary>Length of the feature vector <see cref="FeatureStore"/> writes per event.</summary>
    public int VectorLength => _names.Length;

    /// <summary>Bytes all entity tables take (keys + state), allocated once when a store is created.</summary>
    public long TotalBytes { get; }

    /// <summary>Human-readable layout (entity slot sizes, windows, bucket sizes); also the snapshot compatibility fingerprint's source.</summary>
    public string Layout { get; }

    /// <summary>
    /// Windows of the whole plan rounded up to a multiple of four: the row length of the store's per-window statistics
    /// table (one row per <see cref="AggregateKind"/> up to <see cref="AggregateKind.Distinct"/>, one column per window).
    /// </summary>
    internal int WindowStride { get; }

    /// <summary>Hash of <see cref="Layout"/>; a snapshot loads only into a plan with the same fingerprint.</summary>
    internal ulong Fingerprint { get; }

    /// <summary>Bytes of state one entity of the named type takes, key included.</summary>
    public int BytesPerEntity(string entity)
    {
        foreach (EntityPlan e in Entities)
        {
            if (e.Name == entity)
            {
                return e.SlotBytes + sizeof(ulong);
            }
        }

        throw new ArgumentException($"no entity '{entity}' in the plan", nameof(entity));
    }

    /// <summary>Parses and compiles in one step.</summary>
    public static FeaturePlan Load(string json) => Compile(FeatureSpec.Parse(json));

    /// <summary>Compiles a spec. Throws <see cref="FeatureSpecException"/> when the tables would exceed the memory budget.</summary>
    public static FeaturePlan Compile(FeatureSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var entities = new List<EntityPlan>();
        var windows = new List<WindowPlan>();
        var ops = new List<AggregateOp>();
        var names = new List<string>();
        var kinds = new List<AggregateKind>();
        var layout = new StringBuilder();
        string[] keys = EventFields.Keys(spec.Event);
        string[] numerics = EventFields.Numerics(spec.Event);
        layout.Append("event=").Append(spec.Event).Append(" lateness=").Append(spec.AllowedLatenessNs).Append('\n');
        long total = 0;

        for (int ei = 0; ei < spec.Entities.Count; ei++)
        {
            EntitySpec es = spec.Entities[ei];
            int firstWindow = windows.Count;
            int firstOut = names.Count;
            // Only an entity with a velocity feature keeps the last location: the others' windows start right after lastSeenNs.
            bool geo = es.EntityFeatures.Any(a => a.Kind == AggregateKind.VelocityKmh);
            int offset = geo ? EntityHeaderBytes : PlainHeaderBytes;
            foreach (WindowSpec ws in es.Windows)
            {
                var wp = new WindowPlan
                {
                    BucketNs = ws.BucketNs,
                    Buckets = ws.Buckets,
                    Offset = offset,
                    NumericIndex = -1,
                    DistinctKeyIndex = -1,
                    FirstOp = ops.Count,
                };
                bool sum = false, sumsq = false, min = false, max = false;
                foreach (AggregateSpec a in ws.Aggregates)
                {
                    switch (a.Kind)
                    {
                        case AggregateKind.Sum or AggregateKind.Mean:
                            sum = true;
                            break;
                        case AggregateKind.Std or AggregateKind.ZScore:
                            sum = true;
                            sumsq = true;
                            break;
                        case AggregateKind.Min:
                            min = true;
                            break;
                        case AggregateKind.Max:
                            max = true;
                            break;
                        case AggregateKind.Distinct:
                            wp.DistinctKeyIndex = Array.IndexOf(keys, a.Field);
                            wp.DistinctK = a.MaxTracked;
                            break;
                    }

                    if (a.Kind is not AggregateKind.Count and not AggregateKind.Distinct)
                    {
                        wp.NumericIndex = Array.IndexOf(numerics, a.Field);
                    }

                    ops.Add(new AggregateOp { Kind = a.Kind, Out = names.Count });
                    names.Add(a.Name);
                    kinds.Add(a.Kind);
                }

                // The ring, field by field (struct of arrays): after the u64 head, n u32 counts, then n f32 minima, n f32
                // maxima, n f64 sums and n f64 sums of squares, only the arrays the window's aggregates need, each
                // 8-byte aligned; then the distinct set. A read sums whole arrays without a branch per bucket.
                int n = wp.Buckets;
                int at = sizeof(long);
                int Array8(bool present, int bytes)
                {
                    if (!present)
                    {
                        return -1;
                    }

                    int start = at;
                    at += ((n * bytes) + 7) & ~7;
                    return start;
                }

                wp.CountsOffset = Array8(true, sizeof(uint));
                wp.MinsOffset = Array8(min, sizeof(float));
                wp.MaxsOffset = Array8(max, sizeof(float));
                wp.SumsOffset = Array8(sum, sizeof(double));
                wp.SumSqsOffset = Array8(sumsq, sizeof(double));
                wp.DistinctOffset = at;
                int bb = sizeof(uint) + (min ? sizeof(float) : 0) + (max ? sizeof(float) : 0) + (sum ? sizeof(double) : 0) + (sumsq ? sizeof(double) : 0);
                int windowBytes = wp.DistinctOffset + (wp.DistinctK * DistinctEntryBytes);
                windowBytes = (windowBytes + 7) & ~7;
                wp.OpCount = ops.Count - wp.FirstOp;
                offset += windowBytes;
                windows.Add(wp);
                layout.Append(es.Name).Append('/').Append(ws.Name).Append(": bucket=").Append(ws.BucketNs).Append("ns x").Append(wp.Buckets)
                    .Append(" arrays bucketBytes=").Append(bb).Append(" distinct=").Append(wp.DistinctK).Append(" bytes=").Append(windowBytes).Append('\n');
            }

            int timeSinceOut = -1, velocityOut = -1;
            foreach (AggregateSpec a in es.EntityFeatures)
            {
                if (a.Kind == AggregateKind.TimeSinceLast)
                {
                    timeSinceOut = names.Count;
                }
                else
                {
                    velocityOut = names.Count;
                }

                names.Add(a.Name);
                kinds.Add(a.Kind);
            }

            // Whole cache lines: a slot then starts on a line and spans ⌈bytes/64⌉ of them, where an unaligned one spans
            // 7/8 of a line more on average. Every line of a slot is read per event, so this is fewer lines per event.
            int slotBytes = (offset + 63) & ~63;
            // Exactly the configured capacity (no power-of-two rounding): homes are spread over it by a multiply-high,
            // and the table has ProbeWindow - 1 slots beyond the last home so a probe never wraps around.
            int capacity = Math.Max(1, es.Capacity);
            int slots = capacity + ProbeWindow - 1;
            long tableBytes = (long)slots * (slotBytes + sizeof(ulong));
            total += tableBytes;
            if (total > spec.MemoryBudgetBytes)
            {
                throw new FeatureSpecException(
                    $"$.entities[{ei}] (entity '{es.Name}')",
                    $"state exceeds the memory budget: {slots} slots x {slotBytes + sizeof(ulong)} bytes brings the total to {total} bytes > memoryBudgetBytes {spec.MemoryBudgetBytes}");
            }

            entities.Add(new EntityPlan
            {
                Name = es.Name,
                KeyIndex = Array.IndexOf(keys, es.Key),
                FirstWindow = firstWindow,
                WindowCount = windows.Count - firstWindow,
                SlotBytes = slotBytes,
                Capacity = capacity,
                Slots = slots,
                TtlNs = es.TtlNs,
                FirstOut = firstOut,
                OutCount = names.Count - firstOut,
                TimeSinceOut = timeSinceOut,
                VelocityOut = velocityOut,
            });
            layout.Append(es.Name).Append(": key=").Append(es.Key).Append(" capacity=").Append(capacity).Append(" homes slotBytes=").Append(slotBytes)
                .Append(" ttl=").Append(es.TtlNs).Append(" timeSince=").Append(timeSinceOut >= 0).Append(" velocity=").Append(velocityOut >= 0).Append('\n');
        }

        return new FeaturePlan(spec, [.. entities], [.. windows], [.. ops], [.. names], [.. kinds], layout.ToString());
    }
}

/// <summary>Compiled entity type: where its key is, its table geometry and where its features go.</summary>
internal struct EntityPlan
{
    public string Name;
    public int KeyIndex;
    public int FirstWindow;
    public int WindowCount;
    public int SlotBytes;
    public int Capacity;
    public int Slots;
    public long TtlNs;
    public int FirstOut;
    public int OutCount;
    public int TimeSinceOut;
    public int VelocityOut;
}

/// <summary>
/// Compiled window: ring geometry, the window's offset inside the entity slot, and the offsets of its per-bucket
/// arrays from the window's start (-1 = absent).
/// </summary>
internal struct WindowPlan
{
    public long BucketNs;
    public int Buckets;
    public int Offset;
    public int CountsOffset;
    public int MinsOffset;
    public int MaxsOffset;
    public int SumsOffset;
    public int SumSqsOffset;
    public int NumericIndex;
    public int DistinctOffset;
    public int DistinctK;
    public int DistinctKeyIndex;
    public int FirstOp;
    public int OpCount;
}

/// <summary>One feature: the opcode, the output index it writes and where the statistics table holds its value.</summary>
internal struct AggregateOp
{
    public AggregateKind Kind;
    public int Out;
    /// <summary>Kind × <see cref="FeaturePlan.WindowStride"/> + the window's index in the plan.</summary>
    public int Source;
}
