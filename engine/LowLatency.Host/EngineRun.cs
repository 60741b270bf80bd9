using System.Net;
using System.Net.Sockets;
using System.Runtime;
using LowLatency.Adapters.Gateway;
using LowLatency.Adapters.Load;
using LowLatency.Adapters.Simulation;
using LowLatency.Adapters.Transport;
using LowLatency.Engine.Features;
using LowLatency.Engine.Learning;
using LowLatency.Engine.Metrics;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host;

/// <summary>
/// One engine fed by the simulator: the pipeline, the open-loop driver on its own thread, and the counters a dashboard
/// reads. Used by <c>demo</c> and <c>bench</c>. Over <see cref="RunTransport.Udp"/> the driver publishes through a gateway
/// client to the engine's Aeron endpoint on loopback and latency runs from due time to the decision's arrival back at the
/// gateway; <see cref="RunTransport.InProc"/> writes straight into the ring. In the single-thread topology the stages
/// run on the thread that brings the events in (the engine's network thread, or in process the driver's thread).
/// </summary>
internal sealed class EngineRun : IDisposable
{
    private readonly OpenLoopDriver _driver;
    private readonly GatewayLoadDriver? _wireDriver;
    private readonly EngineTransport? _transport;
    private readonly GatewayClient<MonitoringListener>? _gateway;
    private Thread? _thread;

    /// <summary>
    /// Builds the pipeline over <paramref name="transport"/>; <paramref name="features"/> (warm state, owned by the
    /// pipeline from here) or empty windows. The gateway client speaks payments only: the orders flow runs in process.
    /// <paramref name="learning"/> turns continual learning on, starting from the bootstrap's model and learner state.
    /// <paramref name="driverRunsStages"/> false keeps an in-process single-thread pipeline on its own stage thread (for
    /// unpaced runs: the simulator then generates on one core while the engine works on the other, so the figure is
    /// the engine's capacity, not the generator's plus the engine's).
    /// </summary>
    public EngineRun(IFlowSource source, BootstrapModel model, PipelineOptions options, RunTransport transport = RunTransport.InProc, Featurizer? features = null, LearningOptions? learning = null, bool driverRunsStages = true)
    {
        if (transport == RunTransport.Udp && source.Flow != FeatureEventKind.Transaction)
        {
            features?.Dispose();
            throw new ArgumentException("The gateway client publishes Transactions and Labels; run the orders flow with --transport inproc.", nameof(transport));
        }

        Source = source;
        Truth = new TruthBoard();
        Tally = new OutcomeTally();
        Latency = new IntervalRecorder();
        Transport = transport;
        var monitor = new MonitoringSink(Latency, Tally, Truth);
        if (transport == RunTransport.Udp)
        {
            // Gateway first on an ephemeral port, so the engine knows where to publish decisions; the engine's port is
            // reserved just before it binds (loopback only).
            int enginePort = FreeLoopbackPort();
            _gateway = new GatewayClient<MonitoringListener>(
                // Polled by the driver's thread between sends (no receive thread of its own): with the engine's stages on
                // its network thread, the whole run is two busy threads on this machine's two cores.
                new GatewayClientOptions { Bind = new IPEndPoint(IPAddress.Loopback, 0), Engine = new IPEndPoint(IPAddress.Loopback, enginePort), OwnThread = false },
                new MonitoringListener(Latency, Tally, Truth, Unmatched));
            _transport = new EngineTransport(new EngineTransportOptions { Inbound = new IPEndPoint(IPAddress.Loopback, enginePort), DecisionDestination = _gateway.LocalEndPoint });
            _wireDriver = new GatewayLoadDriver(source, Truth);
        }

        // The single-thread topology runs its stages on the thread that brings the events in, with no hand-off and one
        // thread fewer competing for this machine's two cores: over UDP the engine's network thread (receive, decode,
        // score, publish), in process the driver's thread (publish into the ring, then poll the stages).
        if (options.Topology == Topology.SingleThread && (_transport is not null || driverRunsStages))
        {
            options = options with { PolledByCaller = true };
        }

        Pipeline = new ScoringPipeline<RunSink>(
            options, model.Model, model.Policy, new RunSink(monitor, _transport?.CreateSink(options.PolledByCaller)), features: features,
            learning: learning is null ? null : registry => new OnlineLearning(learning, model.Model, model.Learner, model.Scaling, registry));
        _driver = new OpenLoopDriver(source, Truth);
    }

    public IFlowSource Source { get; }

    public TruthBoard Truth { get; }

    public OutcomeTally Tally { get; }

    public IntervalRecorder Latency { get; }

    public ScoringPipeline<RunSink> Pipeline { get; }

    public RunTransport Transport { get; }

    /// <summary>The gateway publication's counters over UDP (offers refused as back-pressured or not connected); null in process.</summary>
    public Adapters.Aeron.AeronPublicationCounters? GatewayPublication => _gateway?.Publication.Counters;

    /// <summary>Decisions that came back with no pending transaction (UDP only; a correct run keeps it at 0).</summary>
    public MonitoringListener.UnmatchedCounter Unmatched { get; } = new();

    public DriveResult? Result { get; private set; }

    public Exception? Failure { get; private set; }

    public bool IsRunning => _thread is { IsAlive: true };

    /// <summary>Starts the pipeline and drives it at <paramref name="rate"/> for <paramref name="duration"/> on a new thread.</summary>
    public void Start(double rate, TimeSpan duration, CancellationToken cancel)
    {
        // Setup leaves large garbage (training rows, a previous run's tables). Collect it now, blocking, so no gen-2
        // collection pauses every thread in the middle of the figures; then ask the GC to avoid them (process-wide:
        // this process exists to run the engine).
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        Pipeline.Start();
        _transport?.Start(Pipeline.Sequencer, Pipeline.Ring, Pipeline.Options.PolledByCaller ? () => Pipeline.Poll() : null);
        _thread = new Thread(() =>
        {
            try
            {
                if (_gateway is null)
                {
                    Result = _driver.Run(Pipeline, rate, duration, cancel);
                }
                else if (!_gateway.WaitUntilConnected(TimeSpan.FromSeconds(5)))
                {
                    Failure = new InvalidOperationException("The gateway client and the engine did not connect over loopback UDP within 5 s.");
                }
                else
                {
                    Result = _wireDriver!.Run(_gateway, rate, duration, cancel);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Failure = ex;
            }
        }) { Name = "load-driver", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Waits for the driver, then for the pipeline to decide everything sent (and, over UDP, for the decisions to come back).</summary>
    public bool Finish(TimeSpan timeout)
    {
        _thread?.Join();
        bool drained = Pipeline.DrainAndStop(timeout);
        if (_gateway is not null && Result is { } r)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Tally.Decisions + Unmatched.Count < r.Transactions && clock.Elapsed < timeout)
            {
                // The driver has stopped: this thread reads the decisions still in flight.
                if (_gateway.Poll() == 0)
                {
                    Thread.Sleep(1);
                }
            }

            drained &= Tally.Decisions >= r.Transactions;
        }

        return drained;
    }

    public void Dispose()
    {
        _gateway?.Dispose();
        _transport?.Dispose();
        Pipeline.Dispose();
    }

    private static int FreeLoopbackPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
