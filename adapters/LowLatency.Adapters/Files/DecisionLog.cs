using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Writes decisions to a stream in a deterministic format (<see cref="DecisionLogFormat"/>) through its own
/// preallocated buffer: no allocation per decision. Owned by the thread that publishes decisions.
/// </summary>
public sealed class DecisionLog : IDisposable
{
    /// <summary>First bytes of a binary decision log.</summary>
    public static ReadOnlySpan<byte> Magic => "LLDECN01"u8;

    /// <summary>Header row of the CSV format.</summary>
    public const string CsvHeader = "tx_id,outcome,score,model_version,reasons";

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _used;

    /// <summary>Writes to <paramref name="stream"/> (disposed with the log when <paramref name="ownsStream"/>).</summary>
    public DecisionLog(Stream stream, DecisionLogFormat format, bool ownsStream = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _ownsStream = ownsStream;
        Format = format;
        if (format == DecisionLogFormat.Binary)
        {
            _stream.Write(Magic);
        }
        else
        {
            _stream.Write(Encoding.ASCII.GetBytes(CsvHeader + "\n"));
        }
    }

    /// <summary>The format written.</summary>
    public DecisionLogFormat Format { get; }

    /// <summary>Decisions written.</summary>
    public long Count { get; private set; }

    /// <summary>Appends the slot's decision.</summary>
    public void Write(ref PipelineSlot slot)
    {
        const int Room = 512;
        if (_buffer.Length - _used < Room)
        {
            Flush();
        }

        var span = _buffer.AsSpan(_used);
        _used += Format == DecisionLogFormat.Binary ? WriteBinary(ref slot, span) : WriteCsv(ref slot, span);
        Count++;
    }

    /// <summary>Writes the buffered bytes to the stream.</summary>
    public void Flush()
    {
        _stream.Write(_buffer, 0, _used);
        _used = 0;
    }

    /// <summary>Flushes and closes.</summary>
    public void Dispose()
    {
        Flush();
        _stream.Flush();
        if (_ownsStream)
        {
            _stream.Dispose();
        }
    }

    private static int WriteBinary(ref PipelineSlot slot, Span<byte> span)
    {
        Span<WireReason> reasons = stackalloc WireReason[ReasonBuffer.Capacity];
        int count = Math.Min((int)slot.ReasonCount, ReasonBuffer.Capacity);
        for (int i = 0; i < count; i++)
        {
            reasons[i] = new WireReason(slot.Reasons[i].FeatureId, slot.Reasons[i].Contribution);
        }

        Decision d = slot.Decision;
        d.IngestTimeNs = 0;
        d.DecideTimeNs = 0;
        int n = DecisionCodec.Encode(span[4..], d, reasons[..count]);
        BinaryPrimitives.WriteInt32LittleEndian(span, n);
        return 4 + n;
    }

    private static int WriteCsv(ref PipelineSlot slot, Span<byte> span)
    {
        var inv = CultureInfo.InvariantCulture;
        int n = 0;
        slot.Decision.TxId.TryFormat(span, out int w, default, inv);
        n += w;
        span[n++] = (byte)',';
        n += Ascii(slot.Decision.Outcome switch { Outcome.Approve => "approve"u8, Outcome.Review => "review"u8, _ => "decline"u8 }, span[n..]);
        span[n++] = (byte)',';
        slot.Decision.Score.TryFormat(span[n..], out w, "R", inv);
        n += w;
        span[n++] = (byte)',';
        slot.Decision.ModelVersion.TryFormat(span[n..], out w, default, inv);
        n += w;
        span[n++] = (byte)',';
        int count = Math.Min((int)slot.ReasonCount, ReasonBuffer.Capacity);
        for (int i = 0; i < count; i++)
        {
            if (i > 0)
            {
                span[n++] = (byte)';';
            }

            slot.Reasons[i].FeatureId.TryFormat(span[n..], out w, default, inv);
            n += w;
            span[n++] = (byte)':';
            slot.Reasons[i].Contribution.TryFormat(span[n..], out w, "R", inv);
            n += w;
        }

        span[n++] = (byte)'\n';
        return n;
    }

    private static int Ascii(ReadOnlySpan<byte> text, Span<byte> span)
    {
        text.CopyTo(span);
        return text.Length;
    }
}
