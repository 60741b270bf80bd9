using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Sbe;

/// <summary>One entry of the Decision's <c>reasons</c> repeating group.</summary>
/// <param name="FeatureId">Index of the feature in the model's layout.</param>
/// <param name="Contribution">Its additive contribution to the margin.</param>
public readonly record struct WireReason(ushort FeatureId, float Contribution);

/// <summary>
/// The SBE <c>Decision</c> message (template 2): root block, then the <c>reasons</c> repeating group (standard
/// groupSizeEncoding header, 8-byte entries, at most <see cref="MaxReasons"/>). A group rather than fixed slots
/// because SBE groups are what generated gateway codecs iterate naturally, and most decisions carry fewer.
/// </summary>
public static class DecisionCodec
{
    /// <summary>Template id.</summary>
    public const TemplateId Template = TemplateId.Decision;
    /// <summary>Root block length in version 1.</summary>
    public const int BlockLength = 40;
    /// <summary>Offset of txId (uint64).</summary>
    public const int TxIdOffset = 0;
    /// <summary>Offset of ingestTimeNs (int64).</summary>
    public const int IngestTimeNsOffset = 8;
    /// <summary>Offset of decideTimeNs (int64).</summary>
    public const int DecideTimeNsOffset = 16;
    /// <summary>Offset of score (float).</summary>
    public const int ScoreOffset = 24;
    /// <summary>Offset of modelVersion (uint32).</summary>
    public const int ModelVersionOffset = 28;
    /// <summary>Offset of outcome (Outcome, uint8).</summary>
    public const int OutcomeOffset = 32;
    /// <summary>Block length of one reasons entry.</summary>
    public const int ReasonBlockLength = 8;
    /// <summary>Offset of featureId (uint16) in a reasons entry.</summary>
    public const int ReasonFeatureIdOffset = 0;
    /// <summary>Offset of contribution (float) in a reasons entry.</summary>
    public const int ReasonContributionOffset = 4;
    /// <summary>Most reasons a decision may carry.</summary>
    public const int MaxReasons = 8;
    /// <summary>Longest Decision message of version 1.</summary>
    public const int MaxMessageLength = WireSchema.HeaderLength + BlockLength + WireSchema.GroupHeaderLength + (MaxReasons * ReasonBlockLength);

    /// <summary>Encodes a decision and its reasons (at most <see cref="MaxReasons"/>); returns the length, or 0 when it does not fit.</summary>
    public static int Encode(Span<byte> buffer, in Decision decision, ReadOnlySpan<WireReason> reasons)
    {
        int count = Math.Min(reasons.Length, MaxReasons);
        int length = WireSchema.HeaderLength + BlockLength + WireSchema.GroupHeaderLength + (count * ReasonBlockLength);
        if (buffer.Length < length || BlockCodec.Encode(buffer, Template, BlockLength, decision) == 0)
        {
            return 0;
        }

        buffer.Slice(WireSchema.HeaderLength + OutcomeOffset + 1, BlockLength - OutcomeOffset - 1).Clear();
        var group = buffer[(WireSchema.HeaderLength + BlockLength)..];
        BinaryPrimitives.WriteUInt16LittleEndian(group, ReasonBlockLength);
        BinaryPrimitives.WriteUInt16LittleEndian(group[2..], (ushort)count);
        var entries = group[WireSchema.GroupHeaderLength..];
        for (int i = 0; i < count; i++)
        {
            var e = entries.Slice(i * ReasonBlockLength, ReasonBlockLength);
            BinaryPrimitives.WriteUInt16LittleEndian(e[ReasonFeatureIdOffset..], reasons[i].FeatureId);
            e.Slice(2, 2).Clear();
            BinaryPrimitives.WriteSingleLittleEndian(e[ReasonContributionOffset..], reasons[i].Contribution);
        }

        return length;
    }

    /// <summary>
    /// Decodes a decision and copies its reasons into <paramref name="reasons"/> (as many as fit);
    /// <paramref name="reasonCount"/> is how many the message carried.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DecodeStatus Decode(ReadOnlySpan<byte> buffer, out Decision decision, Span<WireReason> reasons, out int reasonCount, out int length)
    {
        reasonCount = 0;
        var status = BlockCodec.Decode(buffer, Template, BlockLength, out decision, out length, out _);
        if (status != DecodeStatus.Ok)
        {
            return status;
        }

        if ((byte)decision.Outcome > (byte)Outcome.Decline)
        {
            return DecodeStatus.EnumOutOfRange;
        }

        if (!float.IsFinite(decision.Score))
        {
            return DecodeStatus.NonFiniteValue;
        }

        if (decision.Score is < 0 or > 1)
        {
            return DecodeStatus.FieldOutOfRange;
        }

        var rest = buffer[length..];
        if (rest.Length < WireSchema.GroupHeaderLength)
        {
            return DecodeStatus.ShortBuffer;
        }

        int entryLength = BinaryPrimitives.ReadUInt16LittleEndian(rest);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(rest[2..]);
        if (entryLength < ReasonBlockLength || count > MaxReasons)
        {
            return DecodeStatus.BadGroup;
        }

        int groupLength = WireSchema.GroupHeaderLength + (count * entryLength);
        if (rest.Length < groupLength)
        {
            return DecodeStatus.ShortBuffer;
        }

        for (int i = 0; i < count; i++)
        {
            var e = rest.Slice(WireSchema.GroupHeaderLength + (i * entryLength), ReasonBlockLength);
            float contribution = BinaryPrimitives.ReadSingleLittleEndian(e[ReasonContributionOffset..]);
            if (!float.IsFinite(contribution))
            {
                return DecodeStatus.NonFiniteValue;
            }

            if (i < reasons.Length)
            {
                reasons[i] = new WireReason(BinaryPrimitives.ReadUInt16LittleEndian(e), contribution);
            }
        }

        reasonCount = count;
        length += groupLength;
        return DecodeStatus.Ok;
    }
}
