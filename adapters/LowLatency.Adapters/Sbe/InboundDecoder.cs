using System.Runtime.CompilerServices;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Sbe;

/// <summary>
/// Decodes any inbound message (Transaction, Label, Order, Control) straight into a pipeline slot, choosing
/// by the header's template id. Every outcome is counted; a reject leaves the slot's kind at None.
/// </summary>
public sealed class InboundDecoder
{
    /// <summary>Outcomes by reason (owned by the decoding thread).</summary>
    public DecodeCounters Counters { get; } = new();

    /// <summary>Decodes one message at the start of <paramref name="buffer"/> into <paramref name="slot"/>; <paramref name="length"/> is its length when Ok.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public DecodeStatus Decode(ReadOnlySpan<byte> buffer, ref PipelineSlot slot, out int length)
    {
        slot.Kind = MessageKind.None;
        slot.Rejected = false;
        slot.RejectReason = PipelineReject.None;
        if (!MessageHeader.TryRead(buffer, out var header))
        {
            length = 0;
            return Counters.Count(DecodeStatus.ShortBuffer);
        }

        DecodeStatus status;
        MessageKind kind;
        switch ((TemplateId)header.TemplateId)
        {
            case TemplateId.Transaction:
                status = TransactionCodec.Decode(buffer, out slot.Transaction, out length);
                kind = MessageKind.Transaction;
                break;
            case TemplateId.Label:
                status = LabelCodec.Decode(buffer, out slot.Label, out length);
                kind = MessageKind.Label;
                break;
            case TemplateId.Order:
                status = OrderCodec.Decode(buffer, out slot.Order, out length);
                kind = MessageKind.Order;
                break;
            case TemplateId.Control:
                status = ControlCodec.Decode(buffer, out slot.Control, out length);
                kind = MessageKind.Control;
                break;
            default:
                length = 0;
                return Counters.Count(header.SchemaId != WireSchema.SchemaId ? DecodeStatus.WrongSchemaId : DecodeStatus.UnknownTemplate);
        }

        if (status == DecodeStatus.Ok)
        {
            slot.Kind = kind;
        }

        return Counters.Count(status);
    }
}
