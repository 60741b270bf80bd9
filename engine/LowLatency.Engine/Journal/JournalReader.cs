using System.Buffers.Binary;

namespace LowLatency.Engine.Journal;

/// <summary>
/// Reads a journal's records in order across its segments, checking every CRC. A record that fails ends the
/// reading of its segment (its length cannot be trusted to find the next one); the problem is listed in
/// <see cref="Issues"/>, counted, and reading goes on with the next segment. Read-only: it never repairs
/// (opening a <see cref="JournalWriter"/> does that for the tail).
/// </summary>
public sealed class JournalReader : IDisposable
{
    private readonly List<(long Index, string Path)> _segments;
    private readonly List<JournalIssue> _issues = [];
    private int _next;
    private MappedSegment? _current;
    private long _currentIndex;
    private long _offset;

    private JournalReader(List<(long, string)> segments) => _segments = segments;

    /// <summary>Segment files found.</summary>
    public int SegmentCount => _segments.Count;

    /// <summary>Problems found so far (bad CRC, bad length, bad header).</summary>
    public IReadOnlyList<JournalIssue> Issues => _issues;

    /// <summary>Records that failed their CRC.</summary>
    public long CrcErrors { get; private set; }

    /// <summary>Records read back intact.</summary>
    public long RecordsRead { get; private set; }

    /// <summary>The next-sequence field of the first segment's header (where this journal started).</summary>
    public long HeaderNextSequence { get; private set; }

    /// <summary>Opens the journal in <paramref name="directory"/>; throws when there is no segment in it.</summary>
    public static JournalReader Open(string directory)
    {
        var segments = JournalFormat.ListSegments(directory);
        if (segments.Count == 0)
        {
            throw new FileNotFoundException($"No journal segments (*{JournalFormat.SegmentExtension}) in {directory}.");
        }

        var reader = new JournalReader(segments);
        reader.Advance();
        return reader;
    }

    /// <summary>Whether <paramref name="path"/> is a journal directory (holds at least one segment).</summary>
    public static bool IsJournal(string path) => Directory.Exists(path) && JournalFormat.ListSegments(path).Count > 0;

    internal static JournalReader OpenSegment(string path)
    {
        var reader = new JournalReader([(long.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture), path)]);
        reader.Advance();
        return reader;
    }

    /// <summary>Reads the next intact record; false at the end of the journal.</summary>
    public bool TryRead(out JournalRecord record)
    {
        while (_current is not null)
        {
            var bytes = _current.Bytes;
            var rest = bytes[(int)_offset..];
            var check = JournalFormat.Check(rest, out int length);
            if (check == RecordCheck.Valid)
            {
                long offset = _offset;
                _offset += (length + JournalFormat.Alignment - 1) & ~(JournalFormat.Alignment - 1);
                RecordsRead++;
                record = new JournalRecord(
                    (JournalRecordType)BinaryPrimitives.ReadUInt16LittleEndian(rest[JournalFormat.TypeOffset..]),
                    BinaryPrimitives.ReadInt64LittleEndian(rest[JournalFormat.SequenceOffset..]),
                    BinaryPrimitives.ReadInt64LittleEndian(rest[JournalFormat.ReceiveTimeOffset..]),
                    rest[JournalFormat.RecordHeaderLength..(length - JournalFormat.CrcLength)],
                    _currentIndex,
                    offset);
                return true;
            }

            long dirty = rest.LastIndexOfAnyExcept((byte)0) + 1;
            if (check != RecordCheck.End || dirty > 0)
            {
                if (check == RecordCheck.BadCrc)
                {
                    CrcErrors++;
                }

                string reason = check switch
                {
                    RecordCheck.BadCrc => "record fails its CRC",
                    RecordCheck.BadLength => "record length impossible",
                    _ => "non-zero bytes after the last record",
                };
                _issues.Add(new JournalIssue(_currentIndex, _offset, reason, dirty));
            }

            Advance();
        }

        record = default;
        return false;
    }

    /// <summary>Unmaps the current segment.</summary>
    public void Dispose()
    {
        _current?.Dispose();
        _current = null;
        _next = _segments.Count;
    }

    private void Advance()
    {
        _current?.Dispose();
        _current = null;
        while (_next < _segments.Count)
        {
            var (index, path) = _segments[_next++];
            var segment = MappedSegment.Open(path, 0, writable: false);
            if (!JournalFormat.TryReadSegmentHeader(segment.Bytes, out long headerIndex, out _, out long nextSequence) || headerIndex != index)
            {
                // An all-zero file is a segment prepared ahead of a roll that a crash left unused: nothing lost.
                if (segment.Bytes.IndexOfAnyExcept((byte)0) < 0)
                {
                    segment.Dispose();
                    continue;
                }

                _issues.Add(new JournalIssue(index, 0, "segment header missing or corrupt", segment.Bytes.LastIndexOfAnyExcept((byte)0) + 1));
                segment.Dispose();
                continue;
            }

            if (_next == 1)
            {
                HeaderNextSequence = nextSequence;
            }

            _current = segment;
            _currentIndex = index;
            _offset = JournalFormat.SegmentHeaderLength;
            return;
        }
    }
}
