using BenchmarkDotNet.Attributes;
using LowLatency.Engine.Journal;

namespace LowLatency.Benchmarks;

/// <summary>
/// Checksum of one journal record body (120 bytes): CRC-32C with SSE4.2 (what the journal uses) against the
/// IEEE CRC-32 of System.IO.Hashing (vectorised with carry-less multiply) and the bitwise reference.
/// </summary>
[MemoryDiagnoser]
public class Crc32CBenchmarks
{
    private readonly byte[] _data = new byte[120];

    /// <summary>Fixed input.</summary>
    [GlobalSetup]
    public void Setup() => new Random(7).NextBytes(_data);

    /// <summary>Baseline: System.IO.Hashing.Crc32 (IEEE polynomial).</summary>
    [Benchmark(Baseline = true)]
    public uint SystemIoHashingCrc32() => System.IO.Hashing.Crc32.HashToUInt32(_data);

    /// <summary>CRC-32C with the SSE4.2 instruction, 8 bytes per step.</summary>
    [Benchmark]
    public uint Crc32CSse42() => Crc32C.Compute(_data);

    /// <summary>Bitwise CRC-32C (the test reference).</summary>
    [Benchmark]
    public uint Crc32CBitwise() => Crc32C.ComputeScalar(_data);
}
