using FsCheck;
using FsCheck.Fluent;
using LowLatency.Engine.Journal;

namespace LowLatency.Engine.Tests.Journal;

public class Crc32CTests
{
    [Fact]
    public void Matches_the_published_check_value_and_iscsi_vectors()
    {
        // Check value from the CRC catalogue (CRC-32/ISCSI), and RFC 3720 B.4 test vectors.
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0xE3069283u, Crc32C.ComputeScalar("123456789"u8));
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x00000000u, Crc32C.Compute([]));
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public bool Hardware_path_equals_the_bitwise_definition(byte[] data, PositiveInt split)
    {
        int cut = data.Length == 0 ? 0 : split.Get % (data.Length + 1);
        uint whole = Crc32C.Compute(data);
        uint parts = ~Crc32C.Append(Crc32C.Append(~0u, data.AsSpan(0, cut)), data.AsSpan(cut));
        return whole == Crc32C.ComputeScalar(data) && parts == whole;
    }

    [Fact]
    public void Appending_a_uint_equals_appending_its_little_endian_bytes()
    {
        var rng = new Random(5);
        for (int i = 0; i < 1000; i++)
        {
            uint v = (uint)rng.NextInt64();
            uint r = (uint)rng.NextInt64();
            Assert.Equal(Crc32C.Append(r, BitConverter.GetBytes(v)), Crc32C.Append(r, v));
        }
    }
}
