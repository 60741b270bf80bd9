using System.Text;
using System.Text.Json.Nodes;
using LowLatency.Models.Import;

namespace LowLatency.Models.Tests;

/// <summary>Malformed or unsupported XGBoost models fail with a message that names the field.</summary>
public sealed class XGBoostJsonRejectTests
{
    private static JsonNode Good()
    {
        using var reader = new StreamReader(Fixtures.OpenGz("logistic_1x3.json.gz"));
        return JsonNode.Parse(reader.ReadToEnd())!;
    }

    private static JsonNode Tree0(JsonNode m) => m["learner"]!["gradient_booster"]!["model"]!["trees"]![0]!;

    private static string Reject(JsonNode m) =>
        Assert.Throws<ModelFormatException>(() => XGBoostJson.Parse(Encoding.UTF8.GetBytes(m.ToJsonString()))).Message;

    [Fact]
    public void The_unmodified_fixture_loads()
    {
        var e = XGBoostJson.Parse(Encoding.UTF8.GetBytes(Good().ToJsonString()));
        Assert.Equal(1, e.TreeCount);
        Assert.Equal(12, e.FeatureCount);
    }

    [Fact]
    public void Multiclass_is_rejected()
    {
        var m = Good();
        m["learner"]!["learner_model_param"]!["num_class"] = "3";
        Assert.Contains("num_class", Reject(m));
    }

    [Fact]
    public void Wrong_array_length_is_rejected()
    {
        var m = Good();
        Tree0(m)["split_indices"]!.AsArray().RemoveAt(0);
        Assert.Contains("trees[0].split_indices", Reject(m));
    }

    [Fact]
    public void Child_index_out_of_range_is_rejected()
    {
        var m = Good();
        Tree0(m)["left_children"]![1] = 99;
        Assert.Contains("trees[0].left_children[1] = 99", Reject(m));
    }

    [Fact]
    public void Cycle_is_rejected()
    {
        var m = Good();
        Tree0(m)["right_children"]![2] = 0;
        Assert.Contains("trees[0]", Reject(m));
    }

    [Fact]
    public void Categorical_split_is_rejected()
    {
        var m = Good();
        Tree0(m)["split_type"]![0] = 1;
        Assert.Contains("trees[0].split_type[0]", Reject(m));
    }

    [Fact]
    public void Unsupported_objective_is_rejected()
    {
        var m = Good();
        m["learner"]!["objective"]!["name"] = "count:poisson";
        Assert.Contains("learner.objective.name", Reject(m));
    }

    [Fact]
    public void Missing_field_is_rejected()
    {
        var m = Good();
        Tree0(m).AsObject().Remove("default_left");
        Assert.Contains("trees[0].default_left is missing", Reject(m));
    }

    [Fact]
    public void Non_numeric_threshold_is_rejected()
    {
        var m = Good();
        Tree0(m)["split_conditions"]![0] = "abc";
        Assert.Contains("trees[0].split_conditions[0]", Reject(m));
    }

    [Fact]
    public void Leaf_with_a_right_child_is_rejected()
    {
        var m = Good();
        Tree0(m)["right_children"]![7] = 3;
        Assert.Contains("trees[0].right_children[7]", Reject(m));
    }

    [Fact]
    public void Base_score_outside_the_unit_interval_is_rejected_for_logistic()
    {
        var m = Good();
        m["learner"]!["learner_model_param"]!["base_score"] = "1.5E0";
        Assert.Contains("base_score", Reject(m));
    }

    [Fact]
    public void Bracketed_base_score_of_xgboost_3_is_accepted()
    {
        var m = Good();
        var plain = XGBoostJson.Parse(Encoding.UTF8.GetBytes(m.ToJsonString()));
        m["learner"]!["learner_model_param"]!["base_score"] = "[5E-1]";
        var bracketed = XGBoostJson.Parse(Encoding.UTF8.GetBytes(m.ToJsonString()));
        Assert.Equal(plain.BaseMargin, bracketed.BaseMargin);
    }

    [Fact]
    public void Invalid_or_truncated_json_is_rejected()
    {
        string text = Good().ToJsonString();
        Assert.Contains("model json", Assert.Throws<ModelFormatException>(() => XGBoostJson.Parse(Encoding.UTF8.GetBytes(text[..(text.Length / 2)]))).Message);
        Assert.Contains("learner is missing", Assert.Throws<ModelFormatException>(() => XGBoostJson.Parse("{}"u8.ToArray())).Message);
    }

    [Fact]
    public void Random_byte_corruption_never_escapes_as_anything_but_a_model_format_error()
    {
        byte[] good = Encoding.UTF8.GetBytes(Good().ToJsonString());
        var rng = new Random(11);
        for (int i = 0; i < 300; i++)
        {
            byte[] bad = (byte[])good.Clone();
            for (int k = 0; k < 3; k++)
            {
                bad[rng.Next(bad.Length)] = (byte)rng.Next(32, 127);
            }

            try
            {
                XGBoostJson.Parse(bad);
            }
            catch (ModelFormatException)
            {
            }
        }
    }
}
