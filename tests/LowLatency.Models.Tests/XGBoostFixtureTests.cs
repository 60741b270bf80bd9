using System.Text.Json;
using LowLatency.Models.Import;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Tests;

/// <summary>Our evaluator against predictions made by the real XGBoost library on the same rows.</summary>
public sealed class XGBoostFixtureTests
{
    public static TheoryData<string> Models => new()
    {
        "logistic_1x3", "squared_10x1", "logistic_100x6", "logitraw_20x10", "logistic_500x4", "forest_4x5",
    };

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
