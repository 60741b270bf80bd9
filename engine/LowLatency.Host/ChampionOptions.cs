using System.CommandLine;
using System.Globalization;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using LowLatency.Models;
using LowLatency.Models.Persistence;
using LowLatency.Models.Training;

namespace LowLatency.Host;

/// <summary>
/// The options that choose the starting champion, shared by the commands that score: train one on simulated history
/// (<c>--combination</c>, <c>--tree-weight</c>, <c>--trees</c>, <c>--tree-depth</c>) or load one (<c>--model</c>).
/// </summary>
internal sealed class ChampionOptions
{
    private readonly Option<BootstrapCombination> _combination = CliOptions.Choice(
        "--combination", "Starting champion trained on the history: logistic, trees, blend ((1 - w)·logistic + w·trees margins) or max (the more alarmed part decides)", BootstrapCombination.Blend);

    private readonly Option<double> _treeWeight = new("--tree-weight") { Description = "w, the tree ensemble's weight in a blend, 0 to 1", DefaultValueFactory = _ => 0.5 };
    private readonly Option<long> _trees = CliOptions.AtLeast("--trees", "Boosting rounds of the starting tree ensemble", 40, 1);
    private readonly Option<long> _depth = CliOptions.AtLeast("--tree-depth", "Depth of the starting trees (at most 12)", 4, 1);
    private readonly Option<FileInfo?> _model = new("--model")
    {
        Description = "Score with this model instead of training one: our binary format (LLMODEL), XGBoost JSON or LightGBM text; its feature names must be the feature spec's, in order (the history then only warms the windows and calibrates the thresholds)",
    };

    public ChampionOptions()
    {
        _treeWeight.Validators.Add(r =>
        {
            if (CliOptions.TryGetValue(r, out double w) && !(w >= 0 && w <= 1))
            {
                r.AddError($"--tree-weight must be between 0 and 1; got {w.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        _depth.Validators.Add(r =>
        {
            if (CliOptions.TryGetValue(r, out long depth) && depth > 12)
            {
                r.AddError("--tree-depth must be at most 12.");
            }
        });
        _trees.Validators.Add(r =>
        {
            if (CliOptions.TryGetValue(r, out long trees) && trees > 10_000)
            {
                r.AddError("--trees must be at most 10000.");
            }
        });
    }

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_combination);
        command.Options.Add(_treeWeight);
        command.Options.Add(_trees);
        command.Options.Add(_depth);
        command.Options.Add(_model);
    }

    /// <summary>The model file asked for, if any.</summary>
    public FileInfo? ModelFile(ParseResult parse) => parse.GetValue(_model);

    /// <summary>
    /// The bootstrap options asked for; with <c>--model</c>, loads the file and checks its feature layout against
    /// <paramref name="spec"/>. Throws <see cref="ModelFormatException"/> or an I/O exception with a message for the user.
    /// </summary>
    public BootstrapOptions Resolve(ParseResult parse, FeatureSpec spec)
    {
        var options = new BootstrapOptions
        {
            Combination = parse.GetValue(_combination),
            TreeWeight = (float)parse.GetValue(_treeWeight),
            Trees = new GradientBoostingOptions { Trees = (int)parse.GetValue(_trees), MaxDepth = (int)parse.GetValue(_depth) },
        };
        return parse.GetValue(_model) is { } file ? options with { Model = Load(file, spec), ModelOrigin = file.Name } : options;
    }

    /// <summary>Resolves the options, printing a load or layout error (naming the option) instead of throwing; false then.</summary>
    public static bool TryResolve(ChampionOptions champion, ParseResult parse, FeatureSpec spec, out BootstrapOptions options)
    {
        try
        {
            options = champion.Resolve(parse, spec);
            return true;
        }
        catch (Exception ex) when (ex is ModelFormatException or IOException or UnauthorizedAccessException)
        {
            Spectre.Console.AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, $"[red]--model: {Spectre.Console.Markup.Escape(ex.Message)}[/]");
            options = null!;
            return false;
        }
    }

    /// <summary>Loads a model file and checks that it reads exactly the features <paramref name="spec"/> computes.</summary>
    public static Models.Champion.ChampionModel Load(FileInfo file, FeatureSpec spec)
    {
        var model = ModelLoader.Load(file.FullName, out _);
        var names = Featurizer.NamesFor(FeaturePlan.Compile(spec));
        try
        {
            model.Layout.Verify(names);
        }
        catch (ModelFormatException ex)
        {
            throw new ModelFormatException(
                $"{file.Name} does not fit the {(spec.Event == FeatureEventKind.Order ? "orders" : "payments")} feature spec ({names.Length} features: {string.Join(", ", names.Take(4))}, ...): {ex.Message} " +
                "A model must name its features as the spec does, in the same order (lowlat models inspect lists a model's names).", ex);
        }

        return model;
    }
}
