using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Simulation;
using LowLatency.Engine.Events;
using LowLatency.Engine.Features;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host.Tests;

public sealed class FeaturesExportTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lowlat-export-");

    public void Dispose() => _dir.Delete(recursive: true);

    private sealed class Captured
    {
        public readonly List<(ulong TxId, float[] Features, float Score)> Rows = [];
    }

    /// <summary>What the command builds from <c>--card-capacity 16384</c>: the shipped payments spec over tables of that size.</summary>
    private static readonly FeatureSpec Spec = FeatureSpec.LoadDefault("payments").WithMaxCapacity(16384);

    private static readonly string[] Names = Featurizer.NamesFor(FeaturePlan.Compile(Spec));

    private readonly struct CapturingSink(Captured captured) : IDecisionSink
    {
        public bool TryPublish(ref PipelineSlot slot)
        {
            ReadOnlySpan<float> f = slot.Features;
            captured.Rows.Add((slot.Decision.TxId, f[..Names.Length].ToArray(), slot.Decision.Score));
            return true;
        }

        public void OnOther(ref PipelineSlot slot)
        {
        }

        public void Flush()
        {
        }
    }

    [Fact]
    public void Exported_features_and_scores_equal_what_the_live_pipeline_computed_and_labels_join_by_tx_id()
    {
        string frames = Path.Combine(_dir.FullName, "f.bin");
        string csv = Path.Combine(_dir.FullName, "train.csv");
        Assert.Equal(0, Lowlat.Run(Bound, "gen", "--out", frames, "--events", "30000", "--cards", "5000").ExitCode);
        var (code, output, error) = Lowlat.Run(Bound, "features", "export", frames, "--out", csv, "--history", "5000", "--sim-cards", "5000", "--card-capacity", "16384");
        Assert.True(code == 0, output + error);

        // The live path: the same model, a pipeline fed decoded messages the way a receiver feeds it.
        var model = HistoryTrainer.Train(new PaymentSimulator(new SimulatorOptions { Seed = 42, Cards = 5000, Merchants = 500 }), 5000, Spec);
        model.Features.Dispose();
        var captured = new Captured();
        var labels = new Dictionary<ulong, LabelClass>();
        var bytes = File.ReadAllBytes(frames);
        using (var pipeline = new ScoringPipeline<CapturingSink>(new PipelineOptions { Features = Spec, RingSize = 1024 }, model.Model, model.Policy, new CapturingSink(captured)))
        {
            pipeline.Start();
            var decoder = new InboundDecoder();
            for (int at = 8; at < bytes.Length;)
            {
                int n = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
                var message = bytes.AsSpan(at + 4, n);
                if (LabelCodec.Decode(message, out var label, out _) == DecodeStatus.Ok)
                {
                    labels[label.TxId] = label.Class;
                }

                long s = pipeline.Sequencer.Next();
                decoder.Decode(message, ref pipeline.Ring[s], out _);
                pipeline.Ring[s].IngestTicks = Stopwatch.GetTimestamp();
                pipeline.Sequencer.Publish(s);
                at += 4 + n;
            }

            Assert.True(pipeline.DrainAndStop(TimeSpan.FromSeconds(30)));
        }

        var lines = File.ReadAllLines(csv);
        var header = lines[0].Split(',');
        Assert.Equal(["tx_id", "event_time_ns", .. Names, "score", "label", "label_time_ns"], header);
        Assert.Equal(captured.Rows.Count, lines.Length - 1);
        int labelled = 0;
        for (int i = 0; i < captured.Rows.Count; i++)
        {
            var cells = lines[i + 1].Split(',');
            var (tx, features, score) = captured.Rows[i];
            Assert.Equal(tx, ulong.Parse(cells[0], CultureInfo.InvariantCulture));
            for (int f = 0; f < features.Length; f++)
            {
                Assert.Equal(features[f], float.Parse(cells[2 + f], CultureInfo.InvariantCulture));
            }

            Assert.Equal(score, float.Parse(cells[2 + features.Length], CultureInfo.InvariantCulture));
            string label = cells[3 + features.Length];
            if (labels.TryGetValue(tx, out var cls))
            {
                Assert.Equal(cls == LabelClass.Fraud ? "1" : "0", label);
                labelled++;
            }
            else
            {
                Assert.Equal(string.Empty, label);
            }
        }

        Assert.True(labelled > 100, $"only {labelled} labelled rows");
        Assert.Equal(labels.Count, labelled);
    }
}
