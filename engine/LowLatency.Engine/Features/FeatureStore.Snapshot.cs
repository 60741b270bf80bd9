using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace LowLatency.Engine.Features;

/// <summary>
/// Snapshot format (little-endian, every section a multiple of 8 bytes):
/// magic "LLFEATS\0" | version u64 | plan fingerprint u64 | watermark, 5 counters (i64 each) | table count u64 |
/// per table: capacity u64, slot bytes u64, 3 table counters, keys (capacity x u64), state (capacity x slot bytes) |
/// checksum u64 of everything before it. The state is the raw table memory, so a loaded store is byte-equal.
/// </summary>
public sealed unsafe partial class FeatureStore
{
    private const ulong SnapshotMagic = 0x0053544145464C4CUL; // "LLFEATS\0" little-endian
    private const ulong SnapshotVersion = 1;
    private const int ChunkBytes = 1 << 20;

    /// <summary>Writes the whole store (state, watermark, counters) to <paramref name="stream"/>. Not on the hot path: allocates a copy buffer.</summary>
    public void WriteSnapshot(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var sum = new SnapshotChecksum();
        byte[] buffer = new byte[ChunkBytes];
        void Word(ulong v)
        {
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, v);
            sum.Add(b);
            stream.Write(b);
        }

        void Block(byte* p, long length)
        {
            for (long off = 0; off < length; off += ChunkBytes)
            {
                int n = (int)Math.Min(ChunkBytes, length - off);
                new ReadOnlySpan<byte>(p + off, n).CopyTo(buffer);
                sum.Add(buffer.AsSpan(0, n));
                stream.Write(buffer, 0, n);
            }
        }

        Word(SnapshotMagic);
        Word(SnapshotVersion);
        Word(_plan.Fingerprint);
        Word((ulong)_watermark);
        Word((ulong)_events);
        Word((ulong)_accepted);
        Word((ulong)_late);
        Word((ulong)_future);
        Word((ulong)_invalidTime);
        Word((ulong)_tables.Length);
        foreach (EntityTable t in _tables)
        {
            Word((ulong)t.Capacity);
            Word((ulong)t.SlotBytes);
            Word((ulong)t.Inserted);
            Word((ulong)t.EvictedTtl);
            Word((ulong)t.EvictedFull);
            Block((byte*)t.Keys, t.KeyBytes);
            Block(t.State, t.StateBytes);
        }

        Span<byte> tail = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(tail, sum.Value);
        stream.Write(tail);
    }

    /// <summary>
    /// Loads a store written by <see cref="WriteSnapshot"/> for the same plan layout. Throws
    /// <see cref="InvalidDataException"/> with the reason when the snapshot is truncated, corrupted, of
    /// another version or of another plan; the half-loaded store is freed.
    /// </summary>
    public static FeatureStore LoadSnapshot(Stream stream, FeaturePlan plan)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var store = new FeatureStore(plan);
        try
        {
            store.ReadSnapshot(stream);
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private void ReadSnapshot(Stream stream)
    {
        var sum = new SnapshotChecksum();
        byte[] buffer = new byte[ChunkBytes];
        ulong Word(string what)
        {
            Span<byte> b = stackalloc byte[8];
            Exactly(stream, b, what);
            sum.Add(b);
            return BinaryPrimitives.ReadUInt64LittleEndian(b);
        }

        void Block(byte* p, long length, string what)
        {
            for (long off = 0; off < length; off += ChunkBytes)
            {
                int n = (int)Math.Min(ChunkBytes, length - off);
                Exactly(stream, buffer.AsSpan(0, n), what);
                sum.Add(buffer.AsSpan(0, n));
                buffer.AsSpan(0, n).CopyTo(new Span<byte>(p + off, n));
            }
        }

        if (Word("magic") != SnapshotMagic)
        {
            Bad("not a feature store snapshot (bad magic)");
        }

        ulong version = Word("version");
        if (version != SnapshotVersion)
        {
            Bad($"snapshot version {version} is not supported (this build reads version {SnapshotVersion})");
        }

        if (Word("plan fingerprint") != _plan.Fingerprint)
        {
            Bad("snapshot was written for a different feature plan layout (spec changed: entities, windows, buckets or capacities)");
        }

        long watermark = (long)Word("watermark");
        long events = (long)Word("counters");
        long accepted = (long)Word("counters");
        long late = (long)Word("counters");
        long future = (long)Word("counters");
        long invalid = (long)Word("counters");
        if (Word("table count") != (ulong)_tables.Length)
        {
            Bad("table count does not match the plan");
        }

        var tableCounters = new long[_tables.Length * 3];
        for (int i = 0; i < _tables.Length; i++)
        {
            EntityTable t = _tables[i];
            if (Word("table header") != (ulong)t.Capacity || Word("table header") != (ulong)t.SlotBytes)
            {
                Bad($"table {i} geometry does not match the plan");
            }

            tableCounters[(i * 3) + 0] = (long)Word("table counters");
            tableCounters[(i * 3) + 1] = (long)Word("table counters");
            tableCounters[(i * 3) + 2] = (long)Word("table counters");
            Block((byte*)t.Keys, t.KeyBytes, $"table {i} keys");
            Block(t.State, t.StateBytes, $"table {i} state");
        }

        ulong expected = sum.Value;
        Span<byte> tail = stackalloc byte[8];
        Exactly(stream, tail, "checksum");
        if (BinaryPrimitives.ReadUInt64LittleEndian(tail) != expected)
        {
            Bad("checksum mismatch: the snapshot is corrupted");
        }

        _watermark = watermark;
        _events = events;
        _accepted = accepted;
        _late = late;
        _future = future;
        _invalidTime = invalid;
        for (int i = 0; i < _tables.Length; i++)
        {
            _tables[i].Inserted = tableCounters[(i * 3) + 0];
            _tables[i].EvictedTtl = tableCounters[(i * 3) + 1];
            _tables[i].EvictedFull = tableCounters[(i * 3) + 2];
        }
    }

    private static void Exactly(Stream stream, Span<byte> into, string what)
    {
        int read = stream.ReadAtLeast(into, into.Length, throwOnEndOfStream: false);
        if (read < into.Length)
        {
            Bad($"snapshot is truncated (ended inside the {what})");
        }
    }

    [DoesNotReturn]
    private static void Bad(string why) => throw new InvalidDataException("feature store snapshot rejected: " + why);
}
