using System.CommandLine;
using System.Globalization;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Learning;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host;

/// <summary>Input formats <c>lowlat replay</c> reads.</summary>
internal enum ReplayFormat
{
    /// <summary>Decide by looking: a journal directory, a file starting with LLFRAME1, a pcap/pcapng, else CSV.</summary>
    Auto,
    /// <summary>An engine journal directory.</summary>
    Journal,
    /// <summary>Length-prefixed SBE frames (<c>lowlat gen</c>).</summary>
    Frames,
    /// <summary>A pcap or pcapng capture of Aeron UDP traffic.</summary>
    Pcap,
    /// <summary>CSV rows mapped to messages by a column-mapping file.</summary>
    Csv,
}

/// <summary>Decision output formats.</summary>
internal enum DecisionsFormat
{
    /// <summary>By the file extension: .csv is CSV, anything else binary.</summary>
    Auto,
    /// <summary>CSV rows.</summary>
    Csv,
    /// <summary>Length-prefixed SBE Decision messages.</summary>
    Binary,
}

/// <summary>
/// <c>lowlat replay</c>: the live pipeline fed from a file. With <c>--journal</c> the replay journals what it accepts
/// (it is then an engine run whose receiver is a file), takes a snapshot at every Snapshot control message, and
/// <c>--recover</c> resumes a crashed run: latest snapshot plus journal tail, then the input from where the journal ends.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Journal directory, frames file (lowlat gen), pcap/pcapng capture or CSV file" };
        var format = CliOptions.Choice("--format", "Input format", ReplayFormat.Auto);
        var map = new Option<FileInfo?>("--map") { Description = "CSV column-mapping file (JSON; see README)" };
        var speed = new Option<string>("--speed") { Description = "max (as fast as possible) or a factor of the recorded pace: 1x, 10x, 0.5x", DefaultValueFactory = _ => "max" };
        var decisions = new Option<FileInfo?>("--decisions") { Description = "Write decisions to this file" }.Writable();
        var decisionsFormat = CliOptions.Choice("--decisions-format", "Decision file format (auto: .csv is CSV, else binary SBE)", DecisionsFormat.Auto);
        var report = new Option<FileInfo?>("--report") { Description = "Write an HTML report with SVG plots" }.Writable();
        var journal = new Option<DirectoryInfo?>("--journal") { Description = "Journal accepted messages into this directory (snapshots at Snapshot control messages go beside it)" }.Writable(directory: true);
        var durability = CliOptions.Choice("--durability", "Journal durability: none, batch (msync every few ms) or syncbeforepublish", JournalDurability.None);
        var recover = new Option<bool>("--recover") { Description = "Resume a crashed run from --journal: latest snapshot + journal tail, then the input after what was journaled" };
        var stateOut = new Option<FileInfo?>("--state-out") { Description = "At the end, write the pipeline state (feature tables) to this file" }.Writable();
        var history = CliOptions.AtLeast("--history", "Transactions of simulated history the starting model is trained on", 200_000, 1_000);
        var modelSeed = CliOptions.AtLeast("--model-seed", "Simulator seed of the training history", 42, 0);
        var simCards = CliOptions.AtLeast("--sim-cards", "Cards in the training simulation", 200_000, 1_000);
        var cardCapacity = CliOptions.AtLeast("--card-capacity", "Cards the feature table holds", 1 << 20, 8);
        var topology = CliOptions.Choice("--topology", "Processing threads: single or pipelined", Topology.SingleThread);
        var features = FeaturesOption();
        var command = new Command("replay", "Feed a recorded stream (journal, frames, pcap of Aeron UDP, CSV) through the live pipeline; decisions to a file, an HTML report.")
        {
            input, format, map, speed, decisions, decisionsFormat, report, journal, durability, recover, stateOut, history, modelSeed, simCards, cardCapacity, topology, features,
        };
        CliOptions.OutputsAreNotTheInput(command, input, decisions, report, stateOut);
        var champion = new ChampionOptions();
        champion.AddTo(command);
        var reasons = CliOptions.Reasons();
        command.Options.Add(reasons);
        var learning = new LearningCliOptions(
            Switch.Off,
            "Model versions: where the learner writes them (default <journal>/versions with --journal, else a temporary directory), or where the swaps of a replayed journal find them (default <input>/versions)");
        learning.AddTo(command);
        command.SetAction(parse =>
        {
            if (!TryLoadSpec(parse.GetValue(features), out var spec) || !ChampionOptions.TryResolve(champion, parse, spec, out var bootstrap))
            {
                return 2;
            }

            var journalDir = parse.GetValue(journal);
            var versions = learning.Versions(parse);
            LearningOptions? learn = null;
            if (learning.Enabled(parse))
            {
                string dir = versions?.FullName ?? (journalDir is not null ? Path.Combine(journalDir.FullName, "versions") : Path.Combine(Path.GetTempPath(), "lowlat-versions-" + Guid.NewGuid().ToString("N")));
                learn = learning.Resolve(parse, dir);
            }

            var options = new ReplayOptions(
                parse.GetValue(input)!, parse.GetValue(format), parse.GetValue(map), parse.GetValue(speed)!, parse.GetValue(decisions), parse.GetValue(decisionsFormat),
                parse.GetValue(report), parse.GetValue(journal), parse.GetValue(durability), parse.GetValue(recover), parse.GetValue(stateOut),
                (int)parse.GetValue(history), (ulong)parse.GetValue(modelSeed), (int)parse.GetValue(simCards), (int)parse.GetValue(cardCapacity), parse.GetValue(topology))
            {
                Champion = bootstrap,
                Spec = spec,
                SpecFile = parse.GetValue(features),
                Learning = learn,
                Versions = versions,
                Reasons = parse.GetValue(reasons),
            };
            return ReplayRun.Run(options);
        });
        return command;
    }

    /// <summary>The <c>--features SPEC</c> option of the commands that run the pipeline over a recording.</summary>
    public static Option<FileInfo?> FeaturesOption() => new("--features")
    {
        Description = "Feature spec (JSON, see docs/features.md) to compute features with instead of the shipped payments spec: a what-if run with another feature set (the starting model is trained on it, or --model must name its features)",
    };

    /// <summary>Loads <paramref name="file"/> (or the shipped payments spec when null); prints the error naming the place and returns false when it is invalid.</summary>
    public static bool TryLoadSpec(FileInfo? file, out FeatureSpec spec)
    {
        spec = FeatureSpec.LoadDefault("payments");
        if (file is null)
        {
            return true;
        }

        try
        {
            spec = FeatureSpec.Parse(File.ReadAllText(file.FullName));
            if (spec.Event != FeatureEventKind.Transaction)
            {
                throw new FeatureSpecException("$.event", "replay trains its starting model on simulated payments; this spec is for orders.");
            }

            return true;
        }
        catch (Exception ex) when (ex is FeatureSpecException or IOException or UnauthorizedAccessException)
        {
            Spectre.Console.AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, $"[red]--features {Spectre.Console.Markup.Escape(file.Name)}: {Spectre.Console.Markup.Escape(ex.Message)}[/]");
            return false;
        }
    }

    /// <summary>Smallest and largest pacing factors accepted.</summary>
    public const double MinSpeed = 1e-6, MaxSpeed = 1e6;

    /// <summary>Parses "max", "1x", "10x", "2.5" into a factor (0 = max); false when invalid.</summary>
    public static bool TryParseSpeed(string text, out double factor)
    {
        factor = 0;
        text = text.Trim();
        if (text.Equals("max", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (text.EndsWith('x') || text.EndsWith('X'))
        {
            text = text[..^1];
        }

        // 1e-6x already turns a recorded second into eleven days; below that the pacing arithmetic would overflow.
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out factor) && factor is >= MinSpeed and <= MaxSpeed;
    }
}

/// <summary>Everything <c>lowlat replay</c> was asked to do.</summary>
internal sealed record ReplayOptions(
    string Input, ReplayFormat Format, FileInfo? Map, string Speed, FileInfo? Decisions, DecisionsFormat DecisionsFormat, FileInfo? Report,
    DirectoryInfo? Journal, JournalDurability Durability, bool Recover, FileInfo? StateOut, int History, ulong ModelSeed, int SimCards, int CardCapacity, Topology Topology)
{
    /// <summary>How the scoring champion is trained on the history, or the model file that replaces it.</summary>
    public BootstrapOptions Champion { get; init; } = new();

    /// <summary>The feature spec (before <see cref="CardCapacity"/> caps its tables); null = the shipped payments spec.</summary>
    public FeatureSpec? Spec { get; init; }

    /// <summary>Where <see cref="Spec"/> came from (null: shipped).</summary>
    public FileInfo? SpecFile { get; init; }

    /// <summary>Continual learning during the replay (versions written to its directory), or null when off.</summary>
    public LearningOptions? Learning { get; init; }

    /// <summary>The <c>--versions</c> directory given (without learning: where the input's swaps find their models).</summary>
    public DirectoryInfo? Versions { get; init; }

    /// <summary>Which decisions carry reason codes (a journal replays byte for byte with the recorded run's setting).</summary>
    public ReasonCodes Reasons { get; init; } = ReasonCodes.Flagged;
}
