using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using LowLatency.Models.Champion;
using LowLatency.Models.Online;
using LowLatency.Models.Persistence;

namespace LowLatency.Models.Lifecycle;

/// <summary>
/// Versioned, checksummed model snapshots on disk, one file per version (<c>model-000007.llsnap</c>): the
/// champion (in our model-file format, <see cref="Persistence.ModelFile"/>) and the learner state that
/// produced it, so a rollback restores both and a replay can score with exactly the version a journal names.
/// Layout, little-endian: magic "LLMV", format (2), version, parent, created-at (event time, ns), payload
/// length, payload (u32 model length, model file, u8 has-learner, learner state), then a 64-bit checksum of
/// everything before it. Files are written to a temporary name and renamed, so a crash never leaves a
/// half-written version under its real name.
/// </summary>
public sealed class VersionStore
{
    private const uint Magic = 0x564D4C4C; // "LLMV"
    private const uint Format = 2;
    private const int HeaderBytes = 28;
    private readonly MemoryStream _buffer = new();

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

    /// <summary>Versions present on disk, in increasing order (files named as <see cref="PathOf"/> names them).</summary>
    public IReadOnlyList<uint> Versions()
    {
        var list = new List<uint>();
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory, "model-*.llsnap"))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (uint.TryParse(name.AsSpan("model-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out uint v))
            {
                list.Add(v);
            }
        }

        list.Sort();
        return list;
    }

    /// <summary>Writes a version; returns its descriptor (with the checksum).</summary>
    public ModelVersion Write(uint version, uint parent, long createdAtNs, ChampionModel model, ChampionLearner? learner)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_buffer)
        {
            // The whole file is composed in one buffer kept for the next version (megabytes of learner state: no
            // intermediate arrays per promotion), then written out once.
            _buffer.SetLength(0);
            _buffer.Write(stackalloc byte[HeaderBytes + sizeof(int)]); // header, then the model file's length: filled in below
            int modelLength = ModelFile.Append(model, _buffer);
            using (var w = new BinaryWriter(_buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                w.Write(learner is not null);
                learner?.WriteState(w);
            }

            int length = checked((int)_buffer.Length - HeaderBytes);
            var span = _buffer.GetBuffer().AsSpan(0, HeaderBytes + length);
            BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Format);
            BinaryPrimitives.WriteUInt32LittleEndian(span[8..], version);
            BinaryPrimitives.WriteUInt32LittleEndian(span[12..], parent);
            BinaryPrimitives.WriteInt64LittleEndian(span[16..], createdAtNs);
            BinaryPrimitives.WriteInt32LittleEndian(span[24..], length);
            BinaryPrimitives.WriteInt32LittleEndian(span[HeaderBytes..], modelLength);
            ulong checksum = Checksum64.Of(span);
            Span<byte> trailer = stackalloc byte[sizeof(ulong)];
            BinaryPrimitives.WriteUInt64LittleEndian(trailer, checksum);
            _buffer.Write(trailer);
            string path = PathOf(version);
            string temp = path + ".tmp";
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
            {
                file.Write(_buffer.GetBuffer().AsSpan(0, (int)_buffer.Length));
            }

            File.Move(temp, path, overwrite: true);
            return new ModelVersion(version, parent, createdAtNs, model, checksum);
        }
    }

    /// <summary>Reads and verifies a version; <see cref="ModelFormatException"/> names what is wrong.</summary>
    public (ModelVersion Version, ChampionLearner? Learner) Read(uint version, ChampionLearnerOptions? learnerOptions = null)
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
            int modelLength = r.ReadInt32();
            if (modelLength < 0 || modelLength > length - 4)
            {
                Bad(path, $"model length {modelLength} does not fit the payload of {length} bytes");
            }

            var model = ModelFile.Read(r.ReadBytes(modelLength));
            var learner = r.ReadBoolean() ? ChampionLearner.ReadState(r, model, learnerOptions) : null;
            return (new ModelVersion(version, parent, created, model, expected), learner);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or ModelFormatException)
        {
            throw new ModelFormatException($"{path}: {e.Message}", e);
        }
    }

    [DoesNotReturn]
    private static void Bad(string path, string why) => throw new ModelFormatException($"{path}: {why}.");
}
