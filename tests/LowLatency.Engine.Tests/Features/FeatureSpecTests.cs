using LowLatency.Engine.Features;

namespace LowLatency.Engine.Tests.Features;

public class FeatureSpecTests
{
    private const string Good = """
    { "event": "transaction", "allowedLateness": "1m", "maxFuture": "5m", "memoryBudgetBytes": 10000000,
      "entities": [ { "name": "card", "key": "card", "capacity": 100, "ttl": "2d", "timeSinceLast": true,
        "windows": [ { "length": "1h", "bucket": "10m", "aggregates": [ { "kind": "count" }, { "kind": "sum", "field": "amount" } ] },
                     { "length": "1d", "bucket": "4h", "aggregates": [ { "kind": "max", "field": "amount" } ] } ] } ] }
    """;

    [Fact]
    public void A_valid_spec_compiles_to_the_declared_feature_layout()
    {
        FeaturePlan plan = FeaturePlan.Load(Good);
        Assert.Equal(["card_1h_count", "card_1h_sum_amount", "card_1d_max_amount", "card_time_since_last_s"], plan.FeatureNames);
        Assert.Equal(4, plan.VectorLength);
        // Slot = 8 header (last seen; no velocity feature, so no last location) + (8 head + 6 counts x 4 + 6 sums x 8)
        // + (8 head + 6 counts x 4 + 6 maxima x 4) = 144 bytes, rounded up to whole 64-byte lines (192); key 8 bytes.
        Assert.Equal(8 + 192, plan.BytesPerEntity("card"));
        // Exactly the capacity of 100 homes, plus the 7 spare slots that let the last homes probe without wrapping.
        Assert.Equal(107L * plan.BytesPerEntity("card"), plan.TotalBytes);
    }

    [Theory]
    [InlineData("payments")]
    [InlineData("orders")]
    public void Default_specs_load_and_stay_within_256_bytes_per_entity_window(string name)
    {
        FeaturePlan plan = FeaturePlan.Compile(FeatureSpec.LoadDefault(name));
        Assert.True(plan.VectorLength > 20);
        Assert.Equal(plan.VectorLength, plan.FeatureNames.Distinct().Count());
        foreach (EntitySpec e in plan.Spec.Entities)
        {
            int perWindow = (plan.BytesPerEntity(e.Name) - 40) / e.Windows.Count;
            Assert.True(perWindow <= 256, $"{e.Name}: {perWindow} bytes per entity-window");
        }
    }

    [Fact]
    public void Default_spec_files_are_copied_to_the_output_directory()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Features", "Specs", "payments.json");
        Assert.True(File.Exists(path), path);
        Assert.Equal(FeatureSpec.LoadDefault("payments"), FeatureSpec.Parse(File.ReadAllText(path)), new SpecLayoutComparer());
    }

    [Fact]
    public void The_minimal_spec_is_a_few_card_features_for_the_minimal_model_throughput_figure()
    {
        FeaturePlan plan = FeaturePlan.Compile(FeatureSpec.LoadDefault("minimal"));
        Assert.Equal(
            ["card_1h_count", "card_1h_sum_amount", "card_1h_max_amount", "card_24h_count", "card_24h_mean_amount", "card_24h_zscore_amount", "card_time_since_last_s", "card_velocity_kmh"],
            plan.FeatureNames);
        var ex = Assert.Throws<ArgumentException>(() => FeatureSpec.LoadDefault("tiny"));
        Assert.Contains("minimal", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"field\": \"amount\" }", "\"field\": \"amout\" }", "$.entities[0].windows[0].aggregates[1] (entity 'card', window '1h', aggregate 'sum').field", "unknown numeric field 'amout'")]
    [InlineData("\"bucket\": \"4h\"", "\"bucket\": \"5h\"", "$.entities[0].windows[1] (entity 'card', window '1d').bucket", "not a multiple of its bucket")]
    [InlineData("\"key\": \"card\"", "\"key\": \"cardd\"", "$.entities[0] (entity 'card').key", "unknown key field 'cardd'")]
    [InlineData("\"kind\": \"count\"", "\"kind\": \"median\"", "$.entities[0].windows[0].aggregates[0] (entity 'card', window '1h', aggregate 'median').kind", "unknown aggregate")]
    [InlineData("\"length\": \"1h\"", "\"length\": \"1hour\"", "$.entities[0].windows[0] (entity 'card', window '1hour').length", "not a positive duration")]
    [InlineData("\"ttl\": \"2d\"", "\"ttl\": \"2h\"", "$.entities[0] (entity 'card').ttl", "at least the longest window")]
    [InlineData("\"capacity\": 100", "\"capacity\": 100, \"colour\": 1", "$.entities[0].colour", "unknown property")]
    [InlineData("\"kind\": \"max\", \"field\": \"amount\"", "\"kind\": \"max\", \"field\": \"amount\", \"name\": \"card_1h_count\"", "$.entities[0].windows[1].aggregates[0] (entity 'card', window '1d', aggregate 'max')", "duplicate feature name 'card_1h_count'")]
    public void A_bad_spec_fails_with_a_message_naming_the_place(string from, string to, string path, string message)
    {
        string json = Good.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Good, json);
        var ex = Assert.Throws<FeatureSpecException>(() => FeaturePlan.Load(json));
        Assert.Equal(path, ex.Path);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void State_beyond_the_memory_budget_fails_naming_the_entity()
    {
        string json = Good.Replace("\"capacity\": 100", "\"capacity\": 1000000", StringComparison.Ordinal);
        var ex = Assert.Throws<FeatureSpecException>(() => FeaturePlan.Load(json));
        Assert.Equal("$.entities[0] (entity 'card')", ex.Path);
        Assert.Contains("memory budget", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Velocity_is_refused_for_orders_which_carry_no_location()
    {
        string json = """
        { "event": "order", "allowedLateness": "1s", "maxFuture": "1m", "memoryBudgetBytes": 1000000,
          "entities": [ { "name": "acct", "key": "account", "capacity": 8, "ttl": "1h", "velocity": true, "windows": [] } ] }
        """;
        var ex = Assert.Throws<FeatureSpecException>(() => FeaturePlan.Load(json));
        Assert.Equal("$.entities[0] (entity 'acct').velocity", ex.Path);
    }

    [Fact]
    public void A_distinct_window_whose_buckets_the_ttl_spans_beyond_2_to_the_30_is_refused_at_the_ttl()
    {
        // 10 ms buckets: 2^30 of them are about 124 days. A 200-day ttl could keep entries too far apart to order.
        string Spec(string ttl) => $$"""
        { "event": "transaction", "allowedLateness": "1s", "maxFuture": "1m", "memoryBudgetBytes": 1000000,
          "entities": [ { "name": "card", "key": "card", "capacity": 8, "ttl": "{{ttl}}", "windows": [
            { "length": "1s", "bucket": "10ms", "aggregates": [ { "kind": "distinct", "field": "merchant" } ] } ] } ] }
        """;
        Assert.NotNull(FeaturePlan.Load(Spec("100d")));
        var ex = Assert.Throws<FeatureSpecException>(() => FeaturePlan.Load(Spec("200d")));
        Assert.Equal("$.entities[0] (entity 'card').ttl", ex.Path);
        Assert.Contains("2^30", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_json_reports_the_line()
    {
        var ex = Assert.Throws<FeatureSpecException>(() => FeatureSpec.Parse("{\n \"event\": \n"));
        Assert.StartsWith("$ (line", ex.Path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500ms", 500_000_000L)]
    [InlineData("10s", 10_000_000_000L)]
    [InlineData("5m", 300_000_000_000L)]
    [InlineData("7d", 604_800_000_000_000L)]
    public void Durations_parse_with_their_unit(string text, long ns)
    {
        Assert.True(FeatureSpec.TryParseDuration(text, out long got));
        Assert.Equal(ns, got);
    }

    /// <summary>Records hold lists, which compare by reference; compare by compiled layout instead.</summary>
    private sealed class SpecLayoutComparer : IEqualityComparer<FeatureSpec>
    {
        public bool Equals(FeatureSpec? x, FeatureSpec? y) => FeaturePlan.Compile(x!).Layout == FeaturePlan.Compile(y!).Layout;

        public int GetHashCode(FeatureSpec obj) => 0;
    }
}
