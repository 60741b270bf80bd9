using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Sbe;

/// <summary>The SBE <c>Order</c> message (template 4).</summary>
public static class OrderCodec
{
    /// <summary>Template id.</summary>
    public const TemplateId Template = TemplateId.Order;
    /// <summary>Root block length in version 1.</summary>
    public const int BlockLength = 56;
    /// <summary>Offset of orderId (uint64).</summary>
    public const int OrderIdOffset = 0;
    /// <summary>Offset of eventTimeNs (int64).</summary>
    public const int EventTimeNsOffset = 8;
    /// <summary>Offset of accountId (uint64).</summary>
    public const int AccountIdOffset = 16;
    /// <summary>Offset of instrumentId (uint64).</summary>
    public const int InstrumentIdOffset = 24;
    /// <summary>Offset of priceE8 (int64).</summary>
    public const int PriceE8Offset = 32;
    /// <summary>Offset of quantity (int64).</summary>
    public const int QuantityOffset = 40;
    /// <summary>Offset of venue (uint16).</summary>
    public const int VenueOffset = 48;
    /// <summary>Offset of side (Side, uint8).</summary>
    public const int SideOffset = 50;
    /// <summary>Offset of action (OrderAction, uint8).</summary>
    public const int ActionOffset = 51;

    /// <summary>Encodes; returns the length or 0 when the buffer is too small.</summary>
    public static int Encode(Span<byte> buffer, in Order order)
    {
        int length = BlockCodec.Encode(buffer, Template, BlockLength, order);
        if (length != 0)
        {
            buffer.Slice(WireSchema.HeaderLength + ActionOffset + 1, BlockLength - ActionOffset - 1).Clear();
        }

        return length;
    }

    /// <summary>Decodes and validates (enums; quantity and price not negative).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DecodeStatus Decode(ReadOnlySpan<byte> buffer, out Order order, out int length)
    {
        var status = BlockCodec.Decode(buffer, Template, BlockLength, out order, out length, out _);
        if (status != DecodeStatus.Ok)
        {
            return status;
        }

        if ((byte)order.Side > (byte)Side.Sell || (byte)order.Action > (byte)OrderAction.Fill)
        {
            return DecodeStatus.EnumOutOfRange;
        }

        return order.Quantity < 0 || order.PriceE8 < 0 ? DecodeStatus.FieldOutOfRange : DecodeStatus.Ok;
    }
}
