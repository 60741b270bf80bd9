using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Sbe;

/// <summary>The SBE <c>Control</c> message (template 5).</summary>
public static class ControlCodec
{
    /// <summary>Template id.</summary>
    public const TemplateId Template = TemplateId.Control;
    /// <summary>Root block length in version 1.</summary>
    public const int BlockLength = 24;
    /// <summary>Offset of requestId (uint64).</summary>
    public const int RequestIdOffset = 0;
    /// <summary>Offset of eventTimeNs (int64).</summary>
    public const int EventTimeNsOffset = 8;
    /// <summary>Offset of modelVersion (uint32).</summary>
    public const int ModelVersionOffset = 16;
    /// <summary>Offset of command (ControlCommand, uint8).</summary>
    public const int CommandOffset = 20;

    /// <summary>Encodes; returns the length or 0 when the buffer is too small.</summary>
    public static int Encode(Span<byte> buffer, in ControlMessage control)
    {
        int length = BlockCodec.Encode(buffer, Template, BlockLength, control);
        if (length != 0)
        {
            buffer.Slice(WireSchema.HeaderLength + CommandOffset + 1, BlockLength - CommandOffset - 1).Clear();
        }

        return length;
    }

    /// <summary>Decodes and validates.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DecodeStatus Decode(ReadOnlySpan<byte> buffer, out ControlMessage control, out int length)
    {
        var status = BlockCodec.Decode(buffer, Template, BlockLength, out control, out length, out _);
        return status != DecodeStatus.Ok ? status
            : (byte)control.Command > (byte)ControlCommand.ReleaseModel ? DecodeStatus.EnumOutOfRange : DecodeStatus.Ok;
    }
}
