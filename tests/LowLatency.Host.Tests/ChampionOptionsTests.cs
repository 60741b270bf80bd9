using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Persistence;

namespace LowLatency.Host.Tests;

public sealed class ChampionOptionsTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(180);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lowlat-champion-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static string[] PaymentNames => Featurizer.NamesFor(FeaturePlan.Compile(FeatureSpec.LoadDefault("payments")));

    private string SaveLogistic(IReadOnlyList<string> names)
    {
        var weights = new float[names.Count];
        weights[0] = 0.8f;
        string path = Path.Combine(_dir.FullName, "model.llmodel");
        ModelFile.Save(ChampionModel.FromLogistic(new LogisticModel(weights, new float[4], -6f), names), path);
        return path;
    }

    [Fact]
    public void Bench_scores_with_a_model_loaded_from_a_file()
    {
        string path = SaveLogistic(PaymentNames);
        var (code, output, error) = Lowlat.Run(Bound, "bench", "--model", path, "--transport", "inproc", "--rate", "3000", "--duration", "1s", "--warmup", "500ms");
        Assert.True(code == 0, output + error);
        Assert.Contains($"Model v1: logistic over {PaymentNames.Length} features + 4 hashed-key weights (model.llmodel)", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("bench")]
    public void A_model_file_for_another_feature_layout_is_refused_naming_the_feature(string command)
    {
        var names = PaymentNames.ToArray();
        names[2] = "keyed";
        string path = SaveLogistic(names);
        var (code, output, error) = Lowlat.Run(Bound, command, "--model", path, "--duration", "1s");
        Assert.Equal(2, code);
        Assert.Contains("feature_names[2] = 'keyed' but the feature spec has 'keyed_or_on_file'", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_model_is_refused_with_the_reason()
    {
        string path = Path.Combine(_dir.FullName, "notes.txt");
        File.WriteAllText(path, "hello");
        var (code, output, error) = Lowlat.Run(Bound, "bench", "--model", path);
        Assert.Equal(2, code);
        Assert.Contains("not a LowLatency model", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_trains_the_combination_and_ensemble_size_asked_for()
    {
        var (code, output, error) = Lowlat.Run(Bound, "demo", "--combination", "trees", "--trees", "12", "--tree-depth", "3", "--duration", "1s", "--rate", "2000", "--cards", "5000", "--transport", "inproc");
        Assert.True(code == 0, output + error);
        Assert.Contains("Model v1: 12 trees of depth ≤ 3 over", output, StringComparison.Ordinal);
        Assert.Contains("Summary", output, StringComparison.Ordinal);
    }
}
