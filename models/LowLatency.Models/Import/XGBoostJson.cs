using System.Globalization;
using System.Text.Json;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Import;

/// <summary>
/// Loads a model written by XGBoost's <c>save_model("model.json")</c> (schema of 1.x and 2.x; the 3.x
/// bracketed base_score is accepted too). Supported: gbtree boosters with one output group and numeric
/// splits; objectives reg:squarederror / reg:linear / reg:pseudohubererror / reg:absoluteerror (identity),
/// binary:logistic / reg:logistic (sigmoid), binary:logitraw (raw margin). Facts about the format:
/// a node goes left when x &lt; split_conditions[i] (strict), a missing value follows default_left[i], a
/// leaf has left_children[i] = -1 and its value in split_conditions[i]; base_score is stored in
/// probability space for binary:logistic / reg:logistic and turned into a margin with ln(p / (1 - p))
/// in float; binary:logitraw and the regression objectives use it as the margin unchanged (checked against
/// real 1.7.4 output in the fixtures). Probabilities use XGBoost's float formula 1 / (1 + expf(-m)).
/// Anything else throws <see cref="ModelFormatException"/> naming the field; nothing is returned half-built.
/// </summary>
public static class XGBoostJson
{
    /// <summary>Loads a model file.</summary>
    public static TreeEnsemble Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Loads a model from a stream of UTF-8 JSON.</summary>
    public static TreeEnsemble Load(Stream utf8Json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"model json: not valid JSON ({ex.Message}).", ex);
        }

        using (doc)
        {
            return Read(doc.RootElement);
        }
    }

    /// <summary>Loads a model from UTF-8 JSON bytes.</summary>
    public static TreeEnsemble Parse(ReadOnlyMemory<byte> utf8Json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"model json: not valid JSON ({ex.Message}).", ex);
        }

        using (doc)
        {
            return Read(doc.RootElement);
        }
    }

    private static TreeEnsemble Read(JsonElement root)
    {
        var learner = Child(root, "learner", "learner");
        var param = Child(learner, "learner_model_param", "learner.learner_model_param");
        int numClass = ParseIntString(Child(param, "num_class", "learner.learner_model_param.num_class"), "learner.learner_model_param.num_class");
        if (numClass > 1)
        {
            throw new ModelFormatException($"learner.learner_model_param.num_class = {numClass}: multiclass models are not supported.");
        }

        if (param.TryGetProperty("num_target", out var numTarget) && ParseIntString(numTarget, "learner.learner_model_param.num_target") > 1)
        {
            throw new ModelFormatException("learner.learner_model_param.num_target > 1: multi-target models are not supported.");
        }

        int numFeature = ParseIntString(Child(param, "num_feature", "learner.learner_model_param.num_feature"), "learner.learner_model_param.num_feature");
        float baseScore = ParseBaseScore(Child(param, "base_score", "learner.learner_model_param.base_score"));

        var objective = Child(learner, "objective", "learner.objective");
        string objectiveName = Child(objective, "name", "learner.objective.name").GetString() ?? string.Empty;
        (TreeOutput output, bool logitBase) = objectiveName switch
        {
            "binary:logistic" or "reg:logistic" => (TreeOutput.LogisticFloat32, true),
            // Verified against xgboost 1.7.4 fixtures: logitraw keeps base_score as the margin (no logit).
            "binary:logitraw" => (TreeOutput.RawMargin, false),
            "reg:squarederror" or "reg:linear" or "reg:pseudohubererror" or "reg:absoluteerror" => (TreeOutput.RawMargin, false),
            _ => throw new ModelFormatException($"learner.objective.name = '{objectiveName}' is not supported."),
        };

        float baseMargin = baseScore;
        if (logitBase)
        {
            if (!(baseScore > 0f && baseScore < 1f))
            {
                throw new ModelFormatException($"learner.learner_model_param.base_score = {baseScore} must be in (0, 1) for {objectiveName}.");
            }

            baseMargin = Logistic.LogitFloat(baseScore);
        }

        var booster = Child(learner, "gradient_booster", "learner.gradient_booster");
        string boosterName = Child(booster, "name", "learner.gradient_booster.name").GetString() ?? string.Empty;
        if (boosterName != "gbtree")
        {
            throw new ModelFormatException($"learner.gradient_booster.name = '{boosterName}' is not supported (only gbtree).");
        }

        var model = Child(booster, "model", "learner.gradient_booster.model");
        var treesJson = Child(model, "trees", "learner.gradient_booster.model.trees");
        if (treesJson.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFormatException("learner.gradient_booster.model.trees is not an array.");
        }

        if (model.TryGetProperty("tree_info", out var treeInfo) && treeInfo.ValueKind == JsonValueKind.Array)
        {
            if (treeInfo.GetArrayLength() != treesJson.GetArrayLength())
            {
                throw new ModelFormatException($"learner.gradient_booster.model.tree_info has {treeInfo.GetArrayLength()} entries for {treesJson.GetArrayLength()} trees.");
            }

            int i = 0;
            foreach (var g in treeInfo.EnumerateArray())
            {
                if (g.ValueKind != JsonValueKind.Number || g.GetInt32() != 0)
                {
                    throw new ModelFormatException($"learner.gradient_booster.model.tree_info[{i}] = {g}: only output group 0 is supported.");
                }

                i++;
            }
        }

        var trees = new List<TreeSpec>(treesJson.GetArrayLength());
        int t = 0;
        foreach (var tree in treesJson.EnumerateArray())
        {
            trees.Add(ReadTree(tree, t++));
        }

        return TreeEnsemble.Create(trees, numFeature, baseMargin, output, featureNames: FeatureNames(learner, numFeature));
    }

    /// <summary>learner.feature_names when the model was trained on named columns (written by 1.x and 2.x), else null.</summary>
    private static string[]? FeatureNames(JsonElement learner, int numFeature)
    {
        if (!learner.TryGetProperty("feature_names", out var names) || names.ValueKind != JsonValueKind.Array || names.GetArrayLength() == 0)
        {
            return null;
        }

        var r = new string[names.GetArrayLength()];
        int i = 0;
        foreach (var n in names.EnumerateArray())
        {
            r[i] = n.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(n.GetString())
                ? n.GetString()!
                : throw new ModelFormatException($"learner.feature_names[{i}] = {n} is not a non-empty string.");
            i++;
        }

        return r.Length == numFeature ? r : throw new ModelFormatException($"learner.feature_names has {r.Length} names; learner.learner_model_param.num_feature = {numFeature}.");
    }

    private static TreeSpec ReadTree(JsonElement tree, int t)
    {
        string at = $"trees[{t}]";
        int[] left = Ints(tree, "left_children", at);
        int[] right = Ints(tree, "right_children", at);
        int[] feature = Ints(tree, "split_indices", at);
        float[] cond = Floats(tree, "split_conditions", at);
        bool[] defaultLeft = Bools(tree, "default_left", at);
        float[]? cover = tree.TryGetProperty("sum_hessian", out _) ? Floats(tree, "sum_hessian", at) : null;
        int n = left.Length;
        if (tree.TryGetProperty("tree_param", out var tp) && tp.TryGetProperty("num_nodes", out var nn)
            && ParseIntString(nn, at + ".tree_param.num_nodes") != n)
        {
            throw new ModelFormatException($"{at}.tree_param.num_nodes = {nn} but left_children has {n} entries.");
        }

        if (tree.TryGetProperty("split_type", out var st) && st.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var s in st.EnumerateArray())
            {
                if (s.ValueKind != JsonValueKind.Number || s.GetInt32() != 0)
                {
                    throw new ModelFormatException($"{at}.split_type[{i}] = {s}: categorical splits are not supported.");
                }

                i++;
            }
        }

        if (tree.TryGetProperty("categories_nodes", out var cn) && cn.ValueKind == JsonValueKind.Array && cn.GetArrayLength() > 0)
        {
            throw new ModelFormatException($"{at}.categories_nodes is not empty: categorical splits are not supported.");
        }

        // The ensemble validates lengths, ranges and reachability with the same field names.
        var leafValue = new float[cond.Length];
        for (int i = 0; i < Math.Min(n, Math.Min(cond.Length, right.Length)); i++)
        {
            if (left[i] == -1)
            {
                if (right[i] != -1)
                {
                    throw new ModelFormatException($"{at}.right_children[{i}] = {right[i]} but left_children[{i}] = -1 (a leaf has no children).");
                }

                leafValue[i] = cond[i];
            }
        }

        return new TreeSpec(left, right, feature, cond, defaultLeft, leafValue) { Cover = cover };
    }

    private static JsonElement Child(JsonElement e, string name, string path)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var child))
        {
            throw new ModelFormatException($"{path} is missing.");
        }

        return child;
    }

    private static int ParseIntString(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v))
        {
            return v;
        }

        if (e.ValueKind == JsonValueKind.String && int.TryParse(e.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out v))
        {
            return v;
        }

        throw new ModelFormatException($"{path} = {e} is not an integer.");
    }

    private static float ParseBaseScore(JsonElement e)
    {
        const string path = "learner.learner_model_param.base_score";
        string? s = e.ValueKind == JsonValueKind.String ? e.GetString() : e.ValueKind == JsonValueKind.Number ? e.GetRawText() : null;
        if (s is not null && s.StartsWith('[') && s.EndsWith(']'))
        {
            // XGBoost 3 writes a vector intercept; one target means one entry.
            s = s[1..^1];
            if (s.Contains(','))
            {
                throw new ModelFormatException($"{path} = {e}: a vector intercept (multi-target) is not supported.");
            }
        }

        if (s is null || !float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
        {
            throw new ModelFormatException($"{path} = {e} is not a finite number.");
        }

        return v;
    }

    private static JsonElement Array(JsonElement tree, string field, string at)
    {
        if (!tree.TryGetProperty(field, out var a))
        {
            throw new ModelFormatException($"{at}.{field} is missing.");
        }

        if (a.ValueKind != JsonValueKind.Array)
        {
            throw new ModelFormatException($"{at}.{field} is not an array.");
        }

        return a;
    }

    private static int[] Ints(JsonElement tree, string field, string at)
    {
        var a = Array(tree, field, at);
        var r = new int[a.GetArrayLength()];
        int i = 0;
        foreach (var v in a.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out r[i]))
            {
                throw new ModelFormatException($"{at}.{field}[{i}] = {v} is not a 32-bit integer.");
            }

            i++;
        }

        return r;
    }

    private static float[] Floats(JsonElement tree, string field, string at)
    {
        var a = Array(tree, field, at);
        var r = new float[a.GetArrayLength()];
        int i = 0;
        foreach (var v in a.EnumerateArray())
        {
            // Parsing the text as float directly keeps XGBoost's float32 value exactly (no double rounding).
            if (v.ValueKind != JsonValueKind.Number || !float.TryParse(v.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out r[i]))
            {
                throw new ModelFormatException($"{at}.{field}[{i}] = {v} is not a number.");
            }

            i++;
        }

        return r;
    }

    private static bool[] Bools(JsonElement tree, string field, string at)
    {
        var a = Array(tree, field, at);
        var r = new bool[a.GetArrayLength()];
        int i = 0;
        foreach (var v in a.EnumerateArray())
        {
            r[i] = v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number when v.TryGetInt32(out int b) && (b == 0 || b == 1) => b == 1,
                _ => throw new ModelFormatException($"{at}.{field}[{i}] = {v} is not 0, 1, true or false."),
            };
            i++;
        }

        return r;
    }
}
