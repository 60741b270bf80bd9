using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;

namespace LowLatency.Benchmarks;

/// <summary>
/// Transaction encode + decode. Baseline: what a team would otherwise hand-write, BinaryPrimitives field by
/// field at the same offsets (no validation). Ours validates enums, flags and coordinates on decode as well.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly byte[] _buffer = new byte[TransactionCodec.MessageLength];
    private Transaction _tx;

    /// <summary>A realistic transaction, built once.</summary>
    [GlobalSetup]
    public void Setup() => _tx = new Transaction
    {
        TxId = 123456789, EventTimeNs = 1_763_000_000_000_000_000, CardId = 42, AccountId = 7, MerchantId = 9001, DeviceId = 5,
        AmountMinor = 12_999, Ipv4 = 0x0A000001, Currency = 978, Mcc = 5411, Country = 250, Channel = Channel.Ecommerce,
        EntryMode = EntryMode.CardOnFile, Flags = TransactionFlags.ThreeDSecure, Latitude = 48.85, Longitude = 2.35,
    };

    /// <summary>Hand-written BinaryPrimitives encode then decode.</summary>
    [Benchmark(Baseline = true)]
    public ulong NaiveEncodeDecode()
    {
        var b = _buffer.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(b, TransactionCodec.BlockLength);
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(b[4..], WireSchema.SchemaId);
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], WireSchema.Version);
        var k = b[8..];
        BinaryPrimitives.WriteUInt64LittleEndian(k, _tx.TxId);
        BinaryPrimitives.WriteInt64LittleEndian(k[8..], _tx.EventTimeNs);
        BinaryPrimitives.WriteUInt64LittleEndian(k[16..], _tx.CardId);
        BinaryPrimitives.WriteUInt64LittleEndian(k[24..], _tx.AccountId);
        BinaryPrimitives.WriteUInt64LittleEndian(k[32..], _tx.MerchantId);
        BinaryPrimitives.WriteUInt64LittleEndian(k[40..], _tx.DeviceId);
        BinaryPrimitives.WriteInt64LittleEndian(k[48..], _tx.AmountMinor);
        BinaryPrimitives.WriteUInt32LittleEndian(k[56..], _tx.Ipv4);
        BinaryPrimitives.WriteUInt16LittleEndian(k[60..], _tx.Currency);
        BinaryPrimitives.WriteUInt16LittleEndian(k[62..], _tx.Mcc);
        BinaryPrimitives.WriteUInt16LittleEndian(k[64..], _tx.Country);
        k[66] = (byte)_tx.Channel;
        k[67] = (byte)_tx.EntryMode;
        k[68] = (byte)_tx.Flags;
        BinaryPrimitives.WriteDoubleLittleEndian(k[72..], _tx.Latitude);
        BinaryPrimitives.WriteDoubleLittleEndian(k[80..], _tx.Longitude);

        var tx = new Transaction
        {
            TxId = BinaryPrimitives.ReadUInt64LittleEndian(k),
            EventTimeNs = BinaryPrimitives.ReadInt64LittleEndian(k[8..]),
            CardId = BinaryPrimitives.ReadUInt64LittleEndian(k[16..]),
            AccountId = BinaryPrimitives.ReadUInt64LittleEndian(k[24..]),
            MerchantId = BinaryPrimitives.ReadUInt64LittleEndian(k[32..]),
            DeviceId = BinaryPrimitives.ReadUInt64LittleEndian(k[40..]),
            AmountMinor = BinaryPrimitives.ReadInt64LittleEndian(k[48..]),
            Ipv4 = BinaryPrimitives.ReadUInt32LittleEndian(k[56..]),
            Currency = BinaryPrimitives.ReadUInt16LittleEndian(k[60..]),
            Mcc = BinaryPrimitives.ReadUInt16LittleEndian(k[62..]),
            Country = BinaryPrimitives.ReadUInt16LittleEndian(k[64..]),
            Channel = (Channel)k[66],
            EntryMode = (EntryMode)k[67],
            Flags = (TransactionFlags)k[68],
            Latitude = BinaryPrimitives.ReadDoubleLittleEndian(k[72..]),
            Longitude = BinaryPrimitives.ReadDoubleLittleEndian(k[80..]),
        };
        return tx.TxId + tx.CardId;
    }

    /// <summary>Our encode.</summary>
    [Benchmark]
    public int Encode() => TransactionCodec.Encode(_buffer, _tx);

    /// <summary>
    /// Our validating decode alone. The status and several fields are consumed so the JIT cannot drop the
    /// validation or the block copy (an earlier version returned only TxId and measured as zero).
    /// </summary>
    [Benchmark]
    public ulong Decode()
    {
        var status = TransactionCodec.Decode(_buffer, out var tx, out int length);
        return tx.TxId + tx.CardId + (ulong)tx.AmountMinor + (ulong)length + (ulong)status + BitConverter.DoubleToUInt64Bits(tx.Longitude);
    }

    /// <summary>Our encode then validating decode (the issue's ≤ 10 ns target).</summary>
    [Benchmark]
    public ulong EncodeDecode()
    {
        TransactionCodec.Encode(_buffer, _tx);
        TransactionCodec.Decode(_buffer, out var tx, out _);
        return tx.TxId + tx.CardId;
    }
}
