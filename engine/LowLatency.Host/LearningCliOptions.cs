using System.CommandLine;
using System.Globalization;
using LowLatency.Engine.Learning;

namespace LowLatency.Host;

/// <summary>On or off.</summary>
internal enum Switch
{
    /// <summary>Off.</summary>
    Off,

    /// <summary>On.</summary>
    On,
}

/// <summary>
/// The continual-learning options shared by the commands that run the pipeline: whether the learner runs, where
/// versions go, and the few policy knobs a run needs (the rest keep <see cref="Models.Lifecycle.LifecycleOptions"/>'s defaults).
/// </summary>
internal sealed class LearningCliOptions
{
    private readonly Option<Switch> _learning;
    private readonly Option<DirectoryInfo?> _versions;
    private readonly Option<long> _minLabels = CliOptions.AtLeast("--min-labels", "Labels both champion and challenger are judged on before a promotion or rollback", 2000, 10);
    private readonly Option<double> _margin = new("--promotion-margin") { Description = "Windowed AUC by which a challenger must beat the champion to be promoted", DefaultValueFactory = _ => 0.005 };
    private readonly Option<Switch> _onlineTree = CliOptions.Choice("--online-tree", "The challenger also grows an adaptive Hoeffding tree from the labels, published with each version as the champion's online tree part", Switch.On);
    private readonly Option<double> _onlineTreeWeight = new("--online-tree-weight") { Description = "Weight of the online tree's margin in the champion's combined margin", DefaultValueFactory = _ => 0.5 };
    private readonly Option<long> _joinCapacity = CliOptions.AtLeast("--join-capacity", "Decisions kept waiting for their labels (the oldest leave first)", 1 << 18, 1);

    public LearningCliOptions(Switch defaultLearning, string versionsHelp)
    {
        _learning = CliOptions.Choice("--learning", "Continual learning: labels join their decisions, a learner thread trains a challenger and promotes or rolls back versions, swapping them into the input sequence", defaultLearning);
        _versions = new Option<DirectoryInfo?>("--versions") { Description = versionsHelp };
        _margin.Validators.Add(r =>
        {
            if (CliOptions.TryGetValue(r, out double m) && !(m >= 0 && m < 1))
            {
                r.AddError($"--promotion-margin must be in [0, 1); got {m.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        _onlineTreeWeight.Validators.Add(r =>
        {
            if (CliOptions.TryGetValue(r, out double w) && !(w >= 0 && w <= 10))
            {
                r.AddError($"--online-tree-weight must be in [0, 10]; got {w.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        _joinCapacity.Validators.Add(r =>
        {
            if (CliOptions.TryGetValue(r, out long capacity) && capacity > 1 << 26)
            {
                r.AddError("--join-capacity must be at most 67108864.");
            }
        });
    }

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_learning);
        command.Options.Add(_versions);
        command.Options.Add(_minLabels);
        command.Options.Add(_margin);
        command.Options.Add(_onlineTree);
        command.Options.Add(_onlineTreeWeight);
        command.Options.Add(_joinCapacity);
    }

    /// <summary>Whether learning was asked for.</summary>
    public bool Enabled(ParseResult parse) => parse.GetValue(_learning) == Switch.On;

    /// <summary>The <c>--versions</c> directory, if given.</summary>
    public DirectoryInfo? Versions(ParseResult parse) => parse.GetValue(_versions);

    /// <summary>The learning options, writing versions to <paramref name="versionDirectory"/>.</summary>
    public LearningOptions Resolve(ParseResult parse, string versionDirectory) => Build(
        versionDirectory, (int)parse.GetValue(_minLabels), parse.GetValue(_margin), parse.GetValue(_onlineTree) == Switch.On,
        parse.GetValue(_onlineTreeWeight), (int)parse.GetValue(_joinCapacity));

    /// <summary>
    /// The learning options from the knobs the command line and <c>serve</c>'s configuration expose; the windows, checks
    /// and rollback watch grow with <paramref name="minLabels"/>, every other policy keeps its default.
    /// </summary>
    public static LearningOptions Build(string versionDirectory, int minLabels, double promotionMargin, bool onlineTree, double onlineTreeWeight, int joinCapacity)
    {
        var defaults = new Models.Lifecycle.LifecycleOptions();
        return new LearningOptions
        {
            VersionDirectory = versionDirectory,
            JoinCapacity = joinCapacity,
            Learner = new Models.Online.ChampionLearnerOptions
            {
                OnlineTree = onlineTree ? Models.Online.ChampionLearnerOptions.FraudOnlineTree : null,
                OnlineTreeWeight = onlineTreeWeight,
            },
            Lifecycle = defaults with
            {
                MinLabels = minLabels,
                Window = Math.Max(defaults.Window, minLabels),
                CheckEvery = Math.Clamp(minLabels / 4, 1, defaults.CheckEvery),
                RollbackWatch = Math.Max(defaults.RollbackWatch, minLabels),
                PromotionMargin = promotionMargin,
            },
        };
    }
}
