using System.Diagnostics;
using LowLatency.Engine.Pipeline;
using LowLatency.Engine.Ring;

namespace LowLatency.Engine.Journal;

/// <summary>
/// The ring consumer that journals every accepted inbound message — and every model swap the engine put into the
/// input sequence (as a <see cref="JournalRecordType.ModelSwap"/> record) — in sequence order, encoding it straight into
/// the mapped segment. Slots the decoder rejected (kind None) are not journaled: they leave a gap in the record
/// sequences that <c>lowlat inspect</c> reports. The durability policy runs at the end of each batch.
/// </summary>
public struct JournalHandler<TEncoder> : IEventHandler<PipelineSlot>
    where TEncoder : struct, IJournalEncoder
{
    private readonly JournalWriter _writer;
    private readonly JournalCounters _counters;
    private readonly long _baseSequence;
    private readonly long _anchorUnixNs;
    private readonly long _anchorTicks;
    private readonly double _nsPerTick;
    private readonly TEncoder _encoder;

    /// <summary>
    /// Journals ring sequence s as record sequence <c>writer.NextSequence + s</c>, so sequences keep increasing
    /// across restarts (each process's ring starts at 0).
    /// </summary>
    public JournalHandler(JournalWriter writer, TEncoder encoder, JournalCounters counters)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(counters);
        _writer = writer;
        _encoder = encoder;
        _counters = counters;
        _baseSequence = writer.NextSequence;
        _anchorUnixNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        _anchorTicks = Stopwatch.GetTimestamp();
        _nsPerTick = 1e9 / Stopwatch.Frequency;
    }

    /// <inheritdoc/>
    public void OnEvent(ref PipelineSlot evt, long sequence, bool endOfBatch)
    {
        if (evt.Kind is >= MessageKind.Transaction and <= MessageKind.ModelSwap)
        {
            var destination = _writer.Claim(_encoder.MaxLength);
            int n = _encoder.Encode(ref evt, destination);
            if (n > 0)
            {
                long receivedNs = _anchorUnixNs + (long)((evt.IngestTicks - _anchorTicks) * _nsPerTick);
                var type = evt.Kind == MessageKind.ModelSwap ? JournalRecordType.ModelSwap : (JournalRecordType)evt.Kind;
                _writer.Commit(type, _baseSequence + sequence, receivedNs, n);
            }
            else
            {
                _counters.EncodeFailures++;
            }
        }
        else
        {
            _counters.Skipped++;
        }

        if (endOfBatch)
        {
            _writer.EndOfBatch();
        }
    }
}
