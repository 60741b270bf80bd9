using LowLatency.Models.Lifecycle;
using LowLatency.Models.Online;

namespace LowLatency.Models.Tests.Lifecycle;

public sealed class VersionStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "llv-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_version_round_trips_with_its_learner_and_corruption_is_detected()
    {
        var learner = new FtrlLearner(LifecycleStream.Dense, new FtrlOptions { HashBits = 8 });
        var stream = new LifecycleStream(1);
        for (int i = 0; i < 3000; i++)
        {
            var (x, k, y) = stream.Next();
            learner.TryUpdate(x, k, y, out _);
        }

        var store = new VersionStore(_dir);
        var champion = ChampionLearner.ForLogistic(learner);
        var model = champion.Snapshot();
        var written = store.Write(7, 6, 123, model, champion);
        var (read, restored) = store.Read(7);
        Assert.Equal((7u, 6u, 123L, written.Checksum), (read.Version, read.Parent, read.CreatedAtNs, read.Checksum));
        Assert.Equal(model.Logistic!.DenseWeights.ToArray(), read.Model.Logistic!.DenseWeights.ToArray());
        Assert.Equal(model.Logistic.HashedWeights.ToArray(), read.Model.Logistic.HashedWeights.ToArray());
        Assert.Equal(model.Logistic.Bias, read.Model.Logistic.Bias);
        Assert.NotNull(restored);
        Assert.Equal([7u], store.Versions());
        for (int i = 0; i < 500; i++)
        {
            var (x, k, y) = stream.Next();
            champion.TryUpdate(x, k, y, out double a);
            restored.TryUpdate(x, k, y, out double b);
            Assert.Equal(a, b);
        }

        string path = store.PathOf(7);
        var bytes = File.ReadAllBytes(path);
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            var bad = (byte[])bytes.Clone();
            bad[rng.Next(bad.Length)] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(path, bad);
            Assert.Throws<ModelFormatException>(() => store.Read(7));
        }

        File.WriteAllBytes(path, bytes[..^9]);
        Assert.Throws<ModelFormatException>(() => store.Read(7));
        File.WriteAllBytes(path, bytes);
        Assert.Equal(written.Checksum, store.Read(7).Version.Checksum);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }
}
