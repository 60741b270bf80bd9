using LowLatency.Adapters.Load;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Tests.Load;

public class OpenLoopDriverTests
{
    private static readonly FeatureSpec Spec = FeatureSpec.LoadDefault("minimal").WithMaxCapacity(1 << 14);

    private static readonly Lazy<BootstrapModel> Model = new(() =>
    {
        var model = HistoryTrainer.Train(Flow(), 5_000, Spec, new BootstrapOptions { Combination = BootstrapCombination.Logistic });
        model.Features.Dispose();
        return model;
    });

    private static PaymentFlow Flow() => new(new PaymentSimulator(new SimulatorOptions { Seed = 7, Cards = 3000, Merchants = 300 }));

    private sealed class Log
    {
        public List<Decision> Decisions { get; } = [];

        public long Others { get; set; }
    }

    private readonly struct LogSink(Log log) : IDecisionSink
    {
        public bool TryPublish(ref PipelineSlot slot)
        {
            log.Decisions.Add(slot.Decision);
            return true;
        }

        public void OnOther(ref PipelineSlot slot) => log.Others++;

        public void Flush()
        {
        }
    }

    private static (Log Log, DriveResult Result) Drive(bool polled, double rate, int ringSize, TimeSpan duration)
    {
        var log = new Log();
        var options = new PipelineOptions { RingSize = ringSize, Features = Spec, PolledByCaller = polled };
        using var pipeline = new ScoringPipeline<LogSink>(options, Model.Value.Model, Model.Value.Policy, new LogSink(log));
        pipeline.Start();
        var result = new OpenLoopDriver(Flow(), new TruthBoard()).Run(pipeline, rate, duration);
        Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, pipeline.Faults);
        return (log, result);
    }

    [Theory]
    [InlineData(0.0, 8)] // unpaced, a ring smaller than the poll batch: the driver must poll before it fills
    [InlineData(0.0, 1024)]
    [InlineData(20_000.0, 16)]
    public void A_caller_polled_pipeline_decides_everything_the_driver_sent_on_the_drivers_thread(double rate, int ringSize)
    {
        var (log, result) = Drive(polled: true, rate, ringSize, TimeSpan.FromMilliseconds(300));
        Assert.True(result.Transactions > 1000, $"only {result.Transactions} sent");
        Assert.Equal(result.Transactions, log.Decisions.Count);
        Assert.Equal(result.Labels, log.Others);
        // When Run returns, the stages have already run (no other thread polls): every decision is there.
        Assert.All(log.Decisions, d => Assert.True(d.DecideTimeNs >= d.IngestTimeNs));
    }

    [Fact]
    public void Polling_on_the_drivers_thread_decides_exactly_as_a_pipeline_thread_does()
    {
        var (threaded, _) = Drive(polled: false, 0, 1024, TimeSpan.FromMilliseconds(300));
        var (polled, _) = Drive(polled: true, 0, 1024, TimeSpan.FromMilliseconds(300));
        int common = Math.Min(threaded.Decisions.Count, polled.Decisions.Count);
        Assert.True(common > 1000, $"only {common} decisions in common");
        for (int i = 0; i < common; i++)
        {
            Decision a = threaded.Decisions[i], b = polled.Decisions[i];
            Assert.Equal(a.TxId, b.TxId);
            Assert.Equal(BitConverter.SingleToInt32Bits(a.Score), BitConverter.SingleToInt32Bits(b.Score));
            Assert.Equal(a.Outcome, b.Outcome);
            Assert.Equal(a.ModelVersion, b.ModelVersion);
        }
    }
}
