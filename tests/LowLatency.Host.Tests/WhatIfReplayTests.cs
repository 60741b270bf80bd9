using System.Globalization;
using System.Text.Json.Nodes;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;
using LowLatency.Models.Persistence;
using LowLatency.Models.Trees;

namespace LowLatency.Host.Tests;

/// <summary><c>lowlat replay --model/--features</c>: what-if runs over a recorded journal.</summary>
public sealed class WhatIfReplayTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(180);
    private static readonly string[] Bootstrap = ["--history", "5000", "--sim-cards", "5000", "--card-capacity", "16384", "--trees", "10"];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lowlat-whatif-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string P(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>Runs lowlat; the output with the console's line wrapping undone (lines joined by spaces).</summary>
    private static (int Code, string Out) Run(params string[] args)
    {
        var (code, output, error) = Lowlat.Run(Bound, args);
        return (code, System.Text.RegularExpressions.Regex.Replace(output + error, @"\s+", " "));
    }

    /// <summary>A logistic part (no hashed-key weight, so rows without keys score alike) blended with 15 random trees over the payments features.</summary>
    private string SaveOtherModel()
    {
        var names = Featurizer.NamesFor(FeaturePlan.Compile(FeatureSpec.LoadDefault("payments")));
        var rng = new Random(77);
        var weights = names.Select(_ => (float)((rng.NextDouble() - 0.5) / 2)).ToArray();
        var trees = Enumerable.Range(0, 15).Select(_ => Stump(rng, names.Length)).ToArray();
        var ensemble = TreeEnsemble.Create(trees, names.Length, -2f, TreeOutput.Logistic, featureNames: names);
        var model = new ChampionModel(new ModelLayout(names, 1), new LogisticModel(weights, new float[2], -3f), ensemble, ChampionBlend.Average);
        string path = P("other.llmodel");
        ModelFile.Save(model, path);
        return path;
    }

    private static TreeSpec Stump(Random rng, int features) =>
        new([1, -1, -1], [2, -1, -1], [rng.Next(features), 0, 0], [(float)(rng.NextDouble() * 4), 0, 0], [false, false, false], [0, (float)(rng.NextDouble() - 0.5), (float)(rng.NextDouble() - 0.5)]) { Cover = [2, 1, 1] };

    /// <summary>tx_id → (score, model version) from a decisions CSV.</summary>
    private static Dictionary<ulong, (float Score, uint Version)> Decisions(string path) =>
        File.ReadLines(path).Skip(1).Select(l => l.Split(',')).ToDictionary(
            c => ulong.Parse(c[0], CultureInfo.InvariantCulture),
            c => (float.Parse(c[2], CultureInfo.InvariantCulture), uint.Parse(c[3], CultureInfo.InvariantCulture)));

    [Fact]
    public void Replaying_a_journal_with_another_model_decides_as_that_model_scores_the_same_feature_rows_offline()
    {
        Assert.Equal(0, Run("gen", "--out", P("stream.bin"), "--events", "12000", "--cards", "3000", "--seed", "5").Code);
        var (code, output) = Run(["replay", P("stream.bin"), "--journal", P("journal"), "--decisions", P("recorded.csv"), .. Bootstrap]);
        Assert.True(code == 0, output);

        string other = SaveOtherModel();
        (code, output) = Run(["replay", P("journal"), "--model", other, "--decisions", P("whatif.csv"), .. Bootstrap]);
        Assert.True(code == 0, output);
        Assert.Contains("(a what-if run with --model/--features)", output, StringComparison.Ordinal);

        // Offline: the features the pipeline computed for the same journal, scored by the same model file.
        (code, output) = Run(["features", "export", P("journal"), "--out", P("rows.csv"), .. Bootstrap]);
        Assert.True(code == 0, output);
        (code, output) = Run("models", "score", "--model", other, "--input", P("rows.csv"), "--output", P("offline.csv"));
        Assert.True(code == 0, output);

        var recorded = Decisions(P("recorded.csv"));
        var whatIf = Decisions(P("whatif.csv"));
        var txIds = File.ReadLines(P("rows.csv")).Skip(1).Select(l => ulong.Parse(l[..l.IndexOf(',', StringComparison.Ordinal)], CultureInfo.InvariantCulture)).ToArray();
        var offline = File.ReadLines(P("offline.csv")).Skip(1).Select(l => float.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(txIds.Length, offline.Length);
        Assert.Equal(recorded.Count, whatIf.Count);
        Assert.Equal(txIds.Length, whatIf.Count);
        Assert.True(txIds.Length > 5000);
        int differ = 0;
        for (int i = 0; i < txIds.Length; i++)
        {
            var d = whatIf[txIds[i]];
            Assert.Equal(offline[i], d.Score);
            Assert.Equal(1u, d.Version);
            differ += recorded[txIds[i]].Score != d.Score ? 1 : 0;
        }

        Assert.True(differ > txIds.Length * 0.99, $"only {differ} of {txIds.Length} decisions changed with the other model");
    }

    [Fact]
    public void Replaying_with_another_feature_spec_trains_on_it_and_a_model_for_the_shipped_spec_is_refused()
    {
        // The shipped spec without its ip entity.
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Features", "Specs", "payments.json")))!;
        var entities = spec["entities"]!.AsArray();
        entities.Remove(entities.Single(e => (string?)e!["name"] == "ip"));
        File.WriteAllText(P("no-ip.json"), spec.ToJsonString());
        int full = Featurizer.NamesFor(FeaturePlan.Compile(FeatureSpec.LoadDefault("payments"))).Length;
        int reduced = Featurizer.NamesFor(FeaturePlan.Compile(FeatureSpec.Parse(File.ReadAllText(P("no-ip.json"))))).Length;
        Assert.True(reduced < full);

        Assert.Equal(0, Run("gen", "--out", P("stream.bin"), "--events", "6000", "--cards", "3000", "--seed", "6").Code);
        var (code, output) = Run(["replay", P("stream.bin"), "--decisions", P("full.csv"), .. Bootstrap]);
        Assert.True(code == 0, output);
        (code, output) = Run(["replay", P("stream.bin"), "--features", P("no-ip.json"), "--decisions", P("reduced.csv"), .. Bootstrap]);
        Assert.True(code == 0, output);
        Assert.Contains($"over {reduced} features", output, StringComparison.Ordinal);
        Assert.Contains("features=no-ip.json", output, StringComparison.Ordinal);
        var a = Decisions(P("full.csv"));
        var b = Decisions(P("reduced.csv"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.True(a.Count(kv => b[kv.Key].Score != kv.Value.Score) > a.Count / 2);

        (code, output) = Run(["replay", P("stream.bin"), "--features", P("no-ip.json"), "--model", SaveOtherModel(), .. Bootstrap]);
        Assert.Equal(2, code);
        Assert.Contains($"layout.feature_names has {full} features but the feature spec has {reduced}", output, StringComparison.Ordinal);

        File.WriteAllText(P("broken.json"), "{ \"event\": \"transaction\", \"entities\": [ { \"name\": \"card\" } ] }");
        (code, output) = Run(["replay", P("stream.bin"), "--features", P("broken.json"), .. Bootstrap]);
        Assert.Equal(2, code);
        Assert.Contains("--features broken.json: $.", output, StringComparison.Ordinal);
    }
}
