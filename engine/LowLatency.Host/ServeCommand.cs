using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace LowLatency.Host;

/// <summary>
/// <c>lowlat serve --config FILE</c>: the engine on the configured Aeron channels until Ctrl-C or SIGTERM, then a clean
/// shutdown. Plain log lines on standard output (a service's log, not a dashboard); errors on standard error.
/// Exit codes: 0 clean shutdown, 1 the ring did not drain in time, 2 a configuration or start-up error.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config")
        {
            Description = "JSON configuration: channels and stream ids (inbound, decisions, control), allowed sources, feature spec, model, thresholds, pipeline, journal (see config/serve.sample.json)",
            Required = true,
        };
        var check = new Option<bool>("--check") { Description = "Validate the configuration, print what it asks for, and exit without binding anything" };
        var command = new Command(
            "serve",
            "Run the engine on configured Aeron UDP channels until Ctrl-C or SIGTERM, then drain and shut down cleanly (a second signal forces the exit).")
        {
            config, check,
        };
        command.SetAction(parse => Run(parse.GetValue(config)!, parse.GetValue(check), Console.Out, Console.Error));
        return command;
    }

    internal static int Run(FileInfo file, bool check, TextWriter output, TextWriter error)
    {
        ServeConfig config;
        try
        {
            config = ServeConfigReader.Load(file.FullName);

            // What would stop serve after it had trained or bound anything is checked first: the places it writes, and a
            // model file (loaded and matched to the feature spec, as serve does). --check runs the same checks.
            CheckPlaces(config);
            if (check && config.Model is FileModelConfig)
            {
                _ = ServeModel.Create(config, _ => { });
            }
        }
        catch (ServeConfigException ex)
        {
            error.WriteLine($"lowlat serve: configuration error in {file.FullName}: {ex.Message}");
            return 2;
        }

        if (check)
        {
            foreach (string line in Describe(config))
            {
                output.WriteLine(line);
            }

            output.WriteLine("configuration OK");
            return 0;
        }

        using var stop = new StopSignal();
        ServeHost host;
        try
        {
            host = ServeHost.Start(config, output);
        }
        catch (ServeConfigException ex)
        {
            error.WriteLine($"lowlat serve: configuration error in {file.FullName}: {ex.Message}");
            return 2;
        }
        catch (IOException ex)
        {
            error.WriteLine($"lowlat serve: {ex.Message}");
            return 2;
        }

        using (host)
        {
            output.WriteLine("ready");
            var clock = Stopwatch.StartNew();
            TimeSpan interval = config.StatsInterval;
            TimeSpan nextStats = interval;
            while (!stop.Wait(TimeSpan.FromMilliseconds(200)))
            {
                host.FlushNotices();
                if (interval > TimeSpan.Zero && clock.Elapsed >= nextStats)
                {
                    output.WriteLine(host.StatsLine());
                    nextStats += interval;
                }
            }

            ServeStopResult result = host.Stop(stop.Reason ?? "stop requested");
            output.WriteLine(result.Drained ? "stopped cleanly" : "stopped; some accepted events were not decided");
            return result.Drained ? 0 : 1;
        }
    }

    /// <summary>The directories serve writes to (journal, learned versions) can be created and written; throws naming the field.</summary>
    private static void CheckPlaces(ServeConfig config)
    {
        if (config.Journal is { } j && CliOptions.WhyNotWritable(j.Directory, directory: true) is { } journalProblem)
        {
            throw new ServeConfigException("journal.directory", journalProblem);
        }

        if (config.Learning is { } l && CliOptions.WhyNotWritable(l.VersionRoot, directory: true) is { } versionsProblem)
        {
            throw new ServeConfigException("learning.versions", versionsProblem);
        }
    }

    /// <summary>What a configuration asks for, without building anything (<c>--check</c>).</summary>
    private static IEnumerable<string> Describe(ServeConfig c)
    {
        yield return $"lowlat serve — {c.Source}";
        yield return $"  inbound    {c.Inbound.Channel} stream {c.Inbound.StreamId}; sources: {c.Inbound.AllowedSources?.ToString() ?? "any"}";
        yield return string.Create(CultureInfo.InvariantCulture, $"  decisions  {c.Decisions.Channel} stream {c.Decisions.StreamId} (mtu {c.Decisions.Mtu}, term {c.Decisions.TermLength / 1024} KiB)");
        yield return c.Control is { } control ? $"  control    {control.Channel} stream {control.StreamId}; sources: {control.AllowedSources}" : "  control    off";
        yield return $"  features   {c.Features.Name} ({c.Features.Spec.Event}, {c.Features.Spec.Entities.Count} entity types)";
        yield return c.Model switch
        {
            BootstrapModelConfig b => string.Create(CultureInfo.InvariantCulture, $"  model      bootstrap: trained at start-up on {b.History:N0} events of simulated history (seed {b.Seed}, {b.Cards:N0} cards)"),
            FileModelConfig f => $"  model      v{f.Version} from {f.Path}",
            _ => "  model      ?",
        };
        yield return $"  thresholds {c.Thresholds}";
        yield return c.Pipeline.Topology == LowLatency.Engine.Pipeline.Topology.SingleThread
            ? $"  pipeline   ring {c.Pipeline.RingSize} slots, single thread: the stages run on the network thread (idle {c.Pipeline.Idle}); journal wait {c.Pipeline.WaitStrategy}; reasons {c.Pipeline.Reasons.ToString().ToLowerInvariant()}"
            : $"  pipeline   ring {c.Pipeline.RingSize} slots, topology {c.Pipeline.Topology}, wait {c.Pipeline.WaitStrategy}; network thread idle {c.Pipeline.Idle}; reasons {c.Pipeline.Reasons.ToString().ToLowerInvariant()}";
        yield return c.Journal is { } j ? $"  journal    {j.Options().Describe()}" : "  journal    off";
        yield return $"  snapshots  {c.SnapshotDirectory ?? "off"}";
        yield return c.Learning is { } l
            ? string.Create(CultureInfo.InvariantCulture, $"  learning   versions under {l.VersionRoot} (a new run-<UTC time> directory each run); promotion by windowed AUC + {l.PromotionMargin} over {l.MinLabels:N0} labels; online tree {(l.OnlineTree ? "on" : "off")}")
            : "  learning   off";
        yield return string.Create(CultureInfo.InvariantCulture, $"  shutdown   drain timeout {c.DrainTimeout.TotalSeconds:0.###} s, linger {c.Linger.TotalSeconds:0.###} s; stats every {c.StatsInterval.TotalSeconds:0.###} s");
    }

    /// <summary>
    /// SIGINT (Ctrl-C) and SIGTERM request a clean stop: the first is caught and recorded; a second one while stopping is
    /// left to its default action, so an operator can always force the exit.
    /// </summary>
    private sealed class StopSignal : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly PosixSignalRegistration[] _registrations;
        private string? _reason;

        public StopSignal() => _registrations = [Register(PosixSignal.SIGINT, "SIGINT"), Register(PosixSignal.SIGTERM, "SIGTERM")];

        /// <summary>The signal that asked to stop, once one did.</summary>
        public string? Reason => Volatile.Read(ref _reason);

        /// <summary>Waits up to <paramref name="timeout"/>; true once a stop was requested.</summary>
        public bool Wait(TimeSpan timeout) => _stop.Token.WaitHandle.WaitOne(timeout);

        public void Dispose()
        {
            foreach (var r in _registrations)
            {
                r.Dispose();
            }

            _stop.Dispose();
        }

        private PosixSignalRegistration Register(PosixSignal signal, string name) => PosixSignalRegistration.Create(signal, context =>
        {
            if (Interlocked.CompareExchange(ref _reason, name, null) is not null)
            {
                context.Cancel = false; // the second signal: let it terminate the process
                return;
            }

            context.Cancel = true;
            _stop.Cancel();
        });
    }
}
