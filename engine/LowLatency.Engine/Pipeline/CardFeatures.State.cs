using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LowLatency.Engine.Journal;

namespace LowLatency.Engine.Pipeline;

public sealed partial class CardFeatures
{
    /// <summary>
    /// Writes the whole table (every slot, bytes as in memory) and the eviction count, followed by a CRC-32C of both.
    /// Call only from the thread that owns the table, or while nothing processes.
    /// </summary>
    public void WriteState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(header, _table.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], _evictions);
        var body = MemoryMarshal.AsBytes(_table.AsSpan());
        uint crc = Crc32C.Append(Crc32C.Append(~0u, header), body);
        stream.Write(header);
        stream.Write(body);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, ~crc);
        stream.Write(tail);
    }

    /// <summary>Replaces the table with one written by <see cref="WriteState"/> from a table of the same size; throws on any mismatch or corruption.</summary>
    public void ReadState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[16];
        stream.ReadExactly(header);
        long slots = BinaryPrimitives.ReadInt64LittleEndian(header);
        if (slots != _table.Length)
        {
            throw new InvalidDataException($"The saved card table has {slots} slots; this one has {_table.Length} (card capacity must match).");
        }

        var copy = new CardState[_table.Length];
        var body = MemoryMarshal.AsBytes(copy.AsSpan());
        stream.ReadExactly(body);
        Span<byte> tail = stackalloc byte[4];
        stream.ReadExactly(tail);
        uint crc = ~Crc32C.Append(Crc32C.Append(~0u, header), body);
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(tail))
        {
            throw new InvalidDataException("The saved card table fails its checksum.");
        }

        copy.CopyTo(_table, 0);
        _evictions = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
    }
}
