using System.Buffers.Binary;
using System.Text.RegularExpressions;
using LowLatency.Adapters.Sbe;
using LowLatency.Adapters.Simulation;

namespace LowLatency.Host.Tests;

/// <summary><c>--learning on</c> through the real binary: a replay that learns, journaled, then replayed exactly.</summary>
public sealed class LearningCommandTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(180);
    private static readonly string[] Bootstrap = ["--history", "2000", "--sim-cards", "2000", "--card-capacity", "16384", "--trees", "5", "--tree-depth", "3"];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lowlat-learning-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string P(string name) => Path.Combine(_dir.FullName, name);

    private static (int Code, string Out) Run(params string[] args)
    {
        var (code, output, error) = Lowlat.Run(Bound, args);
        return (code, Regex.Replace(output + error, @"\s+", " "));
    }

    /// <summary>A frames file of simulated payments whose labels arrive within 20 simulated seconds.</summary>
    private void WriteFrames(string path, int count)
    {
        var sim = new PaymentSimulator(new SimulatorOptions
        {
            Seed = 12, Cards = 2000, Merchants = 200, CustomerReportDelay = TimeSpan.FromSeconds(20), CustomerReportShare = 1.0,
            GenuineLabelDelay = TimeSpan.FromSeconds(20), GenuineLabelShare = 0.5,
        });
        var e = default(SimEvent);
        using var file = File.Create(path);
        file.Write("LLFRAME1"u8);
        var buffer = new byte[256];
        for (int i = 0; i < count; i++)
        {
            sim.Next(ref e);
            int n = e.Kind == SimEventKind.Transaction ? TransactionCodec.Encode(buffer.AsSpan(4), e.Transaction) : LabelCodec.Encode(buffer.AsSpan(4), e.Label);
            BinaryPrimitives.WriteInt32LittleEndian(buffer, n);
            file.Write(buffer, 0, 4 + n);
        }
    }

    [Fact]
    public void A_replay_that_learns_is_journaled_with_its_swaps_and_replaying_the_journal_gives_the_same_decisions()
    {
        WriteFrames(P("stream.bin"), 30_000);
        var (code, output) = Run([
            "replay", P("stream.bin"), "--speed", "150x", "--journal", P("journal"), "--decisions", P("live.bin"),
            "--learning", "on", "--min-labels", "200", "--promotion-margin", "0", .. Bootstrap]);
        Assert.True(code == 0, output);
        Assert.Contains($"Learning on: versions in {P("journal")}/versions", output, StringComparison.Ordinal);
        var swaps = Regex.Match(output, @"Model swaps: ([\d,]+) in the input, ([\d,]+) put in force");
        Assert.True(swaps.Success, output);
        Assert.True(int.Parse(swaps.Groups[2].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture) >= 1, output);
        Assert.Contains("Model transitions", output, StringComparison.Ordinal);
        Assert.Contains("Promoted", output, StringComparison.Ordinal);
        Assert.NotEmpty(Directory.GetFiles(P("journal/versions"), "model-*.llsnap"));

        (code, output) = Run(["inspect", P("journal")]);
        Assert.True(code == 0, output);
        Assert.Contains("learner", output, StringComparison.Ordinal);

        (code, output) = Run(["replay", P("journal"), "--decisions", P("again.bin"), .. Bootstrap]);
        Assert.True(code == 0, output);
        Assert.Matches(@"Model versions from .*versions: \d+ loaded", output);
        Assert.DoesNotContain("name a model other than", output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(P("live.bin")), File.ReadAllBytes(P("again.bin")));
    }

    [Fact]
    public void Learning_cannot_be_combined_with_recover()
    {
        var (code, output) = Run(["replay", P("missing.bin"), "--journal", P("j"), "--recover", "--learning", "on", .. Bootstrap]);
        Assert.NotEqual(0, code);
        Assert.Contains("--recover", output, StringComparison.Ordinal);
    }
}
