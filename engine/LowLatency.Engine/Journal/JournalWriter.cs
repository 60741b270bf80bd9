using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace LowLatency.Engine.Journal;

/// <summary>
/// Appends records to memory-mapped segment files, rolling to a new segment when one is full. Single writer:
/// every append, sync and roll happens on the thread that owns it (the journal handler's). An append copies the
/// record into the mapping and computes its CRC; no allocation, no system call. Opening recovers: the tail
/// segment is scanned, and a torn or corrupt tail (a crash mid-write) is zeroed so appends continue after the
/// last good record; everything before it is kept.
/// </summary>
public sealed unsafe class JournalWriter : IDisposable
{
    private readonly long _syncIntervalTicks;
    private MappedSegment _segment;
    private long _segmentIndex;
    private long _offset;
    private long _syncedOffset;
    private long _recordsSinceSync;
    private long _lastSyncTicks;
    private long _nextSequence;
    private long _durableRecords;
    private long _prepareAt;
    private Task<MappedSegment>? _prepared;

    private JournalWriter(JournalOptions options, MappedSegment segment, long segmentIndex, long offset, long nextSequence, JournalRecovery recovery)
    {
        Options = options;
        _segment = segment;
        _segmentIndex = segmentIndex;
        _offset = offset;
        _syncedOffset = offset;
        _nextSequence = nextSequence;
        _syncIntervalTicks = (long)(options.SyncInterval.TotalSeconds * Stopwatch.Frequency);
        _lastSyncTicks = Stopwatch.GetTimestamp();
        _prepareAt = segment.Length / 2;
        Recovery = recovery;
        segment.Prefault(offset);
    }

    /// <summary>The options in force.</summary>
    public JournalOptions Options { get; }

    /// <summary>What opening found (and truncated).</summary>
    public JournalRecovery Recovery { get; }

    /// <summary>Sequence of the next inbound record: one past the last inbound record journaled.</summary>
    public long NextSequence => _nextSequence;

    /// <summary>Largest payload one record may carry with the configured segment size.</summary>
    public int MaxPayload => (int)Options.SegmentBytes - JournalFormat.SegmentHeaderLength - JournalFormat.AlignedLength(0);

    /// <summary>Records appended since opening.</summary>
    public long RecordsAppended { get; private set; }

    /// <summary>Bytes appended since opening (record lengths with padding).</summary>
    public long BytesAppended { get; private set; }

    /// <summary>
    /// Records appended since opening that an explicit sync has forced to the disk; readable from any thread
    /// (acquire: a reader that sees the count also sees the sync that produced it).
    /// </summary>
    public long DurableRecords => Volatile.Read(ref _durableRecords);

    /// <summary>Number of explicit syncs since opening.</summary>
    public long Syncs { get; private set; }

    /// <summary>Segments started since opening.</summary>
    public long Rolls { get; private set; }

    /// <summary>Opens (creating when missing) the journal in <see cref="JournalOptions.Directory"/> and repairs a torn tail.</summary>
    public static JournalWriter Open(JournalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Directory.CreateDirectory(options.Directory);
        var segments = JournalFormat.ListSegments(options.Directory);
        if (segments.Count == 0)
        {
            var fresh = CreateSegment(options, 0, 0);
            return new JournalWriter(options, fresh, 0, JournalFormat.SegmentHeaderLength, 0,
                new JournalRecovery(1, 0, JournalFormat.SegmentHeaderLength, 0, 0, 0, null));
        }

        var (index, path) = segments[^1];
        long previousNext = segments.Count > 1 ? NextSequenceOf(segments[^2].Path) : 0;
        var segment = MappedSegment.Open(path, options.SegmentBytes, writable: true);
        try
        {
            var bytes = segment.Bytes;
            if (!JournalFormat.TryReadSegmentHeader(bytes, out long headerIndex, out _, out long next) || headerIndex != index)
            {
                // A crash between creating the file and writing its header: nothing was appended here yet.
                bool empty = bytes[JournalFormat.SegmentHeaderLength..].IndexOfAnyExcept((byte)0) < 0;
                if (!empty)
                {
                    ThrowCorruptHeader(path);
                }

                JournalFormat.WriteSegmentHeader(bytes, index, segment.Length, previousNext);
                next = previousNext;
            }

            long offset = JournalFormat.SegmentHeaderLength;
            long records = 0;
            RecordCheck check;
            while (true)
            {
                check = JournalFormat.Check(bytes[(int)offset..], out int length);
                if (check != RecordCheck.Valid)
                {
                    break;
                }

                var type = (JournalRecordType)BinaryPrimitives.ReadUInt16LittleEndian(bytes[((int)offset + JournalFormat.TypeOffset)..]);
                long seq = BinaryPrimitives.ReadInt64LittleEndian(bytes[((int)offset + JournalFormat.SequenceOffset)..]);
                next = JournalFormat.ConsumesSequence(type) ? Math.Max(next, seq + 1) : Math.Max(next, seq);
                records++;
                offset += (length + JournalFormat.Alignment - 1) & ~(JournalFormat.Alignment - 1);
            }

            var rest = bytes[(int)offset..];
            int lastDirty = rest.LastIndexOfAnyExcept((byte)0);
            long truncated = 0;
            string? reason = null;
            if (lastDirty >= 0)
            {
                truncated = lastDirty + 1;
                reason = check switch
                {
                    RecordCheck.BadCrc => $"record at offset {offset} of segment {index} fails its CRC",
                    RecordCheck.BadLength => $"record at offset {offset} of segment {index} has an impossible length",
                    _ => $"non-zero bytes after the last record of segment {index} at offset {offset}",
                };
                rest[..(lastDirty + 1)].Clear();
                segment.Sync(offset, offset + truncated);
            }

            var recovery = new JournalRecovery(segments.Count, index, offset, records, next, truncated, reason);
            return new JournalWriter(options, segment, index, offset, next, recovery);
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reserves room for a record of up to <paramref name="maxPayload"/> bytes (starting a new segment when this
    /// one lacks it) and returns the payload area to encode into; finish with <see cref="Commit"/>. Nothing is
    /// visible until then; a claim that is not committed is simply overwritten by the next.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Claim(int maxPayload)
    {
        if ((uint)maxPayload > (uint)MaxPayload)
        {
            ThrowTooLarge(maxPayload);
        }

        if (_offset + JournalFormat.AlignedLength(maxPayload) > _segment.Length)
        {
            Roll();
        }

        return new Span<byte>(_segment.Base + _offset + JournalFormat.RecordHeaderLength, maxPayload);
    }

    /// <summary>Completes the claimed record: header, CRC, then the length word that makes it visible.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Commit(JournalRecordType type, long sequence, long receiveTimeNs, int payloadLength)
    {
        byte* record = _segment.Base + _offset;
        uint recordLength = (uint)(JournalFormat.RecordHeaderLength + payloadLength + JournalFormat.CrcLength);
        // Header fields as one little-endian layout: type (u16), reserved (u16), then the two i64s.
        Unsafe.WriteUnaligned(record + JournalFormat.TypeOffset, BitConverter.IsLittleEndian ? (uint)type : BinaryPrimitives.ReverseEndianness((uint)type));
        Unsafe.WriteUnaligned(record + JournalFormat.SequenceOffset, LittleEndian(sequence));
        Unsafe.WriteUnaligned(record + JournalFormat.ReceiveTimeOffset, LittleEndian(receiveTimeNs));
        int body = JournalFormat.RecordHeaderLength + payloadLength;
        uint crc = Crc32C.Append(~0u, recordLength);
        crc = ~Crc32C.Append(crc, new ReadOnlySpan<byte>(record + sizeof(uint), body - sizeof(uint)));
        Unsafe.WriteUnaligned(record + body, BitConverter.IsLittleEndian ? crc : BinaryPrimitives.ReverseEndianness(crc));
        PublishLength(record, recordLength);
        _offset += (recordLength + JournalFormat.Alignment - 1) & ~(JournalFormat.Alignment - 1);
        if (_offset > _prepareAt)
        {
            PrepareNextSegment();
        }

        _recordsSinceSync++;
        RecordsAppended++;
        BytesAppended += (recordLength + JournalFormat.Alignment - 1) & ~(JournalFormat.Alignment - 1);
        if (JournalFormat.ConsumesSequence(type))
        {
            _nextSequence = sequence + 1;
        }
        else if (sequence > _nextSequence)
        {
            _nextSequence = sequence;
        }
    }

    /// <summary>Appends a whole record (copies <paramref name="payload"/>).</summary>
    public void Append(JournalRecordType type, long sequence, long receiveTimeNs, ReadOnlySpan<byte> payload)
    {
        payload.CopyTo(Claim(payload.Length));
        Commit(type, sequence, receiveTimeNs, payload.Length);
    }

    /// <summary>
    /// The end of a batch of appends: applies the durability policy (Batch syncs when due, SyncBeforePublish
    /// always syncs, None never does).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EndOfBatch()
    {
        switch (Options.Durability)
        {
            case JournalDurability.SyncBeforePublish:
                Sync();
                break;
            case JournalDurability.Batch:
                if (_recordsSinceSync >= Options.SyncEveryRecords || (_recordsSinceSync > 0 && Stopwatch.GetTimestamp() - _lastSyncTicks >= _syncIntervalTicks))
                {
                    Sync();
                }

                break;
        }
    }

    /// <summary>Forces everything appended so far to the disk and waits for it.</summary>
    public void Sync()
    {
        if (_offset > _syncedOffset)
        {
            _segment.Sync(_syncedOffset, _offset);
            _syncedOffset = _offset;
            Syncs++;
        }

        // Release: the count is published after msync returned.
        Volatile.Write(ref _durableRecords, RecordsAppended);

        _recordsSinceSync = 0;
        _lastSyncTicks = Stopwatch.GetTimestamp();
    }

    /// <summary>Syncs (unless durability is None) and unmaps; deletes a prepared next segment that was never used.</summary>
    public void Dispose()
    {
        if (Options.Durability != JournalDurability.None)
        {
            Sync();
        }

        _segment.Dispose();
        if (_prepared is { } prepared)
        {
            // Never written to: remove it so the journal ends at the last segment with records.
            var unused = prepared.GetAwaiter().GetResult();
            unused.Dispose();
            File.Delete(unused.Path);
            _prepared = null;
        }
    }

    // The length word publishes the record: a release store so that a reader in another thread mapping the same
    // pages and acquiring the length sees the header, payload and CRC written before it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PublishLength(byte* record, uint length) =>
        Volatile.Write(ref Unsafe.AsRef<uint>(record), BitConverter.IsLittleEndian ? length : BinaryPrimitives.ReverseEndianness(length));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long LittleEndian(long v) => BitConverter.IsLittleEndian ? v : BinaryPrimitives.ReverseEndianness(v);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Roll()
    {
        if (Options.Durability != JournalDurability.None)
        {
            Sync();
        }

        var next = _prepared is { } prepared ? prepared.GetAwaiter().GetResult() : CreateFile(Options, _segmentIndex + 1);
        _prepared = null;
        JournalFormat.WriteSegmentHeader(next.Bytes, _segmentIndex + 1, next.Length, _nextSequence);
        _segment.Dispose();
        _segment = next;
        _segmentIndex++;
        _offset = JournalFormat.SegmentHeaderLength;
        _syncedOffset = Options.Durability != JournalDurability.None ? 0 : _offset;
        _prepareAt = _segment.Length / 2;
        Rolls++;
        if (Options.Durability != JournalDurability.None)
        {
            Sync();
        }
    }

    /// <summary>
    /// Halfway through a segment, creates and prefaults the next one on a pool thread, so a roll is a swap and no
    /// append takes a page fault. Its header is written at the roll (it needs the sequence reached by then).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void PrepareNextSegment()
    {
        _prepareAt = long.MaxValue;
        var options = Options;
        long index = _segmentIndex + 1;
        _prepared = Task.Run(() =>
        {
            var segment = CreateFile(options, index);
            segment.Prefault(0);
            return segment;
        });
    }

    private static MappedSegment CreateFile(JournalOptions options, long index) =>
        MappedSegment.Open(Path.Combine(options.Directory, JournalFormat.SegmentFileName(index)), options.SegmentBytes, writable: true);

    private static MappedSegment CreateSegment(JournalOptions options, long index, long nextSequence)
    {
        string path = Path.Combine(options.Directory, JournalFormat.SegmentFileName(index));
        var segment = MappedSegment.Open(path, options.SegmentBytes, writable: true);
        JournalFormat.WriteSegmentHeader(segment.Bytes, index, segment.Length, nextSequence);
        return segment;
    }

    private static long NextSequenceOf(string path)
    {
        using var reader = JournalReader.OpenSegment(path);
        long next = reader.HeaderNextSequence;
        while (reader.TryRead(out var r))
        {
            next = JournalFormat.ConsumesSequence(r.Type) ? Math.Max(next, r.Sequence + 1) : Math.Max(next, r.Sequence);
        }

        return next;
    }

    [DoesNotReturn]
    private void ThrowTooLarge(int length) => throw new ArgumentOutOfRangeException(nameof(length), length, $"A journal record payload may be at most {MaxPayload} bytes with {Options.SegmentBytes}-byte segments.");

    [DoesNotReturn]
    private static void ThrowCorruptHeader(string path) => throw new InvalidDataException($"Journal segment {path} has a corrupt header but holds data; refusing to append over it.");
}
