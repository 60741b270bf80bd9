using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Journal;

namespace LowLatency.Adapters.Files;

/// <summary>One message from a replay source: what it is, when it was received (0 when the source does not know), and its bytes.</summary>
public readonly ref struct SourceMessage
{
    /// <summary>Creates a message view.</summary>
    public SourceMessage(JournalRecordType type, long receiveTimeNs, ReadOnlySpan<byte> bytes)
    {
        Type = type;
        ReceiveTimeNs = receiveTimeNs;
        Bytes = bytes;
    }

    /// <summary>An inbound type (the SBE header decides which) or a journal-only record such as <see cref="JournalRecordType.ModelSwap"/>.</summary>
    public JournalRecordType Type { get; }

    /// <summary>Receive time, ns since the Unix epoch; 0 when unknown (then pacing uses the message's event time).</summary>
    public long ReceiveTimeNs { get; }

    /// <summary>The SBE message (or the journal record payload); valid until the next call on the source.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The record type of an SBE message by its header's template id (0 when it is none of the inbound ones).</summary>
    public static JournalRecordType TypeOfSbe(ReadOnlySpan<byte> message)
    {
        if (!MessageHeader.TryRead(message, out var header))
        {
            return 0;
        }

        return (TemplateId)header.TemplateId switch
        {
            TemplateId.Transaction => JournalRecordType.Transaction,
            TemplateId.Label => JournalRecordType.Label,
            TemplateId.Order => JournalRecordType.Order,
            TemplateId.Control => JournalRecordType.Control,
            _ => 0,
        };
    }
}
