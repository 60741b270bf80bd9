using System.CommandLine;
using System.Globalization;
using LowLatency.Models;
using LowLatency.Models.Persistence;

namespace LowLatency.Host;

/// <summary>
/// <c>lowlat models score</c> and <c>lowlat models inspect</c>: what a quant uses to check an imported
/// model against the library that trained it. Any format <see cref="ModelLoader"/> reads is accepted.
/// </summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "Model file: LowLatency binary, XGBoost JSON or LightGBM text", Required = true };
        var input = new Option<FileInfo>("--input") { Description = "CSV of feature rows; the header names the features, empty cells are missing", Required = true };
        var output = new Option<FileInfo?>("--output") { Description = "Where to write margin and probability per row (default: standard output)" };
        var score = new Command("score", "Score a CSV of feature rows with a model; writes margin and probability (or value) per row.") { model, input, output };
        score.SetAction(parse => Guard(() => Score(parse.GetValue(model)!, parse.GetValue(input)!, parse.GetValue(output))));

        var file = new Argument<FileInfo>("FILE") { Description = "Model file" };
        var inspect = new Command("inspect", "Print a model's summary: format, expected features, parts and their sizes.") { file };
        inspect.SetAction(parse => Guard(() => Inspect(parse.GetValue(file)!)));

        return new Command("models", "Score with or inspect a model file (LowLatency binary, XGBoost JSON, LightGBM text).") { score, inspect };
    }

    private static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is ModelFormatException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
    }

    private static int Score(FileInfo modelFile, FileInfo inputFile, FileInfo? outputFile)
    {
        var champion = ModelLoader.Load(modelFile.FullName, out _);
        var names = champion.Layout.FeatureNames;
        using var reader = new StreamReader(inputFile.FullName);
        string header = reader.ReadLine() ?? throw new InvalidDataException($"{inputFile.Name}: empty file (a header row naming the features is required).");
        var columns = header.Split(',').Select(c => c.Trim().Trim('"')).ToArray();
        var columnOf = new int[names.Count];
        var missing = new List<string>();
        for (int f = 0; f < names.Count; f++)
        {
            columnOf[f] = Array.IndexOf(columns, names[f]);
            if (columnOf[f] < 0)
            {
                missing.Add(names[f]);
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidDataException($"{inputFile.Name}: the header lacks {missing.Count} feature(s) the model reads: {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", …" : string.Empty)}.");
        }

        using var sink = outputFile is null ? null : new StreamWriter(outputFile.FullName, append: false, new System.Text.UTF8Encoding(false));
        var writer = sink ?? Console.Out;
        writer.Write(champion.IsClassifier ? "margin,probability\n" : "margin,prediction\n");
        var dense = new float[names.Count];
        long line = 1;
        long rows = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0)
            {
                continue;
            }

            var cells = text.Split(',');
            if (cells.Length != columns.Length)
            {
                throw new InvalidDataException($"{inputFile.Name} line {line}: {cells.Length} cells; the header has {columns.Length}.");
            }

            for (int f = 0; f < dense.Length; f++)
            {
                string cell = cells[columnOf[f]].Trim();
                if (cell.Length == 0 || cell.Equals("nan", StringComparison.OrdinalIgnoreCase) || cell == "NA")
                {
                    dense[f] = float.NaN;
                }
                else if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out dense[f]))
                {
                    throw new InvalidDataException($"{inputFile.Name} line {line}, column '{names[f]}': '{cell}' is not a number.");
                }
            }

            var s = champion.Score(dense, default);
            // "R" round-trips: the printed value parses back to the same float bits.
            writer.Write(s.Margin.ToString("R", CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write(s.Probability.ToString("R", CultureInfo.InvariantCulture));
            writer.Write('\n');
            rows++;
        }

        writer.Flush();
        if (sink is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Scored {rows:N0} rows with {modelFile.Name} into {outputFile!.FullName}"));
        }

        return 0;
    }

    private static int Inspect(FileInfo file)
    {
        var m = ModelLoader.Load(file.FullName, out var format);
        var inv = CultureInfo.InvariantCulture;
        var names = m.Layout.FeatureNames;
        Console.WriteLine($"Model:    {file.Name}");
        Console.WriteLine($"Format:   {format}");
        string hashed = m.Layout.HashBits == 0 ? "no hashed keys" : string.Create(inv, $"hashed table 2^{m.Layout.HashBits}");
        Console.WriteLine(string.Create(inv, $"Features: {names.Count} dense ({string.Join(", ", names.Take(12))}{(names.Count > 12 ? ", …" : string.Empty)}); {hashed}"));
        Console.WriteLine($"Output:   {(m.IsClassifier ? "probability" : "raw value")}");
        if (m.Logistic is { } l)
        {
            int nonZero = 0;
            foreach (float w in l.HashedWeights)
            {
                nonZero += w != 0 ? 1 : 0;
            }

            Console.WriteLine(string.Create(inv, $"Logistic: bias {l.Bias:R}, {l.DenseCount} dense weights, {l.HashedWeights.Length:N0} hashed slots ({nonZero:N0} non-zero)"));
        }

        if (m.Trees is { } t)
        {
            Console.WriteLine(string.Create(inv, $"Trees:    {t.TreeCount:N0} trees, {t.NodeCount:N0} nodes, max depth {t.MaxDepth}, {t.FeatureCount} features read"));
            Console.WriteLine(string.Create(inv, $"          aggregation {t.Aggregation}, output {t.Output}, base margin {t.BaseMargin:R}, evaluator {(t.IsCompiled ? "complete-tree layout, 16 trees per step" : "node walk")}"));
        }

        if (m.Logistic is not null && m.Trees is not null)
        {
            var b = m.Blend;
            Console.WriteLine(string.Create(inv, $"Blend:    {b.Mode}: intercept {b.Intercept:R}, logistic × {b.LogisticWeight:R}, trees × {b.TreeWeight:R}"));
        }

        return 0;
    }
}
