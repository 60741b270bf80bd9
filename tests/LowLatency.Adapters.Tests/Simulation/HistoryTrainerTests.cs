using LowLatency.Adapters.Load;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models;
using LowLatency.Models.Champion;
using LowLatency.Models.Linear;

namespace LowLatency.Adapters.Tests.Simulation;

public class HistoryTrainerTests
{
    private static readonly FeatureSpec Spec = FeatureSpec.LoadDefault("payments").WithMaxCapacity(1 << 14);

    private static PaymentFlow Flow() => new(new PaymentSimulator(new SimulatorOptions { Seed = 21, Cards = 4000, Merchants = 400 }));

    /// <summary>Scores the next <paramref name="n"/> transactions of <paramref name="flow"/> with the bootstrap's own warm features; returns the AUC against the ground truth.</summary>
    private static double HeldOutAuc(BootstrapModel model, PaymentFlow flow, int n)
    {
        var features = model.Features;
        var slot = new PipelineSlot[1];
        var x = new float[features.Count];
        var keys = new ulong[SparseKeyBuffer.Capacity];
        var scores = new List<float>();
        var labels = new List<byte>();
        while (scores.Count < n)
        {
            flow.Next(ref slot[0], out var truth);
            if (slot[0].Kind != MessageKind.Transaction)
            {
                continue;
            }

            features.Process(slot[0].Transaction, x);
            int k = SparseKeys.Write(slot[0].Transaction, keys);
            scores.Add(model.Model.Champion.Score(x, keys.AsSpan(0, k)).Probability);
            labels.Add(truth.IsFraud ? (byte)1 : (byte)0);
        }

        return HistoryTrainer.Auc([.. scores], [.. labels]);
    }

    [Theory]
    [InlineData(BootstrapCombination.Logistic, true, false)]
    [InlineData(BootstrapCombination.Trees, false, true)]
    [InlineData(BootstrapCombination.Blend, true, true)]
    [InlineData(BootstrapCombination.Max, true, true)]
    public void The_bootstrap_champion_has_the_parts_its_combination_asks_for_and_they_learned_the_fraud(BootstrapCombination combination, bool logistic, bool trees)
    {
        var flow = Flow();
        var model = HistoryTrainer.Train(flow, 20_000, Spec, new BootstrapOptions { Combination = combination, TreeWeight = 0.4f });
        using var features = model.Features;
        var champion = model.Model.Champion;
        Assert.Equal(logistic, champion.Logistic is not null);
        Assert.Equal(trees, champion.Trees is not null);
        Assert.Equal(logistic, model.Learner is not null);
        Assert.Equal(1u, model.Model.Version);
        Assert.Equal(Featurizer.NamesFor(FeaturePlan.Compile(Spec)), champion.Layout.FeatureNames);
        Assert.Equal(champion.Layout.DenseCount, champion.Reference.Length);
        var expected = combination switch
        {
            BootstrapCombination.Blend => new ChampionBlend(ChampionCombination.WeightedMargin, 0.6f, 0.4f, 0f),
            BootstrapCombination.Max => new ChampionBlend(ChampionCombination.Max, 1f, 1f, 0f),
            _ => ChampionBlend.Sum,
        };
        Assert.Equal(expected, champion.Blend);
        if (trees)
        {
            Assert.Equal(40, champion.Trees!.TreeCount);
            Assert.True(champion.Trees.MaxDepth <= 4);
        }

        // Learned from the data: the transactions that follow the history, never trained on, are ranked well.
        double auc = HeldOutAuc(model, flow, 20_000);
        Assert.True(auc > 0.85, $"{combination}: held-out AUC {auc:F3}");
        Assert.True(model.Frauds > 20);
    }

    [Fact]
    public void A_given_model_is_served_as_is_and_the_thresholds_are_calibrated_on_its_scores()
    {
        var names = Featurizer.NamesFor(FeaturePlan.Compile(Spec));
        var weights = new float[names.Length];
        weights[0] = 1f; // log amount: bigger payments score higher
        var given = ChampionModel.FromLogistic(new LogisticModel(weights, new float[2], -8f), names);
        var model = HistoryTrainer.Train(Flow(), 5_000, Spec, new BootstrapOptions { Model = given, ModelOrigin = "given.llmodel", ReviewRate = 0.1, DeclineRate = 0.02 });
        model.Features.Dispose();
        Assert.Same(given, model.Model.Champion);
        Assert.Equal("given.llmodel", model.Model.Origin);
        Assert.Null(model.Learner);
        Assert.True(model.Policy.Review < model.Policy.Decline);
    }

    [Fact]
    public void A_given_model_for_another_feature_layout_is_refused_naming_the_feature()
    {
        var names = Featurizer.NamesFor(FeaturePlan.Compile(Spec)).ToArray();
        names[5] = "hour_of_day";
        var given = ChampionModel.FromLogistic(new LogisticModel(new float[names.Length], new float[2], 0f), names);
        var ex = Assert.Throws<ModelFormatException>(() => HistoryTrainer.Train(Flow(), 5_000, Spec, new BootstrapOptions { Model = given }));
        Assert.Contains("feature_names[5] = 'hour_of_day' but the feature spec has 'night'", ex.Message, StringComparison.Ordinal);
    }
}
