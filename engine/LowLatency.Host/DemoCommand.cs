using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using LowLatency.Adapters.Load;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Learning;
using LowLatency.Engine.Metrics;
using LowLatency.Engine.Pipeline;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LowLatency.Host;

/// <summary><c>lowlat demo</c>: the gateway simulator and the engine in one process, a live dashboard, a summary.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var duration = CliOptions.Duration("--duration", "How long to stream", TimeSpan.FromSeconds(30));
        var rate = CliOptions.AtLeast("--rate", "Events offered per second (open loop)", 50_000, 1);
        var seed = CliOptions.AtLeast("--seed", "Simulator seed: same seed, same stream", 42, 0);
        var cards = CliOptions.AtLeast("--cards", "Cards in the simulated population", 200_000, 1_000);
        var topology = CliOptions.Choice("--topology", "Processing threads: single (one thread runs every stage) or pipelined", Topology.SingleThread);
        var wait = CliOptions.Choice("--wait-strategy", "How idle engine threads wait", WaitStrategyKind.Yielding);
        var flow = CliOptions.Choice("--flow", "Which flow to simulate and score: payments (fraud) or orders (spoofing)", DemoFlow.Payments);
        var transport = CliOptions.Choice("--transport", "udp: the simulated gateway talks to the engine over Aeron UDP on loopback; inproc: straight into the ring (the orders flow always runs in process)", RunTransport.Udp);
        var command = new Command("demo", "Run the engine against its built-in gateway simulator with a live dashboard (no configuration needed).")
        {
            duration, rate, seed, cards, topology, wait, flow, transport,
        };
        var champion = new ChampionOptions();
        champion.AddTo(command);
        var reasons = CliOptions.Reasons();
        command.Options.Add(reasons);
        var learning = new LearningCliOptions(Switch.On, "Directory the learner writes model versions to (default: a temporary directory, deleted at the end)");
        learning.AddTo(command);
        command.SetAction(parse =>
        {
            DemoFlow f = parse.GetValue(flow);
            int population = (int)parse.GetValue(cards);
            var options = new PipelineOptions
            {
                Topology = parse.GetValue(topology), WaitStrategy = parse.GetValue(wait), Reasons = parse.GetValue(reasons),
                Features = f == DemoFlow.Orders ? FeatureSpec.LoadDefault("orders") : DemoFeatures(population),
            };
            if (!ChampionOptions.TryResolve(champion, parse, options.Features, out var bootstrap))
            {
                return 2;
            }

            string? temporary = null;
            LearningOptions? learn = null;
            if (learning.Enabled(parse))
            {
                string dir = learning.Versions(parse)?.FullName ?? (temporary = Path.Combine(Path.GetTempPath(), "lowlat-demo-versions-" + Guid.NewGuid().ToString("N")));
                learn = learning.Resolve(parse, dir);
            }

            try
            {
                return Run(parse.GetValue(duration), parse.GetValue(rate), (ulong)parse.GetValue(seed), population, f, options, parse.GetValue(transport), bootstrap, learn);
            }
            finally
            {
                if (temporary is not null && Directory.Exists(temporary))
                {
                    Directory.Delete(temporary, recursive: true);
                }
            }
        });
        return command;
    }

    /// <summary>The shipped payments spec, its tables sized for the simulated population rather than for a million cards.</summary>
    internal static FeatureSpec DemoFeatures(int cards) =>
        FeatureSpec.LoadDefault("payments").WithMaxCapacity((int)Math.Min(1 << 20, BitOperations.RoundUpToPowerOf2((uint)Math.Max(1 << 14, cards * 4))));

    private static int Run(TimeSpan duration, long rate, ulong seed, int cards, DemoFlow flow, PipelineOptions options, RunTransport transport, BootstrapOptions bootstrap, LearningOptions? learning)
    {
        var console = AnsiConsole.Console;
        console.Write(new Rule(flow == DemoFlow.Orders ? "[bold]LowLatency demo — orders flow[/]" : "[bold]LowLatency demo[/]").LeftJustified());
        console.MarkupLine(CultureInfo.InvariantCulture, $"Engine: {Markup.Escape(options.ToString())}; {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        MachineNotes.Print(console);

        IFlowSource source;
        string what;
        if (flow == DemoFlow.Orders)
        {
            var orderOptions = new OrderSimulatorOptions { Seed = seed };
            console.MarkupLine(CultureInfo.InvariantCulture, $"Simulator: seed {seed}, {orderOptions.Accounts:N0} accounts, {orderOptions.Instruments:N0} instruments, {orderOptions.Venues} venues; algorithmic bursts, and spoofing episodes (large layers behind the touch, a fill on the far side, the layers cancelled) with ground truth");
            source = new OrderFlow(new OrderSimulator(orderOptions));
            what = "orders";
        }
        else
        {
            var simOptions = new SimulatorOptions { Seed = seed, Cards = cards, Merchants = Math.Max(100, cards / 10) };
            console.MarkupLine(CultureInfo.InvariantCulture, $"Simulator: seed {seed}, {cards:N0} cards, {simOptions.Merchants:N0} merchants; volume spike at {simOptions.SpikeAt.TotalMinutes:F0} min and a new fraud pattern at {simOptions.DriftAt.TotalMinutes:F0} min of simulated time");
            source = new PaymentFlow(new PaymentSimulator(simOptions));
            what = "transactions";
        }

        const int History = 200_000;
        BootstrapModel model = null!;
        string task = bootstrap.Model is null ? $"Training the starting model on {History:N0} {what} of simulated history…" : $"Warming the feature windows on {History:N0} {what} of simulated history…";
        console.Status().Start(task, _ => model = HistoryTrainer.Train(source, History, options.Features, bootstrap));
        string trained = bootstrap.Model is null ? "trained on" : $"loaded from {bootstrap.ModelOrigin}, thresholds calibrated on";
        console.MarkupLine(CultureInfo.InvariantCulture,
            $"Model v{model.Model.Version}: {Markup.Escape(model.Model.Describe())} over {model.Features.Count} features ({model.Features.Store.Plan.TotalBytes / (1 << 20):N0} MiB of rolling windows for {options.Features.Entities.Count} entity types), {trained} {model.Transactions:N0} {what} ({model.Frauds:N0} {(flow == DemoFlow.Orders ? "spoofing" : "fraud")}), training AUC {model.TrainingAuc:F3}; review at score ≥ {model.Policy.Review:F3}, decline at ≥ {model.Policy.Decline:F3}");

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            if (flow == DemoFlow.Orders && transport == RunTransport.Udp)
            {
                transport = RunTransport.InProc; // the gateway client publishes payments only
            }

            using var run = new EngineRun(source, model, options, transport, model.Features, learning);
            if (learning is not null)
            {
                console.MarkupLine(CultureInfo.InvariantCulture, $"Learning: labels join their decisions; a learner thread trains a challenger (FTRL on the logistic part, leaf refit on the trees) and promotes it when its windowed AUC beats the champion's by {learning.Lifecycle.PromotionMargin} over {learning.Lifecycle.MinLabels:N0} labels; versions in {Markup.Escape(learning.VersionDirectory)}");
            }

            console.MarkupLine(transport == RunTransport.Udp ? "Transport: Aeron UDP on loopback — gateway client ↔ engine; latency is until the decision is back at the gateway" : "Transport: in process");
            // The summary's percentiles leave out the first seconds (JIT tiering, the gateway connecting, the windows and
            // caches warming): they describe the steady run. The whole run's p99 and max are shown beside them.
            var warmup = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(2).Ticks, duration.Ticks / 5));
            var total = new LatencyHistogram();
            var whole = new LatencyHistogram();
            var interval = new LatencyHistogram();
            var clock = Stopwatch.StartNew();
            run.Start(rate, duration, cancel.Token);
            long lastDecisions = 0;
            double lastSeconds = 0;
            var refresh = TimeSpan.FromMilliseconds(500);

            IRenderable Frame()
            {
                run.Latency.GetInterval(interval);
                whole.Add(interval);
                double seconds = clock.Elapsed.TotalSeconds;
                if (lastSeconds >= warmup.TotalSeconds)
                {
                    total.Add(interval); // an interval that began after the warm-up
                }

                long decisions = run.Tally.Decisions;
                double throughput = (decisions - lastDecisions) / Math.Max(1e-3, seconds - lastSeconds);
                (lastDecisions, lastSeconds) = (decisions, seconds);
                return Dashboard(run, interval, throughput, seconds, duration);
            }

            if (console.Profile.Capabilities.Interactive)
            {
                console.Live(Frame()).Start(ctx =>
                {
                    while (run.IsRunning)
                    {
                        Thread.Sleep(refresh);
                        ctx.UpdateTarget(Frame());
                    }
                });
            }
            else
            {
                // Redirected output (CI, a pipe): one plain line every two seconds instead of a redrawn screen.
                while (run.IsRunning)
                {
                    Thread.Sleep(2 * refresh);
                    Frame();
                    var s = run.Pipeline.Stats;
                    console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{clock.Elapsed.TotalSeconds,5:F1}s  {lastDecisions:N0} decisions  p50 {interval.ValueAtPercentile(50) / 1e3:F1} µs  p99 {interval.ValueAtPercentile(99) / 1e3:F1} µs  declined {s.Declined:N0}  fraud caught {run.Tally.FraudCaught:N0}/{run.Tally.Fraud:N0}  model v{run.Pipeline.Model.Version}"));
                }
            }

            bool drained = run.Finish(TimeSpan.FromSeconds(30));
            run.Latency.GetInterval(interval);
            total.Add(interval);
            whole.Add(interval);
            if (run.Failure is not null)
            {
                console.MarkupLine($"[red]The load driver failed:[/] {Markup.Escape(run.Failure.Message)}");
                return 1;
            }

            Summary(console, run, total.TotalCount > 0 ? total : whole, whole, total.TotalCount > 0 ? warmup : TimeSpan.Zero, clock.Elapsed, drained, cancel.IsCancellationRequested);
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static Table Dashboard(EngineRun run, LatencyHistogram interval, double throughput, double seconds, TimeSpan duration)
    {
        var s = run.Pipeline.Stats;
        var t = run.Tally;
        string simTime = run.Source.SimulatedElapsed.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]LowLatency[/] — {seconds:F0}s of {duration.TotalSeconds:F0}s").HideHeaders();
        table.AddColumn("what").AddColumn("value");
        table.AddRow("Throughput", $"{throughput:N0} decisions/s");
        table.AddRow("Latency (last 0.5 s)", $"p50 {Us(interval.ValueAtPercentile(50))}  p99 {Us(interval.ValueAtPercentile(99))}  p99.9 {Us(interval.ValueAtPercentile(99.9))}  max {Us(interval.Max)}");
        table.AddRow("Decisions", $"[green]approve {s.Approved:N0}[/]  [yellow]review {s.Reviewed:N0}[/]  [red]decline {s.Declined:N0}[/]");
        table.AddRow(run.Source.Flow == FeatureEventKind.Order ? "Spoofing flagged" : "Fraud caught", $"{t.FraudCaught:N0} of {t.Fraud:N0} ({Pct(t.FraudCaught, t.Fraud)})");
        table.AddRow("False positives", $"{t.GenuineDeclined:N0} genuine declined, {t.GenuineReviewed:N0} genuine sent to review");
        table.AddRow("Labels received", $"{s.LabelsIn:N0}");
        table.AddRow("Model", run.Pipeline.Learning is { } learning
            ? $"v{run.Pipeline.Model.Version} — {Markup.Escape(LearningSummary.DashboardLine(learning, s))}"
            : $"v{run.Pipeline.Model.Version} (learning off)");
        table.AddRow("Rejects", $"{s.Rejected:N0}");
        table.AddRow("Simulated clock", $"≈{simTime} after start");
        return table;
    }

    private static void Summary(IAnsiConsole console, EngineRun run, LatencyHistogram total, LatencyHistogram whole, TimeSpan warmup, TimeSpan elapsed, bool drained, bool cancelled)
    {
        var s = run.Pipeline.Stats;
        var t = run.Tally;
        var r = run.Result!.Value;
        console.Write(new Rule("[bold]Summary[/]").LeftJustified());
        if (cancelled)
        {
            console.MarkupLine("[yellow]Stopped early (Ctrl-C); figures cover what ran.[/]");
        }

        if (!drained)
        {
            console.MarkupLine("[red]The engine did not drain within 30 s; some published events were not decided.[/]");
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        bool orders = run.Source.Flow == FeatureEventKind.Order;
        table.AddRow(orders ? "Orders decided" : "Transactions decided", $"{s.DecisionsPublished:N0}");
        table.AddRow("Labels received", $"{s.LabelsIn:N0}");
        // Like for like: messages offered (transactions and labels) over the drive, messages the engine finished over the
        // whole run (the drive plus the drain).
        table.AddRow("Messages offered / processed", $"{(r.Transactions + r.Labels) / r.Elapsed.TotalSeconds:N0} / {(s.DecisionsPublished + s.LabelsIn) / elapsed.TotalSeconds:N0} per s");
        string after = warmup > TimeSpan.Zero ? string.Create(CultureInfo.InvariantCulture, $" (after the first {warmup.TotalSeconds:0.#} s)") : string.Empty;
        foreach (var (label, micros) in LatencyReport.Percentiles(total))
        {
            table.AddRow($"Latency {label}{after}", $"{micros:F1} µs");
        }

        if (warmup > TimeSpan.Zero)
        {
            table.AddRow("Latency p99 / max, whole run (warm-up included)", $"{whole.ValueAtPercentile(99) / 1e3:F1} / {whole.Max / 1e3:F1} µs");
        }

        table.AddRow("Approve / review / decline", $"{s.Approved:N0} / {s.Reviewed:N0} / {s.Declined:N0}");
        table.AddRow(orders ? "Spoofing messages flagged (review or decline)" : "Fraud caught (review or decline)", $"{t.FraudCaught:N0} of {t.Fraud:N0} ({Pct(t.FraudCaught, t.Fraud)})");
        table.AddRow("Genuine declined (false positives)", $"{t.GenuineDeclined:N0} ({Pct(t.GenuineDeclined, t.Decisions - t.Fraud)} of genuine)");
        table.AddRow("Genuine sent to review", $"{t.GenuineReviewed:N0}");
        table.AddRow("Rejected inputs", $"{s.Rejected:N0}");
        table.AddRow("Model version", $"v{run.Pipeline.Model.Version}");
        console.Write(table);

        var patterns = new Table().Border(TableBorder.Rounded).Title("Fraud caught by pattern").AddColumn("pattern").AddColumn(new TableColumn("caught").RightAligned()).AddColumn(new TableColumn("of").RightAligned()).AddColumn(new TableColumn("recall").RightAligned());
        foreach (var p in Enum.GetValues<FraudPattern>().Where(p => p != FraudPattern.None && (p == FraudPattern.Spoofing) == orders))
        {
            var (all, caught) = t.ByPattern(p);
            patterns.AddRow(p.ToString(), $"{caught:N0}", $"{all:N0}", Pct(caught, all));
        }

        console.Write(patterns);
        if (run.Pipeline.Learning is { } learning)
        {
            LearningSummary.Print(console, learning, s);
            if (learning.Join.UnknownLabels > 0)
            {
                // The simulator's stream goes on from the history the starting model was trained on, so the labels still
                // pending for history transactions arrive in the first seconds of the live run.
                console.MarkupLine(CultureInfo.InvariantCulture,
                    $"[grey]Unknown labels ({learning.Join.UnknownLabels:N0}) name transactions this engine never scored: in the demo, those of the simulated history the starting model was trained on, whose labels were still pending when the live run began.[/]");
            }
        }

        if (orders)
        {
            return;
        }

        console.MarkupLine(run.Pipeline.Learning is null
            ? "[grey]AppCryptoEscalation appears only after the drift point; the static starting model has never seen it (run with --learning on to let the engine learn it from the labels).[/]"
            : "[grey]AppCryptoEscalation appears only after the drift point: the starting model has never seen it; promoted versions learned from its labels catch it as the run goes on.[/]");
    }

    private static string Us(long ns) => string.Create(CultureInfo.InvariantCulture, $"{ns / 1000.0:F1} µs");

    private static string Pct(long part, long whole) => whole == 0 ? "–" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * part / whole:F1}%");
}

/// <summary>The flows <c>demo</c> can run.</summary>
internal enum DemoFlow
{
    /// <summary>Card payments: fraud patterns, drift, delayed labels.</summary>
    Payments,

    /// <summary>Trading orders: bursts and spoofing episodes.</summary>
    Orders,
}
