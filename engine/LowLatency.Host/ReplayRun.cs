using System.Diagnostics;
using System.Globalization;
using LowLatency.Adapters.Files;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Learning;
using LowLatency.Engine.Pipeline;
using Spectre.Console;

namespace LowLatency.Host;

/// <summary>The work of <c>lowlat replay</c>, separate from its option plumbing.</summary>
internal static class ReplayRun
{
    public static int Run(ReplayOptions o)
    {
        var console = AnsiConsole.Console;
        if (!ReplayCommand.TryParseSpeed(o.Speed, out double speed))
        {
            console.MarkupLine(CultureInfo.InvariantCulture, $"[red]--speed: '{Markup.Escape(o.Speed)}' is not max or a factor from {ReplayCommand.MinSpeed.ToString("0.######", CultureInfo.InvariantCulture)}x to {ReplayCommand.MaxSpeed.ToString("0", CultureInfo.InvariantCulture)}x, such as 1x or 10x.[/]");
            return 2;
        }

        if (o.Recover && o.Journal is null)
        {
            console.MarkupLine("[red]--recover needs --journal (the journal to recover from).[/]");
            return 2;
        }

        if (o.Journal is not null && Path.GetFullPath(o.Input).TrimEnd(Path.DirectorySeparatorChar) == o.Journal.FullName.TrimEnd(Path.DirectorySeparatorChar))
        {
            console.MarkupLine("[red]--journal names the journal being replayed; journal into another directory.[/]");
            return 2;
        }

        if (o.Learning is not null && o.Recover)
        {
            console.MarkupLine("[red]--learning on cannot resume with --recover: a recovered run replays the journal's swaps with learning off.[/]");
            return 2;
        }

        IMessageSource source;
        try
        {
            source = OpenSource(o);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or FormatException)
        {
            console.MarkupLine(CultureInfo.InvariantCulture, $"[red]{Markup.Escape(ex.Message)}[/]");
            return 1;
        }

        using var sourceScope = source;
        var input = source; // the source as opened: a recovery wraps it in a SkipSource below
        var simulator = new PaymentSimulator(new SimulatorOptions { Seed = o.ModelSeed, Cards = o.SimCards, Merchants = Math.Max(100, o.SimCards / 10) });
        FeatureSpec spec = (o.Spec ?? FeatureSpec.LoadDefault("payments")).WithMaxCapacity(o.CardCapacity);
        BootstrapModel model = HistoryTrainer.Train(simulator, o.History, spec, o.Champion);
        model.Features.Dispose(); // a replay starts from empty windows (or from a recovered snapshot)
        string origin = o.Champion.Model is null
            ? $"bootstrap {o.Champion.Combination.ToString().ToLowerInvariant()} model-seed={o.ModelSeed} sim-cards={o.SimCards} history={o.History}"
            : $"model {o.Champion.ModelOrigin}, thresholds from model-seed={o.ModelSeed} sim-cards={o.SimCards} history={o.History}";
        if (o.SpecFile is not null)
        {
            origin += $" features={o.SpecFile.Name}";
        }

        // Trees scored across events in groups: the same decisions, more of them per second (see PipelineOptions.ScoreInGroups).
        var options = new PipelineOptions { Topology = o.Topology, Features = spec, Reasons = o.Reasons, ScoreInGroups = o.Topology == Topology.SingleThread };
        console.MarkupLine(CultureInfo.InvariantCulture, $"Replaying {Markup.Escape(source.Description)} at {(speed == 0 ? "max speed" : $"{speed}x")}; engine: {Markup.Escape(options.ToString())}");
        console.MarkupLine(CultureInfo.InvariantCulture, $"Model v{model.Model.Version}: {Markup.Escape(model.Model.Describe())} over {model.Model.DenseCount} features ({Markup.Escape(origin)})");

        DecisionLog? log = null;
        if (o.Decisions is not null)
        {
            var fmt = o.DecisionsFormat switch
            {
                DecisionsFormat.Csv => DecisionLogFormat.Csv,
                DecisionsFormat.Binary => DecisionLogFormat.Binary,
                _ => o.Decisions.Extension.Equals(".csv", StringComparison.OrdinalIgnoreCase) ? DecisionLogFormat.Csv : DecisionLogFormat.Binary,
            };
            o.Decisions.Directory?.Create();
            log = new DecisionLog(new FileStream(o.Decisions.FullName, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), fmt);
        }

        var recorder = o.Report is null ? null : new ReplayRecorder();
        JournalWriter? journal = null;
        ReplayResult result;
        FileStream? recoveredState = null;
        bool damaged;
        try
        {
            if (o.Journal is not null)
            {
                journal = JournalWriter.Open(new JournalOptions { Directory = o.Journal.FullName, Durability = o.Durability });
                if (journal.Recovery.TruncatedBytes > 0)
                {
                    console.MarkupLine(CultureInfo.InvariantCulture, $"[yellow]Journal tail repaired: {journal.Recovery.TruncatedBytes:N0} bytes cut ({Markup.Escape(journal.Recovery.TruncationReason ?? string.Empty)})[/]");
                }

                if (!o.Recover && journal.NextSequence > 0)
                {
                    console.MarkupLine(CultureInfo.InvariantCulture, $"[yellow]{Markup.Escape(o.Journal.FullName)} already holds {journal.NextSequence:N0} records: this run's are appended after them (--recover resumes a crashed run instead).[/]");
                }

                if (o.Recover)
                {
                    string versionsDir = o.Versions?.FullName ?? Path.Combine(o.Journal.FullName, "versions");

                    // The recovered state passes through a file beside the journal, deleted when closed: with the default
                    // tables it is gigabytes, more than a byte array holds.
                    recoveredState = new FileStream(
                        Path.Combine(o.Journal.FullName, $".recovered-state-{Environment.ProcessId}.tmp"),
                        FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
                    var recovery = EngineRecovery.Recover(o.Journal.FullName, journal, options, model.Model, model.Policy, log, recoveredState, versionsDir);
                    console.MarkupLine(CultureInfo.InvariantCulture,
                        $"Recovered from {(recovery.Snapshot is null ? "no snapshot" : Markup.Escape(Path.GetFileName(recovery.Snapshot)))} + {recovery.TailMessages:N0} journaled messages; resuming the input at message {recovery.NextSequence:N0}");
                    foreach (var why in recovery.RejectedSnapshots)
                    {
                        console.MarkupLine(CultureInfo.InvariantCulture, $"[yellow]Snapshot skipped: {Markup.Escape(why)}[/]");
                    }

                    source = new SkipSource(source, recovery.NextSequence);
                }
            }

            var attachment = journal is null ? null : new JournalAttachment<SbeJournalEncoder>(journal, default);
            var learning = o.Learning;
            using var pipeline = new ScoringPipeline<ReplaySink>(
                options, model.Model, model.Policy, new ReplaySink(log, recorder), beside: attachment,
                learning: learning is null ? null : registry => new OnlineLearning(learning, model.Model, model.Learner, model.Scaling, registry));
            if (recoveredState is not null)
            {
                recoveredState.Position = 0;
                pipeline.ReadState(recoveredState);
                recoveredState.Dispose();
                recoveredState = null;
            }

            if (learning is not null)
            {
                console.MarkupLine(CultureInfo.InvariantCulture, $"Learning on: versions in {Markup.Escape(learning.VersionDirectory)}");
            }
            else if ((o.Versions?.FullName ?? DefaultVersions(o)) is { } versionsDir && Directory.Exists(versionsDir))
            {
                // A journal recorded with learning on names the versions its swaps put in force: score with exactly those.
                var (loaded, conflicting) = pipeline.Models.AddFrom(versionsDir);
                console.MarkupLine(CultureInfo.InvariantCulture, $"Model versions from {Markup.Escape(versionsDir)}: {loaded} loaded{(conflicting > 0 ? $", {conflicting} differing from this run's model under the same number" : string.Empty)}");
            }

            if (journal is not null)
            {
                var swap = new ModelSwapRecord(model.Model.Version, model.Model.Fingerprint, origin);
                Span<byte> buffer = stackalloc byte[512];
                journal.Append(JournalRecordType.ModelSwap, journal.NextSequence, (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100, buffer[..swap.Encode(buffer)]);
                long journalBase = journal.NextSequence;
                string dir = o.Journal!.FullName;
                pipeline.SnapshotRequested = ringSequence => EngineSnapshots.Write(dir, journalBase + ringSequence, pipeline.WriteState);
            }

            pipeline.Start();
            var driver = new ReplayDriver(speed);
            // Timed to the last decision: the rate printed is the pipeline's, not how fast the ring took the input.
            ReplayResult? drained = WithProgress(console, source, p => driver.RunAndDrain(source, pipeline, TimeSpan.FromMinutes(5), default, p));
            if (drained is null)
            {
                console.MarkupLine("[red]The pipeline did not drain within 5 minutes.[/]");
                return 1;
            }

            result = drained;

            if (o.StateOut is not null)
            {
                using var file = new FileStream(o.StateOut.FullName, FileMode.Create, FileAccess.Write);
                pipeline.WriteState(file);
            }

            var stats = pipeline.Stats;
            console.MarkupLine(CultureInfo.InvariantCulture,
                $"Replayed {result.Messages:N0} messages in {result.Elapsed.TotalSeconds:F2} s ({result.MessagesPerSecond:N0}/s): {stats.DecisionsPublished:N0} decisions, {stats.Rejected:N0} rejected ({result.DecodeRejects:N0} undecodable), {source.Malformed:N0} malformed input records");
            PrintFirstMalformed(console, input);
            damaged = ReportDamage(console, input);
            if (result.ModelSwaps > 0 || stats.ModelSwaps > 0)
            {
                console.MarkupLine(CultureInfo.InvariantCulture, $"Model swaps: {result.ModelSwaps:N0} in the input, {stats.ModelSwaps:N0} put in force; scoring ended with v{pipeline.Model.Version}");
            }

            if (stats.SwapsRefused > 0)
            {
                console.MarkupLine(CultureInfo.InvariantCulture, $"[yellow]{stats.SwapsRefused} model-swap record(s) name a model other than the ones scoring this replay: decisions will differ from the recording{(o.Champion.Model is not null || o.SpecFile is not null ? " (a what-if run with --model/--features)" : " (give the recording's versions with --versions)")}.[/]");
            }

            if (pipeline.Learning is { } l)
            {
                LearningSummary.Print(console, l, stats);
            }

            if (recorder is not null)
            {
                o.Report!.Directory?.Create();
                File.WriteAllText(o.Report.FullName, ReplayReport.Html(recorder, source.Description, result, stats));
                console.MarkupLine(CultureInfo.InvariantCulture, $"Report: {Markup.Escape(o.Report.FullName)}");
            }
        }
        finally
        {
            recoveredState?.Dispose();
            log?.Dispose();
            journal?.Dispose();
        }

        return damaged ? DamagedInputExit : 0;
    }

    /// <summary>Exit code of a replay or export whose input could not be read to its end (what was read was processed).</summary>
    public const int DamagedInputExit = 3;

    /// <summary>
    /// Prints where the input could not be read to its end, and what a capture skipped (<paramref name="source"/>: the source
    /// as opened, not a recovery's wrapper); true when the input was damaged
    /// (the run then exits with <see cref="DamagedInputExit"/>: a replay that silently stopped early would look complete).
    /// </summary>
    public static bool ReportDamage(IAnsiConsole console, IMessageSource source)
    {
        foreach (string where in source.Damage)
        {
            console.MarkupLine(CultureInfo.InvariantCulture, $"[red]Input damaged: {Markup.Escape(where.TrimEnd('.'))}.[/]");
        }

        if (source is PcapSource pcap && (pcap.Skipped.NotUdp > 0 || pcap.Skipped.TruncatedOrFragment > 0))
        {
            console.MarkupLine(CultureInfo.InvariantCulture, $"Capture packets passed over: {pcap.Skipped.NotUdp:N0} not UDP, {pcap.Skipped.TruncatedOrFragment:N0} truncated or fragmented UDP");
        }

        return source.Damage.Count > 0;
    }

    /// <summary>Why the first malformed input record was refused, when the source keeps it (a CSV row: line, column, value).</summary>
    internal static void PrintFirstMalformed(IAnsiConsole console, IMessageSource source)
    {
        if (source is CsvSource { FirstError: { } reason })
        {
            console.MarkupLine(CultureInfo.InvariantCulture, $"[yellow]first malformed record: {Markup.Escape(reason)}[/]");
        }
    }

    /// <summary>The versions directory of a journal input (<c>INPUT/versions</c>), or null for other inputs.</summary>
    private static string? DefaultVersions(ReplayOptions o) =>
        Directory.Exists(o.Input) && JournalReader.IsJournal(o.Input) ? Path.Combine(o.Input, "versions") : null;

    internal static IMessageSource OpenSource(ReplayOptions o)
    {
        var format = o.Format;
        if (format == ReplayFormat.Auto)
        {
            format = JournalReader.IsJournal(o.Input) ? ReplayFormat.Journal
                : FramesSource.IsFrames(o.Input) ? ReplayFormat.Frames
                : PcapSource.IsCapture(o.Input) ? ReplayFormat.Pcap
                : ReplayFormat.Csv;
        }

        if (!File.Exists(o.Input) && !Directory.Exists(o.Input))
        {
            throw new ArgumentException($"{o.Input} does not exist.");
        }

        return format switch
        {
            ReplayFormat.Journal => new JournalSource(o.Input),
            ReplayFormat.Frames => new FramesSource(o.Input),
            ReplayFormat.Pcap => new PcapSource(o.Input),
            _ => o.Map is null
                ? throw new ArgumentException(o.Format == ReplayFormat.Csv
                    ? $"reading {o.Input} as CSV needs a column mapping: give --map."
                    : $"{o.Input} is not a journal, frames file or capture; to read it as CSV, give a column mapping with --map.")
                : new CsvSource(o.Input, CsvMapping.Load(o.Map.FullName)),
        };
    }

    private static T WithProgress<T>(IAnsiConsole console, IMessageSource source, Func<Action<double>, T> run)
    {
        if (console.Profile.Capabilities.Interactive)
        {
            T result = default!;
            console.Progress().Start(ctx =>
            {
                var task = ctx.AddTask("Replaying", maxValue: 1.0);
                result = run(p => task.Value = p);
                task.Value = 1.0;
            });
            return result;
        }

        // Plain progress for logs and pipes: a line every 10 %.
        int lastDecile = 0;
        var clock = Stopwatch.StartNew();
        return run(p =>
        {
            int decile = (int)(p * 10);
            if (decile > lastDecile && decile < 10)
            {
                lastDecile = decile;
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {decile * 10}% after {clock.Elapsed.TotalSeconds:F1} s"));
            }
        });
    }
}
