using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using LowLatency.Models.Linear;
using LowLatency.Models.Online;

namespace LowLatency.Models.Lifecycle;

/// <summary>
/// Versioned, checksummed model snapshots on disk, one file per version (<c>model-000007.llsnap</c>): the
/// scoring weights and the learner state that produced them, so a rollback restores both. Layout,
/// little-endian: magic "LLMV", format, version, parent, created-at (event time, ns), payload length,
/// payload, then a 64-bit checksum of everything before it. Files are written to a temporary name and
/// renamed, so a crash never leaves a half-written version under its real name.
/// </summary>
public sealed class VersionStore
{
    private const uint Magic = 0x564D4C4C; // "LLMV"
    private const uint Format = 1;
    private const int HeaderBytes = 28;

    /// <summary>Uses (and creates) <paramref name="directory"/>.</summary>
    public VersionStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
    }

    /// <summary>Where the snapshots live.</summary>
    public string Directory { get; }

    /// <summary>File of one version.</summary>
    public string PathOf(uint version) => Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"model-{version:D6}.llsnap"));

    /// <summary>Writes a version; returns its descriptor (with the checksum).</summary>
    public ModelVersion Write(uint version, uint parent, long createdAtNs, LogisticModel model, FtrlLearner? learner)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(model.DenseCount);
            w.Write(model.HashBits);
            w.Write(model.Bias);
            foreach (float v in model.DenseWeights)
            {
                w.Write(v);
            }

            foreach (float v in model.HashedWeights)
            {
                w.Write(v);
            }

            w.Write(learner is not null);
            learner?.WriteState(w);
        }

        int length = checked((int)payload.Length);
        var file = new byte[HeaderBytes + length + sizeof(ulong)];
        var span = file.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Format);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], version);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], parent);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], createdAtNs);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], length);
        payload.GetBuffer().AsSpan(0, length).CopyTo(span[HeaderBytes..]);
        ulong checksum = Checksum64.Of(span[..(HeaderBytes + length)]);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(HeaderBytes + length)..], checksum);
        string path = PathOf(version);
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, file);
        File.Move(temp, path, overwrite: true);
        return new ModelVersion(version, parent, createdAtNs, model, checksum);
    }

    /// <summary>Reads and verifies a version; <see cref="ModelFormatException"/> names what is wrong.</summary>
    public (ModelVersion Version, FtrlLearner? Learner) Read(uint version)
    {
        string path = PathOf(version);
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < HeaderBytes + sizeof(ulong))
        {
            Bad(path, $"{file.Length} bytes is shorter than a header");
        }

        var span = file.AsSpan();
        if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic || BinaryPrimitives.ReadUInt32LittleEndian(span[4..]) != Format)
        {
            Bad(path, "not a format-1 model snapshot");
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(span[24..]);
        if (length < 0 || HeaderBytes + (long)length + sizeof(ulong) != file.Length)
        {
            Bad(path, $"payload length {length} does not match the file size {file.Length}");
        }

        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(span[(HeaderBytes + length)..]);
        ulong actual = Checksum64.Of(span[..(HeaderBytes + length)]);
        if (expected != actual)
        {
            Bad(path, $"checksum {actual:x16} does not match the recorded {expected:x16}");
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
        if (stored != version)
        {
            Bad(path, $"holds version {stored}, not {version}");
        }

        uint parent = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
        long created = BinaryPrimitives.ReadInt64LittleEndian(span[16..]);
        using var r = new BinaryReader(new MemoryStream(file, HeaderBytes, length, writable: false));
        try
        {
            int dense = r.ReadInt32();
            int bits = r.ReadInt32();
            if (dense is < 0 or > 1 << 20 || bits is < 1 or > 26)
            {
                Bad(path, $"dense count {dense} or hash bits {bits} out of range");
            }

            float bias = r.ReadSingle();
            var denseWeights = new float[dense];
            for (int i = 0; i < dense; i++)
            {
                denseWeights[i] = r.ReadSingle();
            }

            var hashed = new float[1 << bits];
            for (int i = 0; i < hashed.Length; i++)
            {
                hashed[i] = r.ReadSingle();
            }

            var model = new LogisticModel(denseWeights, hashed, bias);
            var learner = r.ReadBoolean() ? FtrlLearner.ReadState(r) : null;
            return (new ModelVersion(version, parent, created, model, expected), learner);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new ModelFormatException($"{path}: {e.Message}", e);
        }
    }

    [DoesNotReturn]
    private static void Bad(string path, string why) => throw new ModelFormatException($"{path}: {why}.");
}
