using System.Text.Json;
using LowLatency.Models.Import;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests;

/// <summary>Our evaluator against predictions made by the real XGBoost library on the same rows.</summary>
public sealed class XGBoostFixtureTests
{
    private static readonly string[] s_names =
    [
        "logistic_1x3", "squared_10x1", "logistic_100x6", "logitraw_20x10", "logistic_500x4", "forest_4x5",
        "logistic_30x2", "squared_25x7", "logistic_12x8", "logitraw_8x9",
    ];

    public static TheoryData<string> Models => new(s_names);

    [Fact]
    public void The_fixture_models_cover_every_depth_from_1_to_10_and_1_to_500_trees()
    {
        var depths = new HashSet<int>();
        var counts = new HashSet<int>();
        foreach (string name in s_names)
        {
            var model = Load(name);
            depths.Add(model.MaxDepth);
            counts.Add(model.TreeCount);
        }

        Assert.True(Enumerable.Range(1, 10).All(depths.Contains), "depths: " + string.Join(',', depths.Order()));
        Assert.Contains(1, counts);
        Assert.Contains(10, counts);
        Assert.Contains(100, counts);
        Assert.Contains(500, counts);
    }

    [Theory]
    [InlineData("logistic_100x6")]
    [InlineData("logitraw_20x10")]
    [InlineData("logistic_12x8")]
    public void Saabas_contributions_match_xgboosts_approx_contribs(string name)
    {
        // xgboost's pred_contribs with approx_contribs=True is its Saabas implementation: per-feature
        // columns, then the bias (base margin + root means). Its node means divide by the node's own
        // cover where ours divide by the children's sum, which agree to float rounding.
        var model = Load(name);
        var expected = Fixtures.Csv(name + ".contribs.csv.gz");
        var rows = Fixtures.Features;
        var c = new float[model.FeatureCount];
        double worst = 0;
        for (int r = 0; r < expected.Count; r++)
        {
            float bias = model.Contributions(rows[r], c);
            Assert.Equal(model.FeatureCount + 1, expected[r].Length);
            for (int f = 0; f < c.Length; f++)
            {
                worst = Math.Max(worst, Math.Abs(c[f] - expected[r][f]));
            }

            worst = Math.Max(worst, Math.Abs(bias - expected[r][^1]));
        }

        Assert.True(worst < 2e-4, $"largest difference from xgboost's contributions: {worst}");
    }

    [Fact]
    public void The_2x_json_form_loads_and_still_matches_xgboost_bit_for_bit()
    {
        TreeEnsemble model;
        using (var s = Fixtures.OpenGz("logistic_100x6.v2form.json.gz"))
        {
            model = XGBoostJson.Load(s);
        }

        Assert.Equal([.. Enumerable.Range(0, 12).Select(i => "f" + i)], model.FeatureNames);
        var expected = Fixtures.Csv("logistic_100x6.pred.csv.gz");
        var rows = Fixtures.Features;
        for (int r = 0; r < rows.Count; r++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[r][0]), BitConverter.SingleToInt32Bits(model.Margin(rows[r])));
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[r][1]), BitConverter.SingleToInt32Bits(model.Predict(rows[r])));
        }
    }

    private static TreeEnsemble Load(string name)
    {
        using var s = Fixtures.OpenGz(name + ".json.gz");
        return XGBoostJson.Load(s);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Margins_equal_xgboost_bit_for_bit_on_every_row(string name)
    {
        var model = Load(name);
        var expected = Fixtures.Csv(name + ".pred.csv.gz");
        var rows = Fixtures.Features;
        Assert.Equal(rows.Count, expected.Count);
        Assert.True(model.IsCompiled);
        Assert.NotNull(model.Interleaved); // Margin's default evaluator
        int mismatches = 0;
        string first = string.Empty;
        for (int r = 0; r < rows.Count; r++)
        {
            float ours = model.Margin(rows[r]);
            float walk = model.MarginNodeWalk(rows[r]);
            if (BitConverter.SingleToInt32Bits(ours) != BitConverter.SingleToInt32Bits(expected[r][0])
                || BitConverter.SingleToInt32Bits(walk) != BitConverter.SingleToInt32Bits(expected[r][0]))
            {
                if (mismatches++ == 0)
                {
                    first = $"row {r}: xgboost {expected[r][0]:R} ours {ours:R} walk {walk:R}";
                }
            }
        }

        Assert.True(mismatches == 0, $"{mismatches} mismatching margins; first {first}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Predictions_are_within_one_ulp_of_xgboost(string name)
    {
        var model = Load(name);
        var expected = Fixtures.Csv(name + ".pred.csv.gz");
        var rows = Fixtures.Features;
        for (int r = 0; r < rows.Count; r++)
        {
            float ours = model.Predict(rows[r]);
            int ulps = Math.Abs(BitConverter.SingleToInt32Bits(ours) - BitConverter.SingleToInt32Bits(expected[r][1]));
            Assert.True(ulps <= 1, $"row {r}: xgboost {expected[r][1]:R} ours {ours:R} ({ulps} ulp)");
        }
    }

    [Fact]
    public void Batch_evaluation_equals_single_event_evaluation()
    {
        var model = Load("logistic_100x6");
        var rows = Fixtures.Features;
        int stride = rows[0].Length;
        var flat = rows.SelectMany(r => r).ToArray();
        var margins = new float[rows.Count];
        model.MarginBatch(flat, stride, margins);
        for (int r = 0; r < rows.Count; r++)
        {
            Assert.Equal(model.Margin(rows[r]), margins[r]);
        }
    }

    [Fact]
    public void Manifest_records_the_xgboost_version_used()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Dir, "manifest.json")));
        string version = doc.RootElement.GetProperty("xgboost").GetString()!;
        Assert.StartsWith("1.", version);
        using var s = Fixtures.OpenGz("logistic_1x3.json.gz");
        using var model = JsonDocument.Parse(s);
        var v = model.RootElement.GetProperty("version").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(version, string.Join('.', v));
    }
}
