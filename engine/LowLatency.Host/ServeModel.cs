using System.Globalization;
using LowLatency.Adapters.Load;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models;
using LowLatency.Models.Champion;
using LowLatency.Models.Persistence;
using LowLatency.Models.Training;

namespace LowLatency.Host;

/// <summary>
/// The model <c>lowlat serve</c> scores with, and where it came from. Today the pipeline scores a dense logistic model
/// (<see cref="LinearScorer"/>): the bootstrap model trained on simulated history, or a model file whose content is a
/// logistic model over exactly the spec's features. Tree ensembles (XGBoost, LightGBM, or trees in an LLMODEL file) load
/// but cannot score in the pipeline until the champion runtime is wired in; serve says so and refuses to start.
/// </summary>
internal sealed record ServeModel(LinearScorer Model, DecisionPolicy Policy, string Description)
{
    /// <summary>Builds the model <paramref name="config"/> names; <paramref name="progress"/> hears what is being done.</summary>
    public static ServeModel Create(ServeConfig config, Action<string> progress)
    {
        FeatureSpec spec = config.Features.Spec;
        switch (config.Model)
        {
            case BootstrapModelConfig b:
                return Bootstrap(b, spec, config.Thresholds, progress);
            case FileModelConfig f:
                return FromFile(f, spec, config.Thresholds);
            default:
                throw new ServeConfigException("model", "unknown model source.");
        }
    }

    private static ServeModel Bootstrap(BootstrapModelConfig b, FeatureSpec spec, ThresholdsConfig thresholds, Action<string> progress)
    {
        IFlowSource source = spec.Event == FeatureEventKind.Order
            ? new OrderFlow(new OrderSimulator(new OrderSimulatorOptions { Seed = b.Seed }))
            : new PaymentFlow(new PaymentSimulator(new SimulatorOptions { Seed = b.Seed, Cards = b.Cards, Merchants = Math.Max(100, b.Cards / 10) }));
        progress(string.Create(CultureInfo.InvariantCulture, $"training the bootstrap model on {b.History:N0} events of simulated history (seed {b.Seed}, {b.Cards:N0} cards)…"));
        double reviewRate = thresholds.IsFixed ? 0.02 : thresholds.ReviewRate;
        double declineRate = thresholds.IsFixed ? 0.005 : thresholds.DeclineRate;
        BootstrapModel model = HistoryTrainer.Train(source, b.History, spec, reviewRate, declineRate);
        model.Features.Dispose(); // serve starts from empty windows: the simulated history is not the gateway's traffic
        DecisionPolicy policy = thresholds.IsFixed ? new DecisionPolicy(thresholds.Review!.Value, thresholds.Decline!.Value) : model.Policy;
        string description = string.Create(CultureInfo.InvariantCulture,
            $"v{model.Model.Version} bootstrap logistic over {model.Model.FeatureCount} features (history {b.History:N0}, seed {b.Seed}, cards {b.Cards:N0}; training AUC {(double.IsNaN(model.TrainingAuc) ? "n/a: no fraud in the history" : model.TrainingAuc.ToString("F3", CultureInfo.InvariantCulture))})");
        return new ServeModel(model.Model, policy, description);
    }

    private static ServeModel FromFile(FileModelConfig f, FeatureSpec spec, ThresholdsConfig thresholds)
    {
        const string Field = "model.path";
        ChampionModel champion;
        ModelFileFormat format;
        try
        {
            champion = ModelLoader.Load(f.Path, out format);
        }
        catch (Exception ex) when (ex is ModelFormatException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new ServeConfigException(Field, ex.Message);
        }

        if (champion.Trees is not null || champion.Logistic is not { } logistic)
        {
            throw new ServeConfigException(Field,
                $"{Path.GetFileName(f.Path)} ({format}) holds a tree ensemble; the serving pipeline scores logistic models only until the champion runtime " +
                "(logistic + trees) is wired into it. Serve an LLMODEL logistic model over the spec's features, or the bootstrap model.");
        }

        if (champion.Blend.Mode != ChampionCombination.WeightedMargin)
        {
            throw new ServeConfigException(Field, $"{Path.GetFileName(f.Path)}: blend mode {champion.Blend.Mode} needs the champion runtime; a lone logistic model uses weighted-margin.");
        }

        string[] names = Featurizer.NamesFor(FeaturePlan.Compile(spec));
        try
        {
            champion.Layout.Verify(names);
        }
        catch (ModelFormatException ex)
        {
            throw new ServeConfigException(Field, $"{Path.GetFileName(f.Path)} does not read the features the spec computes: {ex.Message}");
        }

        // margin = wL·(bias + Σ w·x) + intercept, missing (NaN) features contributing 0: a LinearScorer with scaled weights
        // and zero imputation computes exactly that (the pipeline passes no hashed keys, so the hashed table adds nothing).
        float scale = champion.Blend.LogisticWeight;
        float[] weights = [.. logistic.DenseWeights.ToArray().Select(w => w * scale)];
        var fit = new LogisticFit(weights, (scale * logistic.Bias) + champion.Blend.Intercept, new float[weights.Length]);
        var scorer = new LinearScorer(fit, f.Version);
        var policy = new DecisionPolicy(thresholds.Review!.Value, thresholds.Decline!.Value);
        return new ServeModel(scorer, policy, $"v{f.Version} logistic over {weights.Length} features from {f.Path} ({format})");
    }
}
