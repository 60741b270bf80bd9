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
    private const int Messages = 64;
    private readonly byte[][] _buffers = new byte[Messages][];
    private readonly Transaction[] _txs = new Transaction[Messages];

    /// <summary>
    /// <see cref="Messages"/> realistic transactions with different field values, each with its own buffer, so no
    /// load can be hoisted out of the benchmark loop.
    /// </summary>
    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Messages; i++)
        {
            _buffers[i] = new byte[TransactionCodec.MessageLength];
            _txs[i] = new Transaction
            {
                TxId = 123456789 + (ulong)i, EventTimeNs = 1_763_000_000_000_000_000 + (i * 1_000_000L), CardId = 42 + (ulong)(i * 7),
                AccountId = 7, MerchantId = 9001 + (ulong)i, DeviceId = 5, AmountMinor = 12_999 + (i * 13), Ipv4 = 0x0A000001,
                Currency = 978, Mcc = 5411, Country = 250, Channel = (Channel)(i % 5), EntryMode = (EntryMode)(i % 5),
                Flags = TransactionFlags.ThreeDSecure, Latitude = 48.85 + (i * 0.01), Longitude = 2.35,
            };
            TransactionCodec.Encode(_buffers[i], _txs[i]);
        }
    }

    /// <summary>Hand-written BinaryPrimitives encode then decode, no validation.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public ulong NaiveEncodeDecode()
    {
        ulong sum = 0;
        for (int i = 0; i < Messages; i++)
        {
            sum += NaiveRoundTrip(_buffers[i], _txs[i]);
        }

        return sum;
    }

    /// <summary>Our encode.</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public int Encode()
    {
        int total = 0;
        for (int i = 0; i < Messages; i++)
        {
            total += TransactionCodec.Encode(_buffers[i], _txs[i]);
        }

        return total;
    }

    /// <summary>
    /// Our validating decode alone, over <see cref="Messages"/> different encoded buffers. A single buffer
    /// decoded in a loop measured as a fraction of a cycle: with no store in the loop the JIT may hoist the loads.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public ulong Decode()
    {
        ulong sum = 0;
        for (int i = 0; i < Messages; i++)
        {
            var status = TransactionCodec.Decode(_buffers[i], out var tx, out int length);
            sum += tx.TxId + tx.CardId + (ulong)tx.AmountMinor + (ulong)length + (ulong)status;
        }

        return sum;
    }

    /// <summary>Our encode then validating decode (the issue's ≤ 10 ns target).</summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public ulong EncodeDecode()
    {
        ulong sum = 0;
        for (int i = 0; i < Messages; i++)
        {
            TransactionCodec.Encode(_buffers[i], _txs[i]);
            TransactionCodec.Decode(_buffers[i], out var tx, out _);
            sum += tx.TxId + tx.CardId;
        }

        return sum;
    }

    private static ulong NaiveRoundTrip(byte[] buffer, in Transaction src)
    {
        var b = buffer.AsSpan();
        BinaryPrimitives.WriteUInt16LittleEndian(b, TransactionCodec.BlockLength);
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(b[4..], WireSchema.SchemaId);
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], WireSchema.Version);
        var k = b[8..];
        BinaryPrimitives.WriteUInt64LittleEndian(k, src.TxId);
        BinaryPrimitives.WriteInt64LittleEndian(k[8..], src.EventTimeNs);
        BinaryPrimitives.WriteUInt64LittleEndian(k[16..], src.CardId);
        BinaryPrimitives.WriteUInt64LittleEndian(k[24..], src.AccountId);
        BinaryPrimitives.WriteUInt64LittleEndian(k[32..], src.MerchantId);
        BinaryPrimitives.WriteUInt64LittleEndian(k[40..], src.DeviceId);
        BinaryPrimitives.WriteInt64LittleEndian(k[48..], src.AmountMinor);
        BinaryPrimitives.WriteUInt32LittleEndian(k[56..], src.Ipv4);
        BinaryPrimitives.WriteUInt16LittleEndian(k[60..], src.Currency);
        BinaryPrimitives.WriteUInt16LittleEndian(k[62..], src.Mcc);
        BinaryPrimitives.WriteUInt16LittleEndian(k[64..], src.Country);
        k[66] = (byte)src.Channel;
        k[67] = (byte)src.EntryMode;
        k[68] = (byte)src.Flags;
        BinaryPrimitives.WriteDoubleLittleEndian(k[72..], src.Latitude);
        BinaryPrimitives.WriteDoubleLittleEndian(k[80..], src.Longitude);

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
}
