namespace LowLatency.Engine.Journal;

/// <summary>One record as read back: a view into the mapped segment, valid until the reader moves on.</summary>
public readonly ref struct JournalRecord
{
    internal JournalRecord(JournalRecordType type, long sequence, long receiveTimeNs, ReadOnlySpan<byte> payload, long segment, long offset)
    {
        Type = type;
        Sequence = sequence;
        ReceiveTimeNs = receiveTimeNs;
        Payload = payload;
        Segment = segment;
        Offset = offset;
    }

    /// <summary>What the payload holds.</summary>
    public JournalRecordType Type { get; }

    /// <summary>Ring sequence of an inbound message (the next one, for other records).</summary>
    public long Sequence { get; }

    /// <summary>When the engine received it, ns since the Unix epoch.</summary>
    public long ReceiveTimeNs { get; }

    /// <summary>The bytes journaled (an SBE message for inbound types).</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Segment index the record lives in.</summary>
    public long Segment { get; }

    /// <summary>Byte offset of the record in its segment.</summary>
    public long Offset { get; }
}

/// <summary>A problem the reader found.</summary>
/// <param name="Segment">Segment index.</param>
/// <param name="Offset">Byte offset where reading of that segment stopped.</param>
/// <param name="Reason">What was wrong.</param>
/// <param name="UnreadBytes">Non-zero bytes from there to the end of the segment (what could not be read).</param>
public readonly record struct JournalIssue(long Segment, long Offset, string Reason, long UnreadBytes);
