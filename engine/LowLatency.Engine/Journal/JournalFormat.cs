using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace LowLatency.Engine.Journal;

/// <summary>
/// The on-disk layout, in one place. A journal is a directory of segment files <c>NNNNNNNNNN.journal</c>, each
/// preallocated to its full size (zeros) and written through a memory mapping.
/// <code>
/// segment header (64 bytes)                 record (8-byte aligned)
///   0  magic "LLJRNL01"                        0  u32 recordLength = 24 + payload + 4 (0 = no more records)
///   8  u32 header length (64)                  4  u16 type (JournalRecordType)
///  12  u32 format version (1)                  6  u16 reserved, 0
///  16  i64 segment index                       8  i64 sequence
///  24  i64 segment length in bytes            16  i64 receive time, ns since the Unix epoch
///  32  i64 next sequence when created         24  payload
///  40  reserved, 0                         24+p  u32 CRC-32C of bytes [0, 24+p)
///  60  u32 CRC-32C of bytes [0, 60)
/// </code>
/// All integers little-endian. A record's length word is written last, so a reader never sees a record whose
/// length is set but whose body is not (within one process); across a power loss the CRC catches torn writes.
/// </summary>
internal static class JournalFormat
{
    public const int SegmentHeaderLength = 64;
    public const int RecordHeaderLength = 24;
    public const int CrcLength = 4;
    public const int Alignment = 8;
    public const uint FormatVersion = 1;
    public const string SegmentExtension = ".journal";

    public static ReadOnlySpan<byte> Magic => "LLJRNL01"u8;

    public const int TypeOffset = 4;
    public const int ReservedOffset = 6;
    public const int SequenceOffset = 8;
    public const int ReceiveTimeOffset = 16;

    /// <summary>Bytes a record with <paramref name="payloadLength"/> payload bytes occupies, padding included.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AlignedLength(int payloadLength) => (RecordHeaderLength + payloadLength + CrcLength + (Alignment - 1)) & ~(Alignment - 1);

    public static string SegmentFileName(long index) => index.ToString("D10", System.Globalization.CultureInfo.InvariantCulture) + SegmentExtension;

    /// <summary>Segment files in <paramref name="directory"/>, by index.</summary>
    public static List<(long Index, string Path)> ListSegments(string directory)
    {
        var list = new List<(long, string)>();
        if (!System.IO.Directory.Exists(directory))
        {
            return list;
        }

        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*" + SegmentExtension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long index))
            {
                list.Add((index, path));
            }
        }

        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    public static void WriteSegmentHeader(Span<byte> header, long index, long length, long nextSequence)
    {
        header[..SegmentHeaderLength].Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], SegmentHeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], index);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], length);
        BinaryPrimitives.WriteInt64LittleEndian(header[32..], nextSequence);
        BinaryPrimitives.WriteUInt32LittleEndian(header[60..], Crc32C.Compute(header[..60]));
    }

    /// <summary>Checks a segment header; on success returns its index, length and the next sequence when it was created.</summary>
    public static bool TryReadSegmentHeader(ReadOnlySpan<byte> header, out long index, out long length, out long nextSequence)
    {
        index = length = nextSequence = 0;
        if (header.Length < SegmentHeaderLength || !header[..8].SequenceEqual(Magic)
            || BinaryPrimitives.ReadUInt32LittleEndian(header[60..]) != Crc32C.Compute(header[..60])
            || BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != SegmentHeaderLength
            || BinaryPrimitives.ReadUInt32LittleEndian(header[12..]) != FormatVersion)
        {
            return false;
        }

        index = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        length = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        nextSequence = BinaryPrimitives.ReadInt64LittleEndian(header[32..]);
        return true;
    }

    /// <summary>
    /// Parses the record at the start of <paramref name="rest"/> (the rest of a segment). <paramref name="recordLength"/>
    /// is the unaligned length of a valid record.
    /// </summary>
    public static RecordCheck Check(ReadOnlySpan<byte> rest, out int recordLength)
    {
        recordLength = 0;
        if (rest.Length < sizeof(uint))
        {
            return RecordCheck.End;
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(rest);
        if (length == 0)
        {
            return RecordCheck.End;
        }

        if (length < RecordHeaderLength + CrcLength || length > (uint)rest.Length)
        {
            return RecordCheck.BadLength;
        }

        int body = (int)length - CrcLength;
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(rest[body..]);
        if (stored != Crc32C.Compute(rest[..body]) || BinaryPrimitives.ReadUInt16LittleEndian(rest[ReservedOffset..]) != 0)
        {
            return RecordCheck.BadCrc;
        }

        recordLength = (int)length;
        return RecordCheck.Valid;
    }

    /// <summary>Inbound messages take a sequence number each; other records are stamped with the next one without taking it.</summary>
    public static bool ConsumesSequence(JournalRecordType type) => type is >= JournalRecordType.Transaction and <= JournalRecordType.Control;
}

/// <summary>Outcome of parsing one record.</summary>
internal enum RecordCheck
{
    Valid,
    End,
    BadLength,
    BadCrc,
}
