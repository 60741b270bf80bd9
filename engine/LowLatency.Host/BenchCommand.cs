using System.CommandLine;
using System.Globalization;
using LowLatency.Adapters.Load;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Learning;
using LowLatency.Engine.Metrics;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;
using Spectre.Console;

namespace LowLatency.Host;

/// <summary>
/// <c>lowlat bench</c>: open-loop load at fixed offered rates, latency from each event's due time to its
/// decision (coordinated-omission corrected), percentile tables, and with --out the histogram text, a JSON
/// summary and SVG plots.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var rate = CliOptions.AtLeast("--rate", "Events offered per second; 0 runs unpaced to measure the maximum throughput", 100_000, 0);
        var duration = CliOptions.Duration("--duration", "Measured time per rate", TimeSpan.FromSeconds(10));
        var warmup = CliOptions.Duration("--warmup", "Unrecorded warm-up per rate (JIT tiering, caches)", TimeSpan.FromSeconds(2));
        var topology = CliOptions.Choice("--topology", "Processing threads", Topology.SingleThread);
        var wait = CliOptions.Choice("--wait-strategy", "How idle engine threads wait", WaitStrategyKind.Yielding);
        var seed = CliOptions.AtLeast("--seed", "Simulator seed", 42, 0);
        var transport = CliOptions.Choice("--transport", "udp: a gateway client and the engine over Aeron UDP on loopback, latency until the decision is back; inproc: straight into the ring", RunTransport.Udp);
        var outDir = new Option<DirectoryInfo?>("--out") { Description = "Write latency.hgrm (HdrHistogram percentile format), summary.json and SVG plots here" }.Writable(directory: true);
        var sweep = new Option<string?>("--sweep") { Description = "Comma-separated offered rates to run one after another (e.g. 50000,100000,200000); plots p99 against load" };
        sweep.Validators.Add(r =>
        {
            string? text = r.GetValueOrDefault<string?>();
            if (text is not null && ParseRates(text) is null)
            {
                r.AddError($"--sweep: '{text}' is not a comma-separated list of positive rates.");
            }
        });
        var features = new Option<string?>("--features")
        {
            Description = "Feature spec: payments (the default, 113 features), minimal (8 card features: the pipeline issue's minimal model) or a JSON file (docs/features.md)",
        };
        var command = new Command("bench", "Measure end-to-end latency at fixed offered rates (open loop, coordinated-omission corrected).")
        {
            rate, duration, warmup, topology, wait, seed, outDir, sweep, transport, features,
        };
        var champion = new ChampionOptions();
        champion.AddTo(command);
        var reasons = CliOptions.Reasons();
        command.Options.Add(reasons);
        var learning = new LearningCliOptions(Switch.Off, "Directory the learner writes model versions to (default: a temporary directory per rate, deleted at the end)");
        learning.AddTo(command);
        command.SetAction(parse =>
        {
            var rates = parse.GetValue(sweep) is { } s ? ParseRates(s)! : [parse.GetValue(rate)];
            if (!TryFeatures(parse.GetValue(features), out FeatureSpec spec))
            {
                return 2;
            }

            var options = new PipelineOptions { Topology = parse.GetValue(topology), WaitStrategy = parse.GetValue(wait), Features = spec, Reasons = parse.GetValue(reasons) };
            if (!ChampionOptions.TryResolve(champion, parse, options.Features, out var bootstrap))
            {
                return 2;
            }

            Func<(LearningOptions Options, bool Temporary)>? learn = null;
            if (learning.Enabled(parse))
            {
                // One empty version directory per measured rate: each run learns from its own version 1.
                var given = learning.Versions(parse);
                learn = () => given is null
                    ? (learning.Resolve(parse, Path.Combine(Path.GetTempPath(), "lowlat-bench-versions-" + Guid.NewGuid().ToString("N"))), true)
                    : (learning.Resolve(parse, Path.Combine(given.FullName, "run-" + Guid.NewGuid().ToString("N")[..8])), false);
            }

            return Run(rates, parse.GetValue(duration), parse.GetValue(warmup), options, (ulong)parse.GetValue(seed), parse.GetValue(outDir), parse.GetValue(transport), bootstrap, learn);
        });
        return command;
    }

    private static long[]? ParseRates(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rates = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out rates[i]) || rates[i] <= 0)
            {
                return null;
            }
        }

        return rates.Length > 0 ? rates : null;
    }

    /// <summary>A shipped spec by name, or a spec file; prints the error and returns false when it cannot be used.</summary>
    private static bool TryFeatures(string? value, out FeatureSpec spec)
    {
        if (value is null or "payments" or "minimal")
        {
            spec = FeatureSpec.LoadDefault(value ?? "payments");
            return true;
        }

        return ReplayCommand.TryLoadSpec(new FileInfo(value), out spec);
    }

    private static int Run(long[] rates, TimeSpan duration, TimeSpan warmup, PipelineOptions options, ulong seed, DirectoryInfo? outDir, RunTransport transport, BootstrapOptions bootstrap, Func<(LearningOptions Options, bool Temporary)>? learning)
    {
        var console = AnsiConsole.Console;
        string where = options.Topology != Topology.SingleThread ? string.Empty
            : transport == RunTransport.Udp ? " (stages on the engine's network thread)" : " (at a fixed rate the stages run on the driver's thread, polled after each event; unpaced on a stage thread of their own)";
        console.MarkupLine(CultureInfo.InvariantCulture, $"[bold]lowlat bench[/]: {Markup.Escape(options.ToString())}{where}; {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        MachineNotes.Print(console);

        console.MarkupLine(transport == RunTransport.Udp ? "Transport: Aeron UDP on loopback (gateway client → engine → gateway); latency from due time to the decision back at the gateway" : "Transport: in process (straight into the ring); latency from due time to the decision");
        var simOptions = new SimulatorOptions { Seed = seed };
        var source = new PaymentFlow(new PaymentSimulator(simOptions));
        BootstrapModel model = null!;
        console.Status().Start(bootstrap.Model is null ? "Training the starting model on simulated history…" : "Calibrating thresholds on simulated history…", _ => model = HistoryTrainer.Train(source, 100_000, options.Features, bootstrap));
        console.MarkupLine(CultureInfo.InvariantCulture, $"Model v{model.Model.Version}: {Markup.Escape(model.Model.Describe())} ({Markup.Escape(model.Model.Origin)})");
        model.Features.Dispose(); // each measured run starts from empty windows (the latency of a cold store is the worse case)

        LatencyHistogram? floor = null;
        if (transport == RunTransport.Udp)
        {
            // The floor in the same run: what any request/response over loopback UDP costs here, before any protocol.
            console.Status().Start("Measuring the raw UDP ping-pong floor…", _ => floor = UdpFloor.Measure(20_000));
            var floorTable = new Table().Border(TableBorder.Rounded).Title("raw UDP ping-pong on loopback (the floor, this run)").AddColumn("percentile").AddColumn(new TableColumn("latency").RightAligned());
            foreach (var (p, micros) in LatencyReport.Percentiles(floor!))
            {
                floorTable.AddRow(p, $"{micros:F2} µs");
            }

            console.Write(floorTable);
        }

        var results = new List<(long Rate, double Achieved, LatencyHistogram Histogram)>();
        foreach (long rate in rates)
        {
            var learn = learning?.Invoke();
            using var versions = new TemporaryDirectory(learn?.Options.VersionDirectory, learn?.Temporary ?? false);
            using var run = new EngineRun(source, model, options, transport, learning: learn?.Options, driverRunsStages: rate > 0);
            var histogram = new LatencyHistogram();
            string label = rate == 0 ? "unpaced" : $"{rate:N0}/s";
            long decidedBefore = 0;
            GcTally gcBefore = default;
            console.Progress().AutoClear(true).Start(ctx =>
            {
                var task = ctx.AddTask($"{label}: warm-up", maxValue: (warmup + duration).TotalSeconds);
                run.Start(rate, warmup + duration, CancellationToken.None);
                var started = DateTime.UtcNow;
                bool measuring = false;
                while (run.IsRunning)
                {
                    Thread.Sleep(100);
                    double elapsed = (DateTime.UtcNow - started).TotalSeconds;
                    if (!measuring && elapsed >= warmup.TotalSeconds)
                    {
                        measuring = true;
                        run.Latency.GetInterval(histogram); // discard the warm-up interval
                        histogram.Reset();
                        decidedBefore = run.Pipeline.Stats.DecisionsPublished;
                        gcBefore = GcTally.Now();
                        task.Description = $"{label}: measuring";
                    }

                    task.Value = Math.Min(task.MaxValue, elapsed);
                }
            });

            var gc = GcTally.Now() - gcBefore;
            bool drained = run.Finish(TimeSpan.FromSeconds(30));
            var last = new LatencyHistogram();
            run.Latency.GetInterval(last);
            histogram.Add(last);
            if (run.Failure is not null || !drained)
            {
                console.MarkupLine($"[red]{label}: {(run.Failure is not null ? Markup.Escape(run.Failure.Message) : "the engine did not drain in 30 s")}[/]");
                return 1;
            }

            double achieved = (run.Pipeline.Stats.DecisionsPublished - decidedBefore) / duration.TotalSeconds;
            results.Add((rate, achieved, histogram));
            var table = new Table().Border(TableBorder.Rounded).Title($"{label}: {histogram.TotalCount:N0} decisions, {achieved:N0}/s achieved, driver lag max {run.Result!.Value.MaxLagNs / 1e3:N0} µs").AddColumn("percentile").AddColumn(new TableColumn("latency").RightAligned());
            if (floor is not null)
            {
                table.AddColumn(new TableColumn("× floor").RightAligned());
            }

            var floorPercentiles = floor is null ? null : LatencyReport.Percentiles(floor).ToDictionary(x => x.Label, x => x.Micros);
            foreach (var (p, micros) in LatencyReport.Percentiles(histogram))
            {
                if (floorPercentiles is null)
                {
                    table.AddRow(p, $"{micros:F2} µs");
                }
                else
                {
                    table.AddRow(p, $"{micros:F2} µs", $"{micros / floorPercentiles[p]:F2}");
                }
            }

            console.Write(table);
            // Collections pause every thread: a tail that lines up with them is the runtime's, not the engine's.
            console.MarkupLine(CultureInfo.InvariantCulture,
                $"Garbage collections while measuring (whole process): gen0 {gc.Gen0:N0}, gen1 {gc.Gen1:N0}, gen2 {gc.Gen2:N0}; paused {gc.Paused.TotalMilliseconds:N1} ms");
            if (run.Pipeline.Learning is { } l)
            {
                console.MarkupLine(CultureInfo.InvariantCulture, $"Learning on: model v{run.Pipeline.Model.Version}; {Markup.Escape(LearningSummary.DashboardLine(l, run.Pipeline.Stats))}");
            }

            if (run.GatewayPublication is { } pub)
            {
                // Refused offers stall the driver (it retries), and the stall is charged to every event due meanwhile.
                console.MarkupLine(CultureInfo.InvariantCulture,
                    $"Gateway publication: {pub.MessagesOffered:N0} offered, {pub.BackPressured:N0} back-pressured, {pub.NotConnected:N0} not connected, {pub.StatusMessagesReceived:N0} status messages, {pub.SetupsSent:N0} setups");
            }

        }

        if (outDir is not null)
        {
            Write(outDir, results, options, floor);
            console.MarkupLine($"Wrote {Markup.Escape(outDir.FullName)}: latency.hgrm, summary.json, latency.svg{(results.Count > 1 ? ", sweep.svg" : string.Empty)}");
        }

        return 0;
    }

    private static void Write(DirectoryInfo dir, List<(long Rate, double Achieved, LatencyHistogram Histogram)> results, PipelineOptions options, LatencyHistogram? floor)
    {
        dir.Create();
        string Name(long rate) => rate == 0 ? "unpaced" : $"{rate}";
        using (var writer = new StreamWriter(Path.Combine(dir.FullName, "latency.hgrm")))
        {
            results[^1].Histogram.WritePercentileDistribution(writer);
        }

        if (results.Count > 1)
        {
            foreach (var r in results)
            {
                using var writer = new StreamWriter(Path.Combine(dir.FullName, $"latency-{Name(r.Rate)}.hgrm"));
                r.Histogram.WritePercentileDistribution(writer);
            }
        }

        var summaries = results.Select(r =>
        {
            var fields = new Dictionary<string, object>
            {
                ["offered_rate"] = r.Rate, ["achieved_rate"] = Math.Round(r.Achieved), ["topology"] = options.Topology.ToString(), ["wait_strategy"] = options.WaitStrategy.ToString(),
            };
            if (floor is not null)
            {
                fields["udp_floor_p50_us"] = Math.Round(floor.ValueAtPercentile(50) / 1000.0, 2);
                fields["udp_floor_p99_us"] = Math.Round(floor.ValueAtPercentile(99) / 1000.0, 2);
                fields["udp_floor_p99_9_us"] = Math.Round(floor.ValueAtPercentile(99.9) / 1000.0, 2);
            }

            return LatencyReport.Json(r.Histogram, fields);
        });
        File.WriteAllText(Path.Combine(dir.FullName, "summary.json"), results.Count == 1 ? summaries.Single() : "[\n" + string.Join(",\n", summaries) + "\n]\n");
        File.WriteAllText(
            Path.Combine(dir.FullName, "latency.svg"),
            LatencyReport.PercentileSvg(
                $"Decision latency by percentile ({options.Topology}, {options.WaitStrategy})",
                [.. results.Select(r => new LatencySeries(r.Rate == 0 ? "unpaced" : $"{r.Rate:N0}/s", r.Histogram)), .. floor is null ? [] : new[] { new LatencySeries("raw UDP ping-pong (floor)", floor) }]));
        if (results.Count > 1)
        {
            File.WriteAllText(Path.Combine(dir.FullName, "sweep.svg"), LatencyReport.SweepSvg("Latency against offered load", [.. results.Select(r => new SweepPoint(r.Rate, r.Achieved, r.Histogram))]));
        }
    }

    /// <summary>The process's collection counts and total pause time, for the difference over the measured interval.</summary>
    private readonly record struct GcTally(int Gen0, int Gen1, int Gen2, TimeSpan Paused)
    {
        public static GcTally Now() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

        public static GcTally operator -(GcTally a, GcTally b) => new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Paused - b.Paused);
    }
}
