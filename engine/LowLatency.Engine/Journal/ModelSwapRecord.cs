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
/// <param name="Fingerprint">Hash of the model's scores on fixed probe vectors (<see cref="FingerprintOf"/>).</param>
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

    /// <summary>
    /// A behavioural fingerprint: the model's scores on 64 fixed pseudo-random feature vectors, hashed bit for bit.
    /// Two models with this fingerprint equal score identically on those probes, which in practice means the same weights.
    /// </summary>
    public static ulong FingerprintOf(LinearScorer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Span<float> x = stackalloc float[model.FeatureCount];
        Span<byte> bits = stackalloc byte[4];
        ulong state = 0x9E3779B97F4A7C15UL;
        uint crc = ~0u;
        for (int probe = 0; probe < 64; probe++)
        {
            for (int i = 0; i < x.Length; i++)
            {
                state = (state * 6364136223846793005UL) + 1442695040888963407UL;
                x[i] = (float)((state >> 40) / (double)(1UL << 24) * 8.0 - 2.0);
            }

            BinaryPrimitives.WriteSingleLittleEndian(bits, model.Margin(x));
            crc = Crc32C.Append(crc, bits);
        }

        return ((ulong)model.Version << 32) | ~crc;
    }
}
