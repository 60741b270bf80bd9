using LowLatency.Adapters.Load;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Metrics;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host;

/// <summary>
/// One in-process engine fed by the simulator: the pipeline with a monitoring sink, the open-loop driver on
/// its own thread, and the counters a dashboard reads. Used by <c>demo</c> and <c>bench</c>.
/// </summary>
internal sealed class EngineRun : IDisposable
{
    private readonly OpenLoopDriver _driver;
    private Thread? _thread;

    /// <summary>Builds the pipeline; <paramref name="features"/> (warm state, owned by the pipeline from here) or empty windows.</summary>
    public EngineRun(IFlowSource source, BootstrapModel model, PipelineOptions options, Featurizer? features = null)
    {
        Source = source;
        Truth = new TruthBoard();
        Tally = new OutcomeTally();
        Latency = new IntervalRecorder();
        Pipeline = new ScoringPipeline<MonitoringSink>(options, model.Model, model.Policy, new MonitoringSink(Latency, Tally, Truth), features: features);
        _driver = new OpenLoopDriver(source, Truth);
    }

    public IFlowSource Source { get; }

    public TruthBoard Truth { get; }

    public OutcomeTally Tally { get; }

    public IntervalRecorder Latency { get; }

    public ScoringPipeline<MonitoringSink> Pipeline { get; }

    public DriveResult? Result { get; private set; }

    public Exception? Failure { get; private set; }

    public bool IsRunning => _thread is { IsAlive: true };

    /// <summary>Starts the pipeline and drives it at <paramref name="rate"/> for <paramref name="duration"/> on a new thread.</summary>
    public void Start(double rate, TimeSpan duration, CancellationToken cancel)
    {
        Pipeline.Start();
        _thread = new Thread(() =>
        {
            try
            {
                Result = _driver.Run(Pipeline, rate, duration, cancel);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Failure = ex;
            }
        }) { Name = "load-driver", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Waits for the driver, then for the pipeline to decide everything sent.</summary>
    public bool Finish(TimeSpan timeout)
    {
        _thread?.Join();
        return Pipeline.DrainAndStop(timeout);
    }

    public void Dispose() => Pipeline.Dispose();
}
