using BenchmarkDotNet.Attributes;
using LowLatency.Adapters.Files;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Features;
using LowLatency.Engine.Journal;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Benchmarks;

/// <summary>
/// Replay throughput with the full pipeline (decode, card features, the champion — logistic with hashed keys averaged
/// with 100 boosted trees of depth 6, the target configuration — scored, reason codes as <see cref="Reasons"/>
/// says, policy, decision log encoding into a null stream), single-thread topology, 200k simulated messages per
/// invocation read from a journal on disk (page cache warm), the trees scored event by event or in groups across events
/// (<see cref="Groups"/>). Baseline: the same journal read and decoded, no pipeline.
/// </summary>
[MemoryDiagnoser]
public class ReplayBenchmarks
{
    private static readonly FeatureSpec Spec = FeatureSpec.LoadDefault("payments").WithMaxCapacity(1 << 17);

    private const int Messages = 200_000;

    /// <summary>Which decisions carry reason codes: flagged (the default: reviews and declines) or every one.</summary>
    [Params(ReasonCodes.Flagged, ReasonCodes.All)]
    public ReasonCodes Reasons { get; set; }

    /// <summary>Whether the pipeline scores trees across events in groups (<see cref="PipelineOptions.ScoreInGroups"/>, what <c>lowlat replay</c> runs) or event by event.</summary>
    [Params(false, true)]
    public bool Groups { get; set; }

    private string _dir = string.Empty;
    private BootstrapModel _model = null!;

    /// <summary>Writes the journal once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "llreplay-bench-" + Environment.ProcessId);
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }

        var sim = new PaymentSimulator(new SimulatorOptions { Seed = 3, Cards = 50_000, Merchants = 5_000 });
        _model = HistoryTrainer.Train(new PaymentSimulator(new SimulatorOptions { Seed = 4, Cards = 50_000, Merchants = 5_000 }), 20_000, Spec,
            new BootstrapOptions { Trees = new Models.Training.GradientBoostingOptions { Trees = 100, MaxDepth = 6 } });
        _model.Features.Dispose();
        using var writer = JournalWriter.Open(new JournalOptions { Directory = _dir });
        var e = default(SimEvent);
        var buffer = new byte[256];
        for (int i = 0; i < Messages; i++)
        {
            sim.Next(ref e);
            int n = e.Kind == SimEventKind.Transaction ? TransactionCodec.Encode(buffer, e.Transaction) : LabelCodec.Encode(buffer, e.Label);
            writer.Append(e.Kind == SimEventKind.Transaction ? JournalRecordType.Transaction : JournalRecordType.Label, i, i, buffer.AsSpan(0, n));
        }
    }

    /// <summary>Deletes the journal.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Nothing to prepare; declared so the baseline runs with the pipeline's job settings (one invocation per iteration,
    /// as an iteration setup imposes) and BenchmarkDotNet puts both in one table with their ratio.
    /// </summary>
    [IterationSetup(Target = nameof(ReadAndDecode))]
    public void NoSetup()
    {
    }

    /// <summary>Baseline: read every record and decode it into a slot.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public long ReadAndDecode()
    {
        var decoder = new InboundDecoder();
        var slot = default(PipelineSlot);
        long sum = 0;
        using var source = new JournalSource(_dir);
        while (source.TryNext(out var m))
        {
            decoder.Decode(m.Bytes, ref slot, out int length);
            sum += length;
        }

        return sum;
    }

    private DecisionLog? _log;
    private ScoringPipeline<ReplaySink>? _pipeline;

    /// <summary>
    /// A fresh pipeline (empty feature tables, the model) started before each iteration, outside the measurement: its
    /// tables (hundreds of MB zeroed once) are a start-up cost a long replay amortises, not a per-message one.
    /// </summary>
    [IterationSetup(Target = nameof(FullPipelineReplay))]
    public void StartPipeline()
    {
        _log = new DecisionLog(Stream.Null, DecisionLogFormat.Binary, ownsStream: false);
        var options = new PipelineOptions { Features = Spec, RingSize = 1 << 14, Reasons = Reasons, ScoreInGroups = Groups };
        _pipeline = new ScoringPipeline<ReplaySink>(options, _model.Model, _model.Policy, new ReplaySink(_log, null));
        _pipeline.Start();
    }

    /// <summary>Frees the iteration's pipeline.</summary>
    [IterationCleanup(Target = nameof(FullPipelineReplay))]
    public void StopPipeline()
    {
        _pipeline?.Dispose();
        _log?.Dispose();
    }

    /// <summary>The whole replay: journal source, driver, pipeline, binary decision log to a null stream, drained.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public long FullPipelineReplay()
    {
        using var source = new JournalSource(_dir);
        var result = new ReplayDriver(0).Run(source, _pipeline!);
        _pipeline!.DrainAndStop(TimeSpan.FromMinutes(1));
        return result.Messages;
    }
}
