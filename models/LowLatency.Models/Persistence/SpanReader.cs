using System.Buffers.Binary;
using System.Text;

namespace LowLatency.Models.Persistence;

/// <summary>Little-endian reader over a model file's payload; every read names its field so truncation errors say where.</summary>
internal ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public SpanReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    public readonly int Remaining => _data.Length - _pos;

    public byte U8(string field) => Take(1, field)[0];

    public ushort U16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));

    public uint U32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

    public int I32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

    public float F32(string field) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, field));

    /// <summary>A u32 element count, rejected when the remaining bytes cannot hold that many elements of at least <paramref name="minBytesEach"/>.</summary>
    public int Count(string field, int minBytesEach)
    {
        uint n = U32(field);
        if (n > (uint)(Remaining / minBytesEach))
        {
            throw new ModelFormatException($"{field} = {n} but only {Remaining} bytes remain (truncated or corrupt).");
        }

        return (int)n;
    }

    public float[] Floats(int count, string field)
    {
        var bytes = Take(checked(count * 4), field);
        var r = new float[count];
        for (int i = 0; i < count; i++)
        {
            r[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
        }

        return r;
    }

    public string Utf8(int bytes, string field)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take(bytes, field));
        }
        catch (DecoderFallbackException ex)
        {
            throw new ModelFormatException($"{field} is not valid UTF-8.", ex);
        }
    }

    private ReadOnlySpan<byte> Take(int n, string field)
    {
        if (n > Remaining)
        {
            throw new ModelFormatException($"{field}: truncated at payload offset {_pos} (needs {n} bytes, {Remaining} left).");
        }

        var s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }
}
