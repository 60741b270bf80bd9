using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime;
using LowLatency.Adapters.Aeron;
using LowLatency.Adapters.Aeron.Udp;
using LowLatency.Adapters.Files;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Learning;
using LowLatency.Engine.Metrics;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host;

/// <summary>
/// The engine as <c>lowlat serve</c> runs it: the configured Aeron endpoints (inbound, decisions, control), the pipeline,
/// the journal and snapshots. <see cref="Start"/> builds and starts everything and prints the start-up summary;
/// <see cref="StatsLine"/> is the periodic report; <see cref="Stop"/> is the clean shutdown (refuse new input, drain the
/// ring, flush and close the decision stream, close the journal, print the final counters). Used in process by the tests.
/// </summary>
internal sealed class ServeHost : IDisposable
{
    private readonly ServeConfig _config;
    private readonly TextWriter _log;
    private readonly ConcurrentQueue<string> _notices = new();
    private readonly IntervalRecorder _latency = new();
    private readonly LatencyHistogram _interval = new();
    private readonly LatencyHistogram _total = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly JournalWriter? _journal;
    private readonly long _journalBase;
    private readonly IModelCommandHandler _modelCommands;
    private long _snapshots;
    private long _snapshotsNotWritten;
    private long _modelCommandsApplied;
    private long _modelCommandsNotApplied;
    private double _lastStatsSeconds;
    private long _lastIn;
    private long _lastDecisions;
    private bool _stopped;

    private ServeHost(ServeConfig config, TextWriter log, ServeModel model, Func<ScoringPipeline<ServeSink>, IModelCommandHandler>? modelCommands)
    {
        _config = config;
        _log = log;
        Model = model;
        Transport = CreateTransport(config);
        try
        {
            JournalAttachment<SbeJournalEncoder>? attachment = null;
            if (config.Journal is { } j)
            {
                _journal = JournalWriter.Open(j.Options());
                if (_journal.Recovery.TruncatedBytes > 0)
                {
                    Notice($"journal tail repaired: {_journal.Recovery.TruncatedBytes:N0} bytes cut ({_journal.Recovery.TruncationReason})");
                }

                string origin = "serve: " + model.Description;
                origin = origin.Length > 300 ? origin[..300] : origin; // ≤ 900 UTF-8 bytes: fits the buffer below
                var swap = new ModelSwapRecord(model.Model.Version, model.Model.Fingerprint, origin);
                Span<byte> buffer = stackalloc byte[1024];
                _journal.Append(JournalRecordType.ModelSwap, _journal.NextSequence, (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100, buffer[..swap.Encode(buffer)]);
                _journalBase = _journal.NextSequence;
                attachment = new JournalAttachment<SbeJournalEncoder>(_journal, default);
            }

            if (config.SnapshotDirectory is { } dir)
            {
                Directory.CreateDirectory(dir);
            }

            var options = new PipelineOptions
            {
                RingSize = config.Pipeline.RingSize, Topology = config.Pipeline.Topology, WaitStrategy = config.Pipeline.WaitStrategy, Reasons = config.Pipeline.Reasons,
                Features = config.Features.Spec,
                // Single thread: the stages run on the network thread (receive, decode, score, publish; no hand-off).
                PolledByCaller = config.Pipeline.Topology == Topology.SingleThread,
            };
            LearningOptions? learning = config.Learning is { } l ? LearningFor(l) : null;
            Pipeline = new ScoringPipeline<ServeSink>(
                options, model.Model, model.Policy, new ServeSink(Transport.CreateSink(options.PolledByCaller), _latency), beside: attachment,
                learning: learning is null ? null : registry => new OnlineLearning(learning, model.Model, model.Learner, model.Scaling, registry));
        }
        catch
        {
            Transport.Dispose();
            _journal?.Dispose();
            throw;
        }

        _modelCommands = modelCommands?.Invoke(Pipeline) ?? new PipelineModelCommands(Pipeline);
        Pipeline.SnapshotRequested = OnSnapshot;
        Pipeline.ModelCommandRequested = OnModelCommand;
    }

    /// <summary>Where this run writes its model versions (a new directory under the configured root), or null without learning.</summary>
    public string? VersionDirectory { get; private set; }

    /// <summary>The model scoring (as started).</summary>
    public ServeModel Model { get; }

    /// <summary>The network edge.</summary>
    public EngineTransport Transport { get; }

    /// <summary>The pipeline.</summary>
    public ScoringPipeline<ServeSink> Pipeline { get; }

    /// <summary>Where gateways publish (the bound address: with a configured port 0, the ephemeral port).</summary>
    public IPEndPoint InboundEndPoint => Transport.Endpoint.LocalEndPoint;

    /// <summary>Where control messages go, or null when the control channel is disabled.</summary>
    public IPEndPoint? ControlEndPoint => Transport.ControlEndpoint?.LocalEndPoint;

    /// <summary>Snapshots written at Snapshot commands.</summary>
    public long Snapshots => Interlocked.Read(ref _snapshots);

    /// <summary>Snapshot commands that wrote nothing (no directory configured, or the write failed).</summary>
    public long SnapshotsNotWritten => Interlocked.Read(ref _snapshotsNotWritten);

    /// <summary>Promote and rollback commands the handler applied / did not apply.</summary>
    public (long Applied, long NotApplied) ModelCommands => (Interlocked.Read(ref _modelCommandsApplied), Interlocked.Read(ref _modelCommandsNotApplied));

    /// <summary>
    /// Builds the model, binds the endpoints, opens the journal, starts the pipeline and the network thread, and prints the
    /// start-up summary to <paramref name="log"/>. Throws <see cref="ServeConfigException"/> for a model the configuration
    /// names but serve cannot use, <see cref="IOException"/> when an endpoint cannot be bound.
    /// </summary>
    public static ServeHost Start(ServeConfig config, TextWriter log, Func<ScoringPipeline<ServeSink>, IModelCommandHandler>? modelCommands = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(log);
        ServeModel model = ServeModel.Create(config, line => log.WriteLine(line));
        var host = new ServeHost(config, log, model, modelCommands);
        try
        {
            // Setup leaves garbage (the training rows); collect it now, then ask the GC to avoid blocking collections.
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
            host.Pipeline.Start();
            host.Transport.Start(host.Pipeline.Sequencer, host.Pipeline.Ring, host.Pipeline.Options.PolledByCaller ? () => host.Pipeline.Poll() : null);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        foreach (string line in host.Summary())
        {
            log.WriteLine(line);
        }

        return host;
    }

    /// <summary>The start-up summary: channels, streams, bound addresses, features, model, pipeline, journal.</summary>
    public IEnumerable<string> Summary()
    {
        var c = _config;
        var plan = FeaturePlan.Compile(c.Features.Spec);
        yield return $"lowlat serve — {c.Source}";
        yield return $"  inbound    {c.Inbound.Channel} stream {c.Inbound.StreamId}, listening on {InboundEndPoint}; sources: {c.Inbound.AllowedSources?.ToString() ?? "any"}";
        yield return string.Create(CultureInfo.InvariantCulture,
            $"  decisions  {c.Decisions.Channel} stream {c.Decisions.StreamId} (mtu {c.Decisions.Mtu}, term {c.Decisions.TermLength / 1024} KiB, session {Transport.Decisions.Core.SessionId})");
        yield return c.Control is { } control
            ? $"  control    {control.Channel} stream {control.StreamId}, listening on {ControlEndPoint}; sources: {control.AllowedSources}"
            : "  control    off";
        yield return string.Create(CultureInfo.InvariantCulture,
            $"  features   {c.Features.Name}: {Pipeline.FeatureNames.Count} features per {c.Features.Spec.Event} over {c.Features.Spec.Entities.Count} entity types, {plan.TotalBytes / (1 << 20):N0} MiB of tables{(c.Features.MaxCapacity is { } cap ? $" (capacity capped at {cap:N0})" : string.Empty)}");
        yield return $"  model      {Model.Description}";
        yield return string.Create(CultureInfo.InvariantCulture,
            $"  thresholds review at score ≥ {Model.Policy.Review:F4}, decline at ≥ {Model.Policy.Decline:F4}{(c.Thresholds.IsFixed ? string.Empty : $" ({c.Thresholds})")}");
        yield return $"  pipeline   {Pipeline.Options}; network thread idle {c.Pipeline.Idle}";
        yield return _journal is null
            ? "  journal    off"
            : string.Create(CultureInfo.InvariantCulture, $"  journal    {_journal.Options.Describe()}; next sequence {_journalBase:N0}");
        yield return c.SnapshotDirectory is { } dir ? $"  snapshots  {dir}" : "  snapshots  off (Snapshot commands are counted, nothing is written)";
        yield return c.Learning is { } l
            ? string.Create(CultureInfo.InvariantCulture,
                $"  learning   versions in {VersionDirectory}; promotion by windowed AUC + {l.PromotionMargin} over {l.MinLabels:N0} labels; online tree {(l.OnlineTree ? $"on (weight {l.OnlineTreeWeight})" : "off")}; {l.JoinCapacity:N0} decisions kept for their labels; every live decision scored in shadow")
            : "  learning   off";
        yield return c.StatsInterval > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $"  stats every {c.StatsInterval.TotalSeconds:0.###} s; Ctrl-C or SIGTERM drains and stops")
            : "  stats off; Ctrl-C or SIGTERM drains and stops";
    }

    /// <summary>Prints what happened on the engine threads since the last call (snapshots, model commands).</summary>
    public void FlushNotices()
    {
        while (_notices.TryDequeue(out string? line))
        {
            _log.WriteLine(line);
        }
    }

    /// <summary>One line of stats since the previous call: rates, engine latency, rejects, control. Call from one thread.</summary>
    public string StatsLine()
    {
        _latency.GetInterval(_interval);
        _total.Add(_interval);
        PipelineStats s = Pipeline.Stats;
        double now = _clock.Elapsed.TotalSeconds;
        double dt = Math.Max(1e-3, now - _lastStatsSeconds);
        long input = s.TransactionsIn + s.LabelsIn + s.OrdersIn;
        double inRate = (input - _lastIn) / dt;
        double decisionRate = (s.DecisionsPublished - _lastDecisions) / dt;
        (_lastStatsSeconds, _lastIn, _lastDecisions) = (now, input, s.DecisionsPublished);
        string latency = _interval.TotalCount == 0
            ? "p50 –  p99 –"
            : string.Create(CultureInfo.InvariantCulture, $"p50 {_interval.ValueAtPercentile(50) / 1e3:F1} µs  p99 {_interval.ValueAtPercentile(99) / 1e3:F1} µs");
        return string.Create(CultureInfo.InvariantCulture,
            $"[{now,7:F1}s] in {inRate:N0}/s  decided {decisionRate:N0}/s ({s.DecisionsPublished:N0} total)  {latency}  rejects {Rejects()}  control {ControlSummary()}{(Pipeline.Learning is null ? string.Empty : "  learning " + LearningFigures())}");
    }

    /// <summary>
    /// The clean shutdown: refuse new input, drain the ring, send the remaining decisions, close the decision stream (end
    /// of stream, linger), close the sockets and the journal, print the final counters. Safe to call once; returns whether
    /// every accepted event was decided.
    /// </summary>
    public ServeStopResult Stop(string reason)
    {
        if (_stopped)
        {
            throw new InvalidOperationException("Already stopped.");
        }

        _stopped = true;
        var clock = Stopwatch.StartNew();
        _log.WriteLine($"stopping ({reason}): refusing new input, draining");
        bool quiet = Transport.StopAccepting(TimeSpan.FromSeconds(2));
        bool drained = Pipeline.DrainAndStop(_config.DrainTimeout);
        FlushNotices();
        bool flushed = Transport.FlushDecisions(_config.Linger);
        bool closed = Transport.CloseDecisions(_config.Linger);
        Transport.Dispose();
        _journal?.Sync();
        _journal?.Dispose();

        PipelineStats s = Pipeline.Stats;
        DecisionSinkCounters sink = Transport.SinkCounters;
        _latency.GetInterval(_interval);
        _total.Add(_interval);
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"drained in {clock.Elapsed.TotalMilliseconds:F0} ms: {(drained && quiet ? "every accepted event decided" : "NOT drained: the ring still held events at the timeout")}; " +
            $"decisions {(flushed ? "all sent" : Transport.Decisions.IsConnected ? "NOT all sent within the linger time" : "not all sent: no gateway connected")}, " +
            $"decision stream {(closed ? "closed" : "closed without the gateway's end-of-stream acknowledgement")}"));
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"final: accepted {s.TransactionsIn:N0} transactions, {s.LabelsIn:N0} labels, {s.OrdersIn:N0} orders, {s.ControlsIn:N0} control; decided {s.DecisionsPublished:N0} (approve {s.Approved:N0}, review {s.Reviewed:N0}, decline {s.Declined:N0}); " +
            $"published {sink.Published:N0}, dropped with no gateway {sink.NotConnected:N0} (offers held waiting for one {sink.AwaitingSubscriber:N0}), back-pressured {sink.BackPressured:N0}"));
        _log.WriteLine($"final rejects: {Rejects()}; refused after stop {Transport.Gate.Refused:N0}; handler faults {Pipeline.Faults:N0}");
        _log.WriteLine(AeronSummary());
        if (Pipeline.Learning is { } learning)
        {
            _log.WriteLine($"final learning: {LearningFigures()}; versions in {VersionDirectory}");
            foreach (var e in learning.Transitions)
            {
                _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {e.Kind} v{e.FromVersion} → v{e.ToVersion} at label {e.LabelIndex:N0}: {e.Reason}"));
            }
        }
        (long applied, long notApplied) = ModelCommands;
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"final control: {ControlSummary()}; snapshots written {Snapshots:N0}, not written {SnapshotsNotWritten:N0}; model commands applied {applied:N0}, not applied {notApplied:N0}"));
        if (_total.TotalCount > 0)
        {
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"final latency (ring → decision published, {_total.TotalCount:N0} decisions): p50 {_total.ValueAtPercentile(50) / 1e3:F1} µs  p99 {_total.ValueAtPercentile(99) / 1e3:F1} µs  p99.9 {_total.ValueAtPercentile(99.9) / 1e3:F1} µs  max {_total.Max / 1e3:F1} µs"));
        }

        if (_journal is not null)
        {
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"journal closed: {_journal.RecordsAppended:N0} records appended, next sequence {_journal.NextSequence:N0}"));
        }

        return new ServeStopResult(drained && quiet, flushed, s);
    }

    /// <summary>
    /// The wire-level counters an operator checks after a lossy run: what the inbound receiver saw and asked for (gaps,
    /// NAKs, duplicates) and what the decision publication was asked to resend.
    /// </summary>
    private string AeronSummary()
    {
        AeronReceiverCounters r = Transport.Receiver.Counters;
        AeronPublicationCounters p = Transport.Decisions.Core.Counters;
        return string.Create(CultureInfo.InvariantCulture,
            $"final aeron: inbound {r.Datagrams:N0} datagrams, {r.DataFrames:N0} data frames, {r.Heartbeats:N0} heartbeats, {r.PadFrames:N0} pads, {r.Setups:N0} setups; " +
            $"{r.GapsDetected:N0} gaps, {r.NaksSent:N0} NAKs sent, {r.DuplicateFrames:N0} duplicate frames, {r.ImagesCreated:N0} images ({r.EndOfStreams:N0} ended, {r.ImageLivenessTimeouts:N0} timed out); " +
            $"decisions {p.DataDatagramsSent:N0} datagrams, {p.NaksReceived:N0} NAKs received, {p.RetransmitDatagrams:N0} datagrams resent, {p.StatusMessagesReceived:N0} status messages");
    }

    /// <summary>Stops everything without draining (use <see cref="Stop"/> for a clean shutdown).</summary>
    public void Dispose()
    {
        if (!_stopped)
        {
            _stopped = true;
            Transport.Dispose();
            Pipeline.Dispose();
            _journal?.Dispose();
        }
        else
        {
            Pipeline.Dispose();
        }
    }

    /// <summary>
    /// The learner's options; its versions go to a directory of this run's own under the configured root (a run numbers
    /// its versions from 1, so a restart must not write over the last run's).
    /// </summary>
    private LearningOptions LearningFor(ServeLearningConfig l)
    {
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string dir = Path.Combine(l.VersionRoot, "run-" + stamp);
        for (int n = 2; Directory.Exists(dir); n++)
        {
            dir = Path.Combine(l.VersionRoot, $"run-{stamp}-{n}");
        }

        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ServeConfigException("learning.versions", $"cannot create the version directory {dir}: {ex.Message}");
        }

        VersionDirectory = dir;
        return LearningCliOptions.Build(dir, l.MinLabels, l.PromotionMargin, l.OnlineTree, l.OnlineTreeWeight, l.JoinCapacity);
    }

    /// <summary>The learner's figures for a stats line or the final report.</summary>
    private string LearningFigures()
    {
        if (Pipeline.Learning is not { } learning)
        {
            return "off";
        }

        var l = learning.Stats;
        string failure = learning.Failure is { } f ? $"; LEARNER STOPPED: {f.Message}" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"v{Pipeline.Model.Version} in force (the learner's champion v{l.ChampionVersion}), {LearningSummary.Counts(learning.Transitions)}; {l.Learned:N0} labels learned, {Pipeline.Stats.LabelsUnmatched:N0} unmatched, {Pipeline.Stats.LabelsDropped:N0} dropped; window AUC champion {l.ChampionAuc:F3} / challenger {l.ChallengerAuc:F3}; shadow {l.ShadowScored:N0} scored, {l.ShadowSkipped:N0} skipped, live AUC champion {l.LiveChampionAuc:F3} / challenger {l.LiveChallengerAuc:F3}{failure}");
    }

    private static EngineTransport CreateTransport(ServeConfig c)
    {
        var options = new EngineTransportOptions
        {
            Inbound = c.Inbound.Endpoint, InboundStreamId = c.Inbound.StreamId, AllowedSources = c.Inbound.AllowedSources,
            DecisionDestination = c.Decisions.Endpoint, DecisionStreamId = c.Decisions.StreamId,
            Publication = new AeronPublicationOptions { StreamId = c.Decisions.StreamId, Mtu = c.Decisions.Mtu, TermLength = c.Decisions.TermLength },
            Control = c.Control?.Endpoint, ControlStreamId = c.Control?.StreamId ?? WireStreams.Control,
            ControlAllowedSources = c.Control?.AllowedSources ?? SourceAllowList.Loopback,
            Idle = c.Pipeline.Idle,
        };
        try
        {
            return new EngineTransport(options);
        }
        catch (SocketException ex)
        {
            throw new IOException($"cannot bind the inbound endpoint {c.Inbound.Endpoint}{(c.Control is { } control ? $" or the control endpoint {control.Endpoint}" : string.Empty)}: {ex.Message}", ex);
        }
    }

    private string Rejects()
    {
        AeronReceiverCounters r = Transport.Receiver.Counters;
        long source = r.Rejected(ReceiverRejectReason.SourceNotAllowed);
        IPEndPoint? last = Transport.Endpoint.LastRefusedSource;
        return string.Create(CultureInfo.InvariantCulture,
            $"{source:N0} by source{(last is null ? string.Empty : $" (last {last})")}, {r.TotalRejected - source:N0} aeron, {Transport.Decoder.Counters.Rejected:N0} decode, {Pipeline.Stats.Rejected:N0} pipeline");
    }

    private string ControlSummary()
    {
        ControlCounters c = Transport.ControlCounters;
        long bySource = Transport.ControlReceiver?.Counters.Rejected(ReceiverRejectReason.SourceNotAllowed) ?? 0;
        IPEndPoint? last = Transport.ControlEndpoint?.LastRefusedSource;
        return string.Create(CultureInfo.InvariantCulture,
            $"{c.Promote:N0} promote, {c.Rollback:N0} rollback, {c.Hold:N0} hold or release, {c.Snapshot:N0} snapshot; refused {c.Refused:N0} invalid, {bySource:N0} by source{(last is null ? string.Empty : $" (last {last})")}");
    }

    private long InputSequence(long ringSequence) => _journal is null ? ringSequence : _journalBase + ringSequence;

    private void OnSnapshot(long ringSequence)
    {
        long sequence = InputSequence(ringSequence);
        if (_config.SnapshotDirectory is not { } dir)
        {
            Interlocked.Increment(ref _snapshotsNotWritten);
            Notice($"snapshot requested at input sequence {sequence:N0}: no snapshot directory configured (snapshots.directory or journal.directory); nothing written");
            return;
        }

        try
        {
            string path = EngineSnapshots.Write(dir, sequence, Pipeline.WriteState);
            Interlocked.Increment(ref _snapshots);
            Notice($"snapshot written at input sequence {sequence:N0}: {path}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _snapshotsNotWritten);
            Notice($"snapshot at input sequence {sequence:N0} FAILED: {ex.Message}");
        }
    }

    private void OnModelCommand(ControlMessage command, long ringSequence)
    {
        long sequence = InputSequence(ringSequence);
        bool promote = command.Command == ControlCommand.PromoteModel;
        ModelCommandResult result;
        try
        {
            result = promote ? _modelCommands.Promote(command, sequence) : _modelCommands.Rollback(command, sequence);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            result = new ModelCommandResult(false, "the model command handler failed: " + ex.Message);
        }

        if (result.Applied)
        {
            Interlocked.Increment(ref _modelCommandsApplied);
        }
        else
        {
            Interlocked.Increment(ref _modelCommandsNotApplied);
        }

        string what = promote ? $"promote to model v{command.ModelVersion}" : "rollback";
        Notice($"control: {what} (request {command.RequestId}) at input sequence {sequence:N0}: {(result.Applied ? "applied" : "not applied")} — {result.Detail}");
    }

    private void Notice(string line) => _notices.Enqueue(line);
}

/// <summary>How a serve shutdown went.</summary>
/// <param name="Drained">Every event accepted into the ring was decided.</param>
/// <param name="Flushed">Every decision was sent to the gateway.</param>
/// <param name="Stats">The pipeline's final counters.</param>
internal readonly record struct ServeStopResult(bool Drained, bool Flushed, PipelineStats Stats);
