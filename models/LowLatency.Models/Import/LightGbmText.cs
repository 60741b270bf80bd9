using System.Globalization;
using LowLatency.Models.Trees;

namespace LowLatency.Models.Import;

/// <summary>
/// Loads a LightGBM text model (<c>save_model("model.txt")</c>, versions v2–v4). Facts about the format
/// this follows: a header of key=value lines, then one block per tree starting <c>Tree=N</c>, ending at
/// <c>end of trees</c>. A tree with L leaves has L-1 internal nodes; a child index ≥ 0 is an internal
/// node, a negative one c is leaf ~c. decision_type is a bit field: bit 0 categorical, bit 1 default-left,
/// bits 2–3 missing type (0 None, 1 Zero, 2 NaN). A numeric node goes left when x ≤ threshold (double);
/// with missing type None a NaN is first replaced by 0; with Zero, NaN and |x| ≤ 1e-35 follow the default
/// direction; with NaN, NaN does. A categorical node's threshold indexes cat_boundaries, which delimit
/// 32-bit words of cat_threshold forming the left set; x is truncated to an int, and NaN or negative
/// values go right. Leaf values already include shrinkage; there is no separate base score.
/// Objectives: binary (sigmoid:s; the margin is s × raw score so the probability is sigmoid(margin)),
/// cross_entropy (sigmoid), and the regression family (identity). average_output (random forest mode)
/// averages the trees. Conversion to our float evaluator: each threshold t becomes the float t' just
/// above the largest float ≤ t, so x &lt; t' ⇔ x ≤ t exactly for every float x; leaf values are rounded to
/// float and summed in float (LightGBM sums doubles, so margins agree to float rounding, not bit for bit).
/// Anything malformed or unsupported throws <see cref="ModelFormatException"/> naming the field;
/// nothing is returned half-built.
/// </summary>
public static class LightGbmText
{
    private const int MissingNone = 0;
    private const int MissingZero = 1;
    private const int MissingNaN = 2;

    /// <summary>Loads a model file.</summary>
    public static TreeEnsemble Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>True when the text looks like a LightGBM model (first line "tree").</summary>
    public static bool LooksLikeModel(ReadOnlySpan<char> text) => text.TrimStart().StartsWith("tree", StringComparison.Ordinal);

    /// <summary>Parses model text.</summary>
    public static TreeEnsemble Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        int i = 0;
        string first = lines.Length > 0 ? lines[0].Trim() : string.Empty;
        if (first != "tree")
        {
            throw new ModelFormatException($"header: the first line is '{Clip(first)}', not 'tree'; not a LightGBM text model.");
        }

        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        bool averageOutput = false;
        for (i = 1; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.StartsWith("Tree=", StringComparison.Ordinal) || line == "end of trees")
            {
                break;
            }

            if (line.Length == 0)
            {
                continue;
            }

            if (line == "average_output")
            {
                averageOutput = true;
                continue;
            }

            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                header[line[..eq]] = line[(eq + 1)..];
            }
        }

        int numClass = Int(header, "num_class", 1);
        if (numClass != 1)
        {
            throw new ModelFormatException($"num_class = {numClass}: multiclass models are not supported.");
        }

        int perIteration = Int(header, "num_tree_per_iteration", 1);
        if (perIteration != 1)
        {
            throw new ModelFormatException($"num_tree_per_iteration = {perIteration}: only one tree per iteration is supported.");
        }

        if (!header.ContainsKey("max_feature_idx"))
        {
            throw new ModelFormatException("max_feature_idx is missing.");
        }

        int features = Int(header, "max_feature_idx", 0) + 1;
        if (features < 1)
        {
            throw new ModelFormatException($"max_feature_idx = {features - 1} must be at least 0.");
        }

        string[]? names = header.TryGetValue("feature_names", out var fn) ? fn.Split(' ', StringSplitOptions.RemoveEmptyEntries) : null;
        if (names is not null && names.Length != features)
        {
            throw new ModelFormatException($"feature_names has {names.Length} names; max_feature_idx = {features - 1} means {features}.");
        }

        (TreeOutput output, double sigmoid) = Objective(header);

        var trees = new List<TreeSpec>();
        while (i < lines.Length)
        {
            string line = lines[i].Trim();
            if (line == "end of trees")
            {
                break;
            }

            if (!line.StartsWith("Tree=", StringComparison.Ordinal))
            {
                i++;
                continue;
            }

            string at = line;
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            for (i++; i < lines.Length; i++)
            {
                string l = lines[i].Trim();
                if (l.StartsWith("Tree=", StringComparison.Ordinal) || l == "end of trees")
                {
                    break;
                }

                int eq = l.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    fields[l[..eq]] = l[(eq + 1)..];
                }
            }

            if (at != $"Tree={trees.Count.ToString(CultureInfo.InvariantCulture)}")
            {
                throw new ModelFormatException($"{Clip(at)}: expected Tree={trees.Count} (trees must be numbered in order).");
            }

            trees.Add(ReadTree(fields, at, features, sigmoid));
        }

        if (i >= lines.Length)
        {
            throw new ModelFormatException("end of trees: the marker is missing (file truncated?).");
        }

        if (trees.Count == 0)
        {
            throw new ModelFormatException("Tree=0: the model has no trees.");
        }

        return TreeEnsemble.Create(trees, features, 0f, output, averageOutput ? TreeAggregation.Average : TreeAggregation.Sum, featureNames: names);
    }

    private static (TreeOutput Output, double Sigmoid) Objective(Dictionary<string, string> header)
    {
        if (!header.TryGetValue("objective", out var objective))
        {
            throw new ModelFormatException("objective is missing.");
        }

        var parts = objective.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string name = parts.Length > 0 ? parts[0] : string.Empty;
        switch (name)
        {
            case "binary":
                double s = 1.0;
                foreach (var p in parts.Skip(1))
                {
                    if (p.StartsWith("sigmoid:", StringComparison.Ordinal)
                        && (!double.TryParse(p.AsSpan(8), NumberStyles.Float, CultureInfo.InvariantCulture, out s) || !(s > 0) || !double.IsFinite(s)))
                    {
                        throw new ModelFormatException($"objective = '{objective}': sigmoid must be a positive number.");
                    }
                }

                return (TreeOutput.Logistic, s);
            case "cross_entropy" or "xentropy":
                return (TreeOutput.Logistic, 1.0);
            case "regression" or "regression_l2" or "l2" or "mean_squared_error" or "mse" or "regression_l1" or "l1" or "huber" or "fair" or "quantile" or "mape":
                return (TreeOutput.RawMargin, 1.0);
            default:
                throw new ModelFormatException($"objective = '{Clip(objective)}' is not supported (binary, cross_entropy and regression objectives are).");
        }
    }

    private static TreeSpec ReadTree(Dictionary<string, string> f, string at, int features, double sigmoid)
    {
        int leaves = Int(f, "num_leaves", -1, at);
        if (leaves < 1)
        {
            throw new ModelFormatException($"{at}.num_leaves = {leaves} must be at least 1.");
        }

        if (f.TryGetValue("is_linear", out var linear) && linear.Trim() != "0")
        {
            throw new ModelFormatException($"{at}.is_linear = {linear}: linear trees are not supported.");
        }

        int inner = leaves - 1;
        int numCat = Int(f, "num_cat", 0, at);
        double[] leafValue = Doubles(f, "leaf_value", leaves, at);
        // Cover for Saabas reason codes: hessian sums when present, else counts, else none (optional fields).
        double[] leafCover = HasValues(f, "leaf_weight") ? Doubles(f, "leaf_weight", leaves, at)
            : HasValues(f, "leaf_count") ? Doubles(f, "leaf_count", leaves, at) : [];
        int n = inner + leaves;
        var left = new int[n];
        var right = new int[n];
        var feature = new int[n];
        var threshold = new float[n];
        var defaultLeft = new bool[n];
        var value = new float[n];
        var zero = new bool[n];
        var sets = new uint[]?[n];
        float[]? cover = leafCover.Length > 0 ? new float[n] : null;
        for (int j = 0; j < leaves; j++)
        {
            double v = leafValue[j] * sigmoid;
            if (!double.IsFinite(v))
            {
                throw new ModelFormatException($"{at}.leaf_value[{j}] is not finite.");
            }

            left[inner + j] = -1;
            right[inner + j] = -1;
            value[inner + j] = (float)v;
            if (cover is not null)
            {
                cover[inner + j] = (float)leafCover[j];
            }
        }

        if (inner > 0)
        {
            int[] splitFeature = Ints(f, "split_feature", inner, at);
            double[] thr = Doubles(f, "threshold", inner, at);
            int[] decision = Ints(f, "decision_type", inner, at);
            int[] lc = Ints(f, "left_child", inner, at);
            int[] rc = Ints(f, "right_child", inner, at);
            double[] innerCover = leafCover.Length == 0 ? []
                : HasValues(f, "leaf_weight") ? (HasValues(f, "internal_weight") ? Doubles(f, "internal_weight", inner, at) : [])
                : HasValues(f, "internal_count") ? Doubles(f, "internal_count", inner, at) : [];
            int[] catBoundaries = numCat > 0 ? Ints(f, "cat_boundaries", numCat + 1, at) : [];
            uint[] catThreshold = numCat > 0 ? UInts(f, "cat_threshold", at) : [];
            if (numCat < 0)
            {
                throw new ModelFormatException($"{at}.num_cat = {numCat} is negative.");
            }

            for (int k = 0; k < numCat; k++)
            {
                if (catBoundaries[k] < 0 || catBoundaries[k] > catBoundaries[k + 1] || catBoundaries[k + 1] > catThreshold.Length)
                {
                    throw new ModelFormatException($"{at}.cat_boundaries[{k + 1}] = {catBoundaries[k + 1]} is out of order or beyond cat_threshold ({catThreshold.Length} words).");
                }
            }

            for (int k = 0; k < inner; k++)
            {
                left[k] = Child(lc[k], inner, leaves, at, "left_child", k);
                right[k] = Child(rc[k], inner, leaves, at, "right_child", k);
                if (splitFeature[k] < 0 || splitFeature[k] >= features)
                {
                    throw new ModelFormatException($"{at}.split_feature[{k}] = {splitFeature[k]} is out of range [0, {features}).");
                }

                feature[k] = splitFeature[k];
                int dt = decision[k];
                int missing = (dt >> 2) & 3;
                if ((dt & ~0xF) != 0 || missing == 3)
                {
                    throw new ModelFormatException($"{at}.decision_type[{k}] = {dt} has unknown bits or missing type 3.");
                }

                bool dl = (dt & 2) != 0;
                if (innerCover.Length > 0 && cover is not null)
                {
                    cover[k] = (float)innerCover[k];
                }

                if ((dt & 1) != 0)
                {
                    double idx = thr[k];
                    if (idx < 0 || idx >= numCat || idx != Math.Floor(idx))
                    {
                        throw new ModelFormatException($"{at}.threshold[{k}] = {idx.ToString(CultureInfo.InvariantCulture)} is not a category-set index in [0, {numCat}) (num_cat).");
                    }

                    int c = (int)idx;
                    sets[k] = catThreshold[catBoundaries[c]..catBoundaries[c + 1]];
                    // NaN goes right for categorical splits whatever the flags say (LightGBM v3+).
                    defaultLeft[k] = false;
                    continue;
                }

                double t = thr[k];
                if (!double.IsFinite(t))
                {
                    throw new ModelFormatException($"{at}.threshold[{k}] = {t.ToString(CultureInfo.InvariantCulture)} is not finite.");
                }

                threshold[k] = StrictFloatAbove(t);
                switch (missing)
                {
                    case MissingNone:
                        // NaN is treated as 0, which goes left exactly when 0 ≤ t.
                        defaultLeft[k] = t >= 0;
                        break;
                    case MissingZero:
                        zero[k] = true;
                        defaultLeft[k] = dl;
                        break;
                    default:
                        defaultLeft[k] = dl;
                        break;
                }
            }
        }

        bool anyZero = Array.IndexOf(zero, true) >= 0;
        bool anyCat = sets.Any(s => s is not null);
        if (cover is not null && inner > 0 && cover.AsSpan(0, inner).IndexOfAnyExcept(0f) < 0)
        {
            // No internal weights in the file: let the ensemble derive them from the leaves.
            cover = null;
        }

        return new TreeSpec(left, right, feature, threshold, defaultLeft, value)
        {
            Cover = cover,
            ZeroIsMissing = anyZero ? zero : null,
            CategorySets = anyCat ? sets : null,
        };
    }

    /// <summary>The float t' with x &lt; t' ⇔ x ≤ t for every float x: one step above the largest float not above t.</summary>
    internal static float StrictFloatAbove(double t)
    {
        float f = (float)t;
        if (f > t)
        {
            f = MathF.BitDecrement(f);
        }

        return MathF.BitIncrement(f);
    }

    private static int Child(int c, int inner, int leaves, string at, string field, int k)
    {
        if (c >= 0)
        {
            if (c >= inner || c == k)
            {
                throw new ModelFormatException($"{at}.{field}[{k}] = {c} is not an internal node in [0, {inner}) other than itself.");
            }

            return c;
        }

        int leaf = ~c;
        if (leaf >= leaves)
        {
            throw new ModelFormatException($"{at}.{field}[{k}] = {c} names leaf {leaf}, but num_leaves = {leaves}.");
        }

        return inner + leaf;
    }

    private static int Int(Dictionary<string, string> d, string key, int fallback, string? at = null)
    {
        if (!d.TryGetValue(key, out var s))
        {
            if (fallback < 0)
            {
                throw new ModelFormatException($"{Prefix(at)}{key} is missing.");
            }

            return fallback;
        }

        if (!int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
        {
            throw new ModelFormatException($"{Prefix(at)}{key} = '{Clip(s)}' is not an integer.");
        }

        return v;
    }

    private static string[] Tokens(Dictionary<string, string> d, string key, int expected, string at)
    {
        if (!d.TryGetValue(key, out var s))
        {
            throw new ModelFormatException($"{at}.{key} is missing.");
        }

        var t = s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (expected >= 0 && t.Length != expected)
        {
            throw new ModelFormatException($"{at}.{key} has {t.Length} entries; {expected} expected (num_leaves / num_cat).");
        }

        return t;
    }

    private static double[] Doubles(Dictionary<string, string> d, string key, int expected, string at)
    {
        var t = Tokens(d, key, expected, at);
        var r = new double[t.Length];
        for (int i = 0; i < t.Length; i++)
        {
            if (!double.TryParse(t[i], NumberStyles.Float, CultureInfo.InvariantCulture, out r[i]) || double.IsNaN(r[i]))
            {
                throw new ModelFormatException($"{at}.{key}[{i}] = '{Clip(t[i])}' is not a number.");
            }
        }

        return r;
    }

    private static int[] Ints(Dictionary<string, string> d, string key, int expected, string at)
    {
        var t = Tokens(d, key, expected, at);
        var r = new int[t.Length];
        for (int i = 0; i < t.Length; i++)
        {
            if (!int.TryParse(t[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out r[i]))
            {
                throw new ModelFormatException($"{at}.{key}[{i}] = '{Clip(t[i])}' is not an integer.");
            }
        }

        return r;
    }

    private static uint[] UInts(Dictionary<string, string> d, string key, string at)
    {
        var t = Tokens(d, key, -1, at);
        var r = new uint[t.Length];
        for (int i = 0; i < t.Length; i++)
        {
            if (!uint.TryParse(t[i], NumberStyles.None, CultureInfo.InvariantCulture, out r[i]))
            {
                throw new ModelFormatException($"{at}.{key}[{i}] = '{Clip(t[i])}' is not an unsigned 32-bit integer.");
            }
        }

        return r;
    }

    private static bool HasValues(Dictionary<string, string> d, string key) => d.TryGetValue(key, out var s) && !string.IsNullOrWhiteSpace(s);

    private static string Prefix(string? at) => at is null ? string.Empty : at + ".";

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
