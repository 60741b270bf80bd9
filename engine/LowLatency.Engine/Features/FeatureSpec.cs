using System.Globalization;
using System.Text.Json;

namespace LowLatency.Engine.Features;

/// <summary>
/// A parsed feature spec: what to keep per entity and which features to emit, in order. Parsing checks
/// structure and names; <see cref="FeaturePlan.Compile"/> checks sizes against the memory budget.
/// See <c>Features/README.md</c> for the file format and the semantics.
/// </summary>
public sealed record FeatureSpec
{
    /// <summary>Message type the spec applies to.</summary>
    public required FeatureEventKind Event { get; init; }
    /// <summary>How far behind the watermark (max event time seen) an event may be and still update state.</summary>
    public required long AllowedLatenessNs { get; init; }
    /// <summary>How far ahead of the watermark an event may be before it is rejected as bad input.</summary>
    public required long MaxFutureNs { get; init; }
    /// <summary>Upper bound on the bytes all entity tables may take together.</summary>
    public required long MemoryBudgetBytes { get; init; }
    /// <summary>Entities in output order.</summary>
    public required IReadOnlyList<EntitySpec> Entities { get; init; }

    /// <summary>Loads one of the default specs shipped with the engine (<c>payments</c> or <c>orders</c>), embedded as resources.</summary>
    public static FeatureSpec LoadDefault(string name)
    {
        using Stream? s = typeof(FeatureSpec).Assembly.GetManifestResourceStream($"LowLatency.Engine.Features.Specs.{name}.json");
        if (s is null)
        {
            throw new ArgumentException($"no default feature spec named '{name}' (known: payments, orders, minimal)", nameof(name));
        }

        using var reader = new StreamReader(s);
        return Parse(reader.ReadToEnd());
    }

    /// <summary>Returns a copy with one entity's capacity replaced (configuration overrides the file).</summary>
    public FeatureSpec WithCapacity(string entity, int capacity)
    {
        bool found = false;
        var list = new List<EntitySpec>();
        foreach (EntitySpec e in Entities)
        {
            if (e.Name == entity)
            {
                found = true;
                list.Add(e with { Capacity = capacity });
            }
            else
            {
                list.Add(e);
            }
        }

        return found ? this with { Entities = list } : throw new ArgumentException($"no entity '{entity}' in the spec", nameof(entity));
    }

    /// <summary>
    /// Returns a copy in which no entity holds more than <paramref name="maxCapacity"/> entries: the same features
    /// over less memory, for tests, small demos and machines with less memory than the spec assumes.
    /// </summary>
    public FeatureSpec WithMaxCapacity(int maxCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCapacity, 8);
        return this with { Entities = [.. Entities.Select(e => e with { Capacity = Math.Min(e.Capacity, maxCapacity) })] };
    }

    /// <summary>Parses a spec from JSON. Throws <see cref="FeatureSpecException"/> naming the place of the first problem.</summary>
    public static FeatureSpec Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new FeatureSpecException($"$ (line {e.LineNumber + 1})", "not valid JSON: " + e.Message);
        }

        using (doc)
        {
            return ParseRoot(doc.RootElement);
        }
    }

    private static FeatureSpec ParseRoot(JsonElement root)
    {
        const string P = "$";
        RequireObject(root, P);
        CheckProperties(root, P, "event", "allowedLateness", "maxFuture", "memoryBudgetBytes", "entities");
        string ev = RequireString(root, "event", P);
        FeatureEventKind kind = ev switch
        {
            "transaction" => FeatureEventKind.Transaction,
            "order" => FeatureEventKind.Order,
            _ => throw new FeatureSpecException(P + ".event", $"unknown event type '{ev}' (known: transaction, order)"),
        };
        long lateness = RequireDuration(root, "allowedLateness", P, allowZero: true);
        long future = RequireDuration(root, "maxFuture", P, allowZero: false);
        long budget = root.TryGetProperty("memoryBudgetBytes", out JsonElement b) && b.TryGetInt64(out long bv) && bv > 0
            ? bv
            : throw new FeatureSpecException(P + ".memoryBudgetBytes", "required positive integer");

        if (!root.TryGetProperty("entities", out JsonElement ents) || ents.ValueKind != JsonValueKind.Array || ents.GetArrayLength() == 0)
        {
            throw new FeatureSpecException(P + ".entities", "required non-empty array");
        }

        var entities = new List<EntitySpec>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        int i = 0;
        foreach (JsonElement e in ents.EnumerateArray())
        {
            entities.Add(ParseEntity(e, $"{P}.entities[{i}]", kind, lateness, names));
            i++;
        }

        var entityNames = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < entities.Count; k++)
        {
            if (!entityNames.Add(entities[k].Name))
            {
                throw new FeatureSpecException($"{P}.entities[{k}].name", $"duplicate entity name '{entities[k].Name}'");
            }
        }

        return new FeatureSpec { Event = kind, AllowedLatenessNs = lateness, MaxFutureNs = future, MemoryBudgetBytes = budget, Entities = entities };
    }

    private static EntitySpec ParseEntity(JsonElement e, string path, FeatureEventKind kind, long lateness, Dictionary<string, string> names)
    {
        RequireObject(e, path);
        CheckProperties(e, path, "name", "key", "capacity", "ttl", "timeSinceLast", "velocity", "windows");
        string name = RequireString(e, "name", path);
        string where = $"{path} (entity '{name}')";
        string key = RequireString(e, "key", where);
        if (Array.IndexOf(EventFields.Keys(kind), key) < 0)
        {
            throw new FeatureSpecException(where + ".key", $"unknown key field '{key}' for {kind} (known: {string.Join(", ", EventFields.Keys(kind))})");
        }

        int capacity = e.TryGetProperty("capacity", out JsonElement c) && c.TryGetInt32(out int cv) && cv > 0
            ? cv
            : throw new FeatureSpecException(where + ".capacity", "required positive 32-bit integer");
        long ttl = RequireDuration(e, "ttl", where, allowZero: false);

        if (!e.TryGetProperty("windows", out JsonElement ws) || ws.ValueKind != JsonValueKind.Array)
        {
            throw new FeatureSpecException(where + ".windows", "required array");
        }

        var windows = new List<WindowSpec>();
        int i = 0;
        foreach (JsonElement w in ws.EnumerateArray())
        {
            windows.Add(ParseWindow(w, $"{path}.windows[{i}]", name, kind, names));
            i++;
        }

        long longest = 0;
        foreach (WindowSpec w in windows)
        {
            longest = Math.Max(longest, w.LengthNs);
        }

        if (ttl < longest + lateness)
        {
            throw new FeatureSpecException(where + ".ttl", "ttl must be at least the longest window plus the allowed lateness, or idle entities would be forgotten while still inside a window");
        }

        foreach (WindowSpec w in windows)
        {
            // Distinct sets keep 32-bit bucket numbers compared by wrapping difference: what an entity can still hold
            // (its ttl plus the lateness) must span far fewer than 2^31 of the window's buckets.
            if (w.Aggregates.Any(a => a.Kind == AggregateKind.Distinct) && (ttl + lateness) / w.BucketNs >= 1L << 30)
            {
                throw new FeatureSpecException(where + ".ttl", $"with a distinct aggregate in window '{w.Name}', ttl plus lateness may span at most 2^30 of its buckets; use a larger bucket or a shorter ttl");
            }
        }

        var entityFeatures = new List<AggregateSpec>();
        if (OptionalBool(e, "timeSinceLast", where))
        {
            entityFeatures.Add(AddName(new AggregateSpec { Kind = AggregateKind.TimeSinceLast, Name = $"{name}_time_since_last_s" }, names, where + ".timeSinceLast"));
        }

        if (OptionalBool(e, "velocity", where))
        {
            if (!EventFields.HasGeo(kind))
            {
                throw new FeatureSpecException(where + ".velocity", $"{kind} events carry no location");
            }

            entityFeatures.Add(AddName(new AggregateSpec { Kind = AggregateKind.VelocityKmh, Name = $"{name}_velocity_kmh" }, names, where + ".velocity"));
        }

        if (windows.Count == 0 && entityFeatures.Count == 0)
        {
            throw new FeatureSpecException(where, "entity declares no features");
        }

        return new EntitySpec { Name = name, Key = key, Capacity = capacity, TtlNs = ttl, Windows = windows, EntityFeatures = entityFeatures };
    }

    private static WindowSpec ParseWindow(JsonElement w, string path, string entity, FeatureEventKind kind, Dictionary<string, string> names)
    {
        RequireObject(w, path);
        CheckProperties(w, path, "name", "length", "bucket", "aggregates");
        string lengthText = RequireString(w, "length", path);
        string name = w.TryGetProperty("name", out JsonElement n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : lengthText;
        string where = $"{path} (entity '{entity}', window '{name}')";
        long length = RequireDuration(w, "length", where, allowZero: false);
        long bucket = RequireDuration(w, "bucket", where, allowZero: false);
        if (length % bucket != 0)
        {
            throw new FeatureSpecException(where + ".bucket", $"window length {lengthText} is not a multiple of its bucket {w.GetProperty("bucket").GetString()}");
        }

        long buckets = length / bucket;
        if (buckets > 4096)
        {
            throw new FeatureSpecException(where + ".bucket", $"{buckets} buckets per window is more than 4096; use a coarser bucket");
        }

        if (!w.TryGetProperty("aggregates", out JsonElement aggs) || aggs.ValueKind != JsonValueKind.Array || aggs.GetArrayLength() == 0)
        {
            throw new FeatureSpecException(where + ".aggregates", "required non-empty array");
        }

        var list = new List<AggregateSpec>();
        string? numericField = null;
        bool hasDistinct = false;
        int i = 0;
        foreach (JsonElement a in aggs.EnumerateArray())
        {
            string ap = $"{path}.aggregates[{i}]";
            RequireObject(a, ap);
            CheckProperties(a, ap, "kind", "field", "name", "maxTracked");
            string kindText = RequireString(a, "kind", $"{ap} (entity '{entity}', window '{name}')");
            string aw = $"{ap} (entity '{entity}', window '{name}', aggregate '{kindText}')";
            AggregateKind k = kindText switch
            {
                "count" => AggregateKind.Count,
                "sum" => AggregateKind.Sum,
                "mean" => AggregateKind.Mean,
                "std" => AggregateKind.Std,
                "min" => AggregateKind.Min,
                "max" => AggregateKind.Max,
                "zscore" => AggregateKind.ZScore,
                "distinct" => AggregateKind.Distinct,
                _ => throw new FeatureSpecException(aw + ".kind", $"unknown aggregate '{kindText}' (known: count, sum, mean, std, min, max, zscore, distinct)"),
            };
            string? field = a.TryGetProperty("field", out JsonElement f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            int maxTracked = 0;
            if (k == AggregateKind.Count)
            {
                if (field is not null)
                {
                    throw new FeatureSpecException(aw + ".field", "count takes no field");
                }
            }
            else if (k == AggregateKind.Distinct)
            {
                if (field is null || Array.IndexOf(EventFields.Keys(kind), field) < 0)
                {
                    throw new FeatureSpecException(aw + ".field", $"unknown key field '{field}' for {kind} (known: {string.Join(", ", EventFields.Keys(kind))})");
                }

                if (hasDistinct)
                {
                    throw new FeatureSpecException(aw, "at most one distinct aggregate per window");
                }

                hasDistinct = true;
                maxTracked = a.TryGetProperty("maxTracked", out JsonElement mt) ? (mt.TryGetInt32(out int mv) && mv is >= 1 and <= 64 ? mv : throw new FeatureSpecException(aw + ".maxTracked", "must be an integer in 1..64")) : 8;
            }
            else
            {
                if (field is null || Array.IndexOf(EventFields.Numerics(kind), field) < 0)
                {
                    throw new FeatureSpecException(aw + ".field", $"unknown numeric field '{field}' for {kind} (known: {string.Join(", ", EventFields.Numerics(kind))})");
                }

                if (numericField is not null && numericField != field)
                {
                    throw new FeatureSpecException(aw + ".field", $"a window's buckets hold one numeric field; this window already uses '{numericField}'");
                }

                numericField = field;
            }

            string fname = a.TryGetProperty("name", out JsonElement nm) && nm.ValueKind == JsonValueKind.String
                ? nm.GetString()!
                : field is null ? $"{entity}_{name}_{kindText}" : $"{entity}_{name}_{kindText}_{field}";
            list.Add(AddName(new AggregateSpec { Kind = k, Field = field, Name = fname, MaxTracked = maxTracked }, names, aw));
            i++;
        }

        return new WindowSpec { Name = name, LengthNs = length, BucketNs = bucket, Aggregates = list };
    }

    private static AggregateSpec AddName(AggregateSpec a, Dictionary<string, string> names, string where)
    {
        if (!names.TryAdd(a.Name, where))
        {
            throw new FeatureSpecException(where, $"duplicate feature name '{a.Name}' (first declared at {names[a.Name]})");
        }

        return a;
    }

    private static void RequireObject(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new FeatureSpecException(path, "expected an object");
        }
    }

    private static void CheckProperties(JsonElement e, string path, params string[] known)
    {
        foreach (JsonProperty p in e.EnumerateObject())
        {
            if (Array.IndexOf(known, p.Name) < 0)
            {
                throw new FeatureSpecException($"{path}.{p.Name}", $"unknown property (known: {string.Join(", ", known)})");
            }
        }
    }

    private static string RequireString(JsonElement e, string name, string path) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0
            ? v.GetString()!
            : throw new FeatureSpecException($"{path}.{name}", "required non-empty string");

    private static bool OptionalBool(JsonElement e, string name, string path)
    {
        if (!e.TryGetProperty(name, out JsonElement v))
        {
            return false;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new FeatureSpecException($"{path}.{name}", "expected true or false"),
        };
    }

    private static long RequireDuration(JsonElement e, string name, string path, bool allowZero)
    {
        string text = RequireString(e, name, path);
        if (!TryParseDuration(text, out long ns) || ns < 0 || (ns == 0 && !allowZero))
        {
            throw new FeatureSpecException($"{path}.{name}", $"'{text}' is not a {(allowZero ? "non-negative" : "positive")} duration like 500ms, 10s, 5m, 1h, 7d");
        }

        return ns;
    }

    /// <summary>Parses <c>&lt;integer&gt;(ms|s|m|h|d)</c> into nanoseconds.</summary>
    internal static bool TryParseDuration(string text, out long ns)
    {
        ns = 0;
        int split = 0;
        while (split < text.Length && char.IsAsciiDigit(text[split]))
        {
            split++;
        }

        if (split == 0 || !long.TryParse(text.AsSpan(0, split), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
        {
            return false;
        }

        long unit = text[split..] switch
        {
            "ms" => 1_000_000L,
            "s" => 1_000_000_000L,
            "m" => 60_000_000_000L,
            "h" => 3_600_000_000_000L,
            "d" => 86_400_000_000_000L,
            _ => 0,
        };
        if (unit == 0 || n > long.MaxValue / unit)
        {
            return false;
        }

        ns = n * unit;
        return true;
    }
}
