using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Sbe;

/// <summary>The SBE <c>Label</c> message (template 3).</summary>
public static class LabelCodec
{
    /// <summary>Template id.</summary>
    public const TemplateId Template = TemplateId.Label;
    /// <summary>Root block length in version 1.</summary>
    public const int BlockLength = 24;
    /// <summary>Offset of txId (uint64).</summary>
    public const int TxIdOffset = 0;
    /// <summary>Offset of labelTimeNs (int64).</summary>
    public const int LabelTimeNsOffset = 8;
    /// <summary>Offset of labelClass (LabelClass, uint8).</summary>
    public const int LabelClassOffset = 16;
    /// <summary>Offset of labelSource (LabelSource, uint8).</summary>
    public const int LabelSourceOffset = 17;

    /// <summary>Encodes; returns the length or 0 when the buffer is too small.</summary>
    public static int Encode(Span<byte> buffer, in Label label)
    {
        int length = BlockCodec.Encode(buffer, Template, BlockLength, label);
        if (length != 0)
        {
            buffer.Slice(WireSchema.HeaderLength + LabelSourceOffset + 1, BlockLength - LabelSourceOffset - 1).Clear();
        }

        return length;
    }

    /// <summary>Decodes and validates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DecodeStatus Decode(ReadOnlySpan<byte> buffer, out Label label, out int length)
    {
        var status = BlockCodec.Decode(buffer, Template, BlockLength, out label, out length, out _);
        if (status != DecodeStatus.Ok)
        {
            return status;
        }

        return (byte)label.Class > (byte)LabelClass.Fraud || (byte)label.Source > (byte)LabelSource.Investigation ? DecodeStatus.EnumOutOfRange : DecodeStatus.Ok;
    }
}
