using System.CommandLine;
using System.Globalization;
using LowLatency.Adapters.Files;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using Spectre.Console;

namespace LowLatency.Host;

/// <summary><c>lowlat features export</c>: a point-in-time-correct training set from a recorded stream, computed by the pipeline itself.</summary>
internal static class FeaturesCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "Journal directory, frames file, pcap/pcapng capture or CSV file" };
        var output = new Option<FileInfo>("--out") { Description = "Training set CSV to write", Required = true }.Writable();
        var format = CliOptions.Choice("--format", "Input format", ReplayFormat.Auto);
        var map = new Option<FileInfo?>("--map") { Description = "CSV column-mapping file (for CSV input)" };
        var history = CliOptions.AtLeast("--history", "Transactions of simulated history the scoring model (score column) is trained on", 200_000, 1_000);
        var modelSeed = CliOptions.AtLeast("--model-seed", "Simulator seed of the training history", 42, 0);
        var simCards = CliOptions.AtLeast("--sim-cards", "Cards in the training simulation", 200_000, 1_000);
        var cardCapacity = CliOptions.AtLeast("--card-capacity", "Cards the feature table holds", 1 << 20, 8);
        var features = ReplayCommand.FeaturesOption();
        var export = new Command("export", "Write each transaction's features as they were just before it (computed by the live pipeline code), with its label joined by txId, as CSV.")
        {
            input, output, format, map, history, modelSeed, simCards, cardCapacity, features,
        };
        CliOptions.OutputsAreNotTheInput(export, input, output);
        var champion = new ChampionOptions();
        champion.AddTo(export);
        export.SetAction(parse => ReplayCommand.TryLoadSpec(parse.GetValue(features), out var spec) && ChampionOptions.TryResolve(champion, parse, spec, out var bootstrap)
            ? Export(
                new ReplayOptions(parse.GetValue(input)!, parse.GetValue(format), parse.GetValue(map), "max", null, DecisionsFormat.Auto, null, null, default, false, null,
                    (int)parse.GetValue(history), (ulong)parse.GetValue(modelSeed), (int)parse.GetValue(simCards), (int)parse.GetValue(cardCapacity), Topology.SingleThread) { Spec = spec, Champion = bootstrap },
                parse.GetValue(output)!)
            : 2);
        return new Command("features", "Feature tooling.") { export };
    }

    private static int Export(ReplayOptions o, FileInfo output)
    {
        var console = AnsiConsole.Console;
        IMessageSource source;
        try
        {
            source = ReplayRun.OpenSource(o);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or FormatException)
        {
            console.MarkupLine(CultureInfo.InvariantCulture, $"[red]{Markup.Escape(ex.Message)}[/]");
            return 1;
        }

        using var sourceScope = source;
        var simulator = new PaymentSimulator(new SimulatorOptions { Seed = o.ModelSeed, Cards = o.SimCards, Merchants = Math.Max(100, o.SimCards / 10) });
        FeatureSpec spec = (o.Spec ?? FeatureSpec.LoadDefault("payments")).WithMaxCapacity(o.CardCapacity);
        var model = HistoryTrainer.Train(simulator, o.History, spec, o.Champion);
        model.Features.Dispose(); // the export starts from empty windows, like the replay it mirrors
        using var writer = new TrainingSetWriter(Featurizer.NamesFor(FeaturePlan.Compile(spec)));
        using (var pipeline = new ScoringPipeline<TrainingSetSink>(new PipelineOptions { Features = spec, Reasons = ReasonCodes.None, ScoreInGroups = true }, model.Model, model.Policy, new TrainingSetSink(writer)))
        {
            pipeline.Start();
            var result = new ReplayDriver(0).Run(source, pipeline);
            if (!pipeline.DrainAndStop(TimeSpan.FromMinutes(5)))
            {
                console.MarkupLine("[red]The pipeline did not drain within 5 minutes.[/]");
                return 1;
            }

            console.MarkupLine(CultureInfo.InvariantCulture, $"Computed features for {writer.Rows:N0} transactions from {result.Messages:N0} messages ({writer.LabelsSeen:N0} labels), {source.Malformed:N0} malformed input records");
            ReplayRun.PrintFirstMalformed(console, source);
        }

        bool damaged = ReplayRun.ReportDamage(console, source);

        output.Directory?.Create();
        using (var text = new StreamWriter(output.FullName))
        {
            writer.WriteCsv(text);
        }

        console.MarkupLine(CultureInfo.InvariantCulture, $"Wrote {Markup.Escape(output.FullName)}");
        return damaged ? ReplayRun.DamagedInputExit : 0;
    }
}
