using System.Globalization;
using LowLatency.Adapters.Load;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models;
using LowLatency.Models.Champion;
using LowLatency.Models.Online;
using LowLatency.Models.Persistence;

namespace LowLatency.Host;

/// <summary>
/// The model <c>lowlat serve</c> scores with, and where it came from: the champion (logistic + trees, as the bootstrap
/// trains it on simulated history), or a model file (LLMODEL, XGBoost JSON, LightGBM text) whose features are exactly
/// the spec's, checked by name.
/// </summary>
internal sealed record ServeModel(ServingModel Model, DecisionPolicy Policy, string Description)
{
    /// <summary>The FTRL state behind the bootstrap model's logistic part (continual learning continues it), or null.</summary>
    public FtrlLearner? Learner { get; init; }

    /// <summary>The standardisation that FTRL state learns in, or null.</summary>
    public InputScaling? Scaling { get; init; }

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
        BootstrapModel model = HistoryTrainer.Train(source, b.History, spec, new BootstrapOptions { ReviewRate = reviewRate, DeclineRate = declineRate });
        model.Features.Dispose(); // serve starts from empty windows: the simulated history is not the gateway's traffic
        DecisionPolicy policy = thresholds.IsFixed ? new DecisionPolicy(thresholds.Review!.Value, thresholds.Decline!.Value) : model.Policy;
        string description = string.Create(CultureInfo.InvariantCulture,
            $"v{model.Model.Version} bootstrap champion ({model.Model.Champion.Blend.Mode}: logistic + {model.Model.Champion.Trees?.TreeCount ?? 0} trees) over {model.Model.DenseCount} features (history {b.History:N0}, seed {b.Seed}, cards {b.Cards:N0}; training AUC {(double.IsNaN(model.TrainingAuc) ? "n/a: no fraud in the history" : model.TrainingAuc.ToString("F3", CultureInfo.InvariantCulture))})");
        return new ServeModel(model.Model, policy, description) { Learner = model.Learner, Scaling = model.Scaling };
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

        string[] names = Featurizer.NamesFor(FeaturePlan.Compile(spec));
        try
        {
            champion.Layout.Verify(names);
        }
        catch (ModelFormatException ex)
        {
            throw new ServeConfigException(Field, $"{Path.GetFileName(f.Path)} does not read the features the spec computes: {ex.Message}");
        }

        var policy = new DecisionPolicy(thresholds.Review!.Value, thresholds.Decline!.Value);
        string parts = champion.Trees is { } t ? $"{(champion.Logistic is null ? string.Empty : "logistic + ")}{t.TreeCount} trees" : "logistic";
        return new ServeModel(new ServingModel(champion, f.Version, f.Path), policy, $"v{f.Version} {parts} over {champion.Layout.DenseCount} features from {f.Path} ({format})");
    }
}
