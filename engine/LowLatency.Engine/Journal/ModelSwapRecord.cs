using System.Buffers.Binary;
using System.Text;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Engine.Journal;

/// <summary>
/// Payload of a <see cref="JournalRecordType.ModelSwap"/> record: the model version put in force, a fingerprint of
/// its behaviour, and a free-text origin (file name, training seed). Layout: u32 version, u64 fingerprint,
/// u16 origin length, origin UTF-8.
/// </summary>
/// <param name="Version">Model version reported in decisions.</param>
/// <param name="Fingerprint">Hash of the model's scores on fixed probe events (<see cref="ServingModel.Fingerprint"/>).</param>
/// <param name="Origin">Where the model came from, for people reading the journal.</param>
public readonly record struct ModelSwapRecord(uint Version, ulong Fingerprint, string Origin)
{
    private const int FixedLength = 14;

    /// <summary>Encodes into <paramref name="destination"/>; returns the length.</summary>
    public int Encode(Span<byte> destination)
    {
        int n = Encoding.UTF8.GetBytes(Origin, destination[FixedLength..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Version);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], Fingerprint);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[12..], (ushort)n);
        return FixedLength + n;
    }

    /// <summary>Decodes a payload; false when it is malformed.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> payload, out ModelSwapRecord record)
    {
        record = default;
        if (payload.Length < FixedLength)
        {
            return false;
        }

        int n = BinaryPrimitives.ReadUInt16LittleEndian(payload[12..]);
        if (payload.Length != FixedLength + n)
        {
            return false;
        }

        record = new ModelSwapRecord(BinaryPrimitives.ReadUInt32LittleEndian(payload), BinaryPrimitives.ReadUInt64LittleEndian(payload[4..]), Encoding.UTF8.GetString(payload[FixedLength..]));
        return true;
    }
}
