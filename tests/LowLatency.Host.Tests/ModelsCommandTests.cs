using System.Globalization;
using System.IO.Compression;
using LowLatency.Models;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Persistence;
using LowLatency.Models.Trees;

namespace LowLatency.Host.Tests;

public sealed class ModelsCommandTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lowlat-models-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    private string Gunzip(string name)
    {
        string path = Path.Combine(_dir.FullName, name[..^3]);
        using var src = new GZipStream(File.OpenRead(Fixture(name)), CompressionMode.Decompress);
        using var dst = File.Create(path);
        src.CopyTo(dst);
        return path;
    }

    /// <summary>The fixture rows as a CSV with a header f0…f11 and empty cells for missing values.</summary>
    private string RowsCsv()
    {
        string features = Gunzip("features.csv.gz");
        string path = Path.Combine(_dir.FullName, "rows.csv");
        var lines = File.ReadAllLines(features).Select(l => l.Replace("nan", string.Empty, StringComparison.Ordinal));
        File.WriteAllLines(path, [string.Join(',', Enumerable.Range(0, 12).Select(i => "f" + i)), .. lines]);
        return path;
    }

    private static float[][] ReadPredictions(string path, string header)
    {
        var lines = File.ReadAllLines(path);
        Assert.Equal(header, lines[0]);
        return [.. lines.Skip(1).Select(l => l.Split(',').Select(c => float.Parse(c, CultureInfo.InvariantCulture)).ToArray())];
    }

    [Theory]
    [InlineData("logistic_100x6", "margin,probability")]
    [InlineData("logistic_500x4", "margin,probability")]
    [InlineData("squared_25x7", "margin,prediction")]
    public void Score_reproduces_xgboosts_own_predictions_for_every_row(string name, string header)
    {
        string model = Gunzip(name + ".json.gz");
        string output = Path.Combine(_dir.FullName, "preds.csv");
        var (code, stdout, stderr) = Lowlat.Run(Bound, "models", "score", "--model", model, "--input", RowsCsv(), "--output", output);
        Assert.True(code == 0, stdout + stderr);
        var ours = ReadPredictions(output, header);
        var expected = File.ReadAllLines(Gunzip(name + ".pred.csv.gz")).Select(l => l.Split(',').Select(c => float.Parse(c, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.Equal(expected.Length, ours.Length);
        for (int r = 0; r < ours.Length; r++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[r][0]), BitConverter.SingleToInt32Bits(ours[r][0]));
            Assert.InRange(Math.Abs(BitConverter.SingleToInt32Bits(expected[r][1]) - BitConverter.SingleToInt32Bits(ours[r][1])), 0, 1);
        }
    }

    [Fact]
    public void Score_of_a_lightgbm_model_matches_the_hand_worked_margins_and_ignores_extra_columns()
    {
        // The expected file itself is the input: its margin and why columns are not features and are ignored.
        string input = Fixture(Path.Combine("lightgbm", "regression_categorical.expected.csv"));
        var (code, stdout, stderr) = Lowlat.Run(Bound, "models", "score", "--model", Fixture(Path.Combine("lightgbm", "regression_categorical.txt")), "--input", input);
        Assert.True(code == 0, stdout + stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("margin,prediction", lines[0]);
        var expected = File.ReadAllLines(input).Skip(1).Select(l => double.Parse(l.Split(',')[4], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected.Length, lines.Length - 1);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.Equal(expected[r], double.Parse(lines[r + 1].Split(',')[0], CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Score_and_inspect_read_our_binary_format()
    {
        var rng = new Random(3);
        string[] names = ["amount", "velocity", "age"];
        var lr = new LogisticModel([0.5f, -0.25f, 0.125f], [.. Enumerable.Range(0, 16).Select(_ => (float)(rng.NextDouble() - 0.5))], -1f);
        var stump = new TreeSpec([1, -1, -1], [2, -1, -1], [1, 0, 0], [2f, 0, 0], [true, false, false], [0, -0.5f, 0.75f]);
        var trees = TreeEnsemble.Create([stump], 3, 0f, TreeOutput.Logistic);
        var champion = new ChampionModel(new ModelLayout(names, 4), lr, trees, new ChampionBlend(ChampionCombination.WeightedMargin, 0.5f, 2f, 0.25f));
        string model = Path.Combine(_dir.FullName, "champion.llm");
        ModelFile.Save(champion, model);
        string input = Path.Combine(_dir.FullName, "in.csv");
        File.WriteAllLines(input, ["age,amount,velocity", "1,2,3", ",4,1", "0,0,"]);
        var (code, stdout, stderr) = Lowlat.Run(Bound, "models", "score", "--model", model, "--input", input);
        Assert.True(code == 0, stdout + stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Independent arithmetic: 0.25 + 0.5·(−1 + 0.5·amount − 0.25·velocity + 0.125·age) + 2·stump(velocity < 2 → −0.5, missing → left).
        double[] expected =
        [
            0.25 + (0.5 * (-1 + 1 - 0.75 + 0.125)) + (2 * 0.75),
            0.25 + (0.5 * (-1 + 2 - 0.25)) + (2 * -0.5),
            0.25 + (0.5 * -1) + (2 * -0.5),
        ];
        for (int r = 0; r < expected.Length; r++)
        {
            var cells = lines[r + 1].Split(',');
            Assert.Equal(expected[r], double.Parse(cells[0], CultureInfo.InvariantCulture), 1e-6);
            Assert.Equal(1 / (1 + Math.Exp(-expected[r])), double.Parse(cells[1], CultureInfo.InvariantCulture), 1e-6);
        }

        (code, stdout, stderr) = Lowlat.Run(Bound, "models", "inspect", model);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("LowLatencyBinary", stdout, StringComparison.Ordinal);
        Assert.Contains("3 dense (amount, velocity, age); hashed table 2^4", stdout, StringComparison.Ordinal);
        Assert.Contains("Logistic: bias -1, 3 dense weights, 16 hashed slots", stdout, StringComparison.Ordinal);
        Assert.Contains("Trees:    1 trees, 3 nodes, max depth 1", stdout, StringComparison.Ordinal);
        Assert.Contains("WeightedMargin: intercept 0.25, logistic × 0.5, trees × 2", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_summarises_an_xgboost_model()
    {
        var (code, stdout, stderr) = Lowlat.Run(Bound, "models", "inspect", Gunzip("logistic_500x4.json.gz"));
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("XGBoostJson", stdout, StringComparison.Ordinal);
        Assert.Contains("500 trees", stdout, StringComparison.Ordinal);
        Assert.Contains("max depth 4", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_inputs_get_a_clear_message_and_a_non_zero_exit()
    {
        string model = Gunzip("logistic_1x3.json.gz");
        string noColumn = Path.Combine(_dir.FullName, "short.csv");
        File.WriteAllLines(noColumn, ["f0,f1", "1,2"]);
        var (code, _, stderr) = Lowlat.Run(Bound, "models", "score", "--model", model, "--input", noColumn);
        Assert.NotEqual(0, code);
        Assert.Contains("lacks 10 feature(s) the model reads: f2, f3", stderr, StringComparison.Ordinal);

        string badCell = Path.Combine(_dir.FullName, "bad.csv");
        File.WriteAllLines(badCell, [string.Join(',', Enumerable.Range(0, 12).Select(i => "f" + i)), "1,2,3,4,5,6,7,8,9,10,11,12", "1,2,x,4,5,6,7,8,9,10,11,12"]);
        (code, _, stderr) = Lowlat.Run(Bound, "models", "score", "--model", model, "--input", badCell);
        Assert.NotEqual(0, code);
        Assert.Contains("line 3, column 'f2': 'x' is not a number", stderr, StringComparison.Ordinal);

        string notAModel = Path.Combine(_dir.FullName, "junk.bin");
        File.WriteAllText(notAModel, "hello");
        (code, _, stderr) = Lowlat.Run(Bound, "models", "inspect", notAModel);
        Assert.NotEqual(0, code);
        Assert.Contains("not a LowLatency model", stderr, StringComparison.Ordinal);

        string corrupt = Path.Combine(_dir.FullName, "corrupt.llm");
        var bytes = ModelFile.ToBytes(ChampionModel.FromTrees(TreeEnsemble.Create([new TreeSpec([1, -1, -1], [2, -1, -1], [0, 0, 0], [0, 0, 0], [false, false, false], [0, 1, 2])], 1, 0f, TreeOutput.RawMargin)));
        bytes[^6] ^= 1;
        File.WriteAllBytes(corrupt, bytes);
        (code, _, stderr) = Lowlat.Run(Bound, "models", "inspect", corrupt);
        Assert.NotEqual(0, code);
        Assert.Contains("checksum", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("score")]
    [InlineData("inspect")]
    public void Models_subcommands_document_their_options(string sub)
    {
        var (code, output, _) = Lowlat.Run(Bound, "models", sub, "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }
}
