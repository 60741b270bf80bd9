using LowLatency.Engine.Journal;

namespace LowLatency.Adapters.Files;

/// <summary>Replays a journal: every intact record in order (inbound messages and model swaps), with its receive time.</summary>
public sealed class JournalSource : IMessageSource
{
    private readonly JournalReader _reader;
    private readonly long _fromSequence;
    private long _segment;

    /// <summary>Opens the journal in <paramref name="directory"/>; records with a sequence below <paramref name="fromSequence"/> are skipped.</summary>
    public JournalSource(string directory, long fromSequence = long.MinValue)
    {
        _reader = JournalReader.Open(directory);
        _fromSequence = fromSequence;
        Description = $"journal {directory} ({_reader.SegmentCount} segments)";
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public double Progress => _reader.SegmentCount == 0 ? 1 : Math.Min(1, (double)_segment / _reader.SegmentCount);

    /// <summary>Records that failed their CRC.</summary>
    public long Malformed => _reader.CrcErrors;

    /// <summary>The reader's findings (corrupt records and segments).</summary>
    public IReadOnlyList<JournalIssue> Issues => _reader.Issues;

    /// <inheritdoc/>
    public IReadOnlyList<string> Damage =>
        [.. _reader.Issues.Select(i => $"journal segment {i.Segment} at byte {i.Offset:N0}: {i.Reason}; {i.UnreadBytes:N0} bytes of the segment after it were not read")];

    /// <inheritdoc/>
    public bool TryNext(out SourceMessage message)
    {
        while (_reader.TryRead(out var r))
        {
            if (r.Sequence < _fromSequence)
            {
                continue;
            }

            _segment = r.Segment;
            message = new SourceMessage(r.Type, r.ReceiveTimeNs, r.Payload);
            return true;
        }

        _segment = _reader.SegmentCount;
        message = default;
        return false;
    }

    /// <inheritdoc/>
    public void Dispose() => _reader.Dispose();
}
