using System.Buffers.Binary;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Sbe;

/// <summary>
/// Reads and writes the fields of a Transaction message in place, for code that touches a few fields of a
/// message without copying it (routing by card, patching an id). Wrap validates the header once; field
/// accessors then read at fixed offsets inside the checked block.
/// </summary>
public readonly ref struct TransactionFlyweight
{
    private readonly Span<byte> _block;

    private TransactionFlyweight(Span<byte> block) => _block = block;

    /// <summary>Wraps an existing message after checking its header; <see cref="DecodeStatus.Ok"/> on success.</summary>
    public static DecodeStatus Wrap(Span<byte> message, out TransactionFlyweight flyweight)
    {
        var status = MessageHeader.Check(message, TransactionCodec.Template, TransactionCodec.BlockLength, out _);
        flyweight = status == DecodeStatus.Ok ? new TransactionFlyweight(message.Slice(WireSchema.HeaderLength, TransactionCodec.BlockLength)) : default;
        return status;
    }

    /// <summary>Writes a header into <paramref name="buffer"/> and wraps its (zeroed) block for field-by-field encoding.</summary>
    public static TransactionFlyweight Create(Span<byte> buffer)
    {
        MessageHeader.Write(buffer, TransactionCodec.Template, TransactionCodec.BlockLength);
        var block = buffer.Slice(WireSchema.HeaderLength, TransactionCodec.BlockLength);
        block.Clear();
        return new TransactionFlyweight(block);
    }

    /// <summary>txId.</summary>
    public ulong TxId { get => BinaryPrimitives.ReadUInt64LittleEndian(_block[TransactionCodec.TxIdOffset..]); set => BinaryPrimitives.WriteUInt64LittleEndian(_block[TransactionCodec.TxIdOffset..], value); }
    /// <summary>eventTimeNs.</summary>
    public long EventTimeNs { get => BinaryPrimitives.ReadInt64LittleEndian(_block[TransactionCodec.EventTimeNsOffset..]); set => BinaryPrimitives.WriteInt64LittleEndian(_block[TransactionCodec.EventTimeNsOffset..], value); }
    /// <summary>cardId.</summary>
    public ulong CardId { get => BinaryPrimitives.ReadUInt64LittleEndian(_block[TransactionCodec.CardIdOffset..]); set => BinaryPrimitives.WriteUInt64LittleEndian(_block[TransactionCodec.CardIdOffset..], value); }
    /// <summary>accountId.</summary>
    public ulong AccountId { get => BinaryPrimitives.ReadUInt64LittleEndian(_block[TransactionCodec.AccountIdOffset..]); set => BinaryPrimitives.WriteUInt64LittleEndian(_block[TransactionCodec.AccountIdOffset..], value); }
    /// <summary>merchantId.</summary>
    public ulong MerchantId { get => BinaryPrimitives.ReadUInt64LittleEndian(_block[TransactionCodec.MerchantIdOffset..]); set => BinaryPrimitives.WriteUInt64LittleEndian(_block[TransactionCodec.MerchantIdOffset..], value); }
    /// <summary>deviceId.</summary>
    public ulong DeviceId { get => BinaryPrimitives.ReadUInt64LittleEndian(_block[TransactionCodec.DeviceIdOffset..]); set => BinaryPrimitives.WriteUInt64LittleEndian(_block[TransactionCodec.DeviceIdOffset..], value); }
    /// <summary>amountMinor.</summary>
    public long AmountMinor { get => BinaryPrimitives.ReadInt64LittleEndian(_block[TransactionCodec.AmountMinorOffset..]); set => BinaryPrimitives.WriteInt64LittleEndian(_block[TransactionCodec.AmountMinorOffset..], value); }
    /// <summary>ipv4.</summary>
    public uint Ipv4 { get => BinaryPrimitives.ReadUInt32LittleEndian(_block[TransactionCodec.Ipv4Offset..]); set => BinaryPrimitives.WriteUInt32LittleEndian(_block[TransactionCodec.Ipv4Offset..], value); }
    /// <summary>currency.</summary>
    public ushort Currency { get => BinaryPrimitives.ReadUInt16LittleEndian(_block[TransactionCodec.CurrencyOffset..]); set => BinaryPrimitives.WriteUInt16LittleEndian(_block[TransactionCodec.CurrencyOffset..], value); }
    /// <summary>mcc.</summary>
    public ushort Mcc { get => BinaryPrimitives.ReadUInt16LittleEndian(_block[TransactionCodec.MccOffset..]); set => BinaryPrimitives.WriteUInt16LittleEndian(_block[TransactionCodec.MccOffset..], value); }
    /// <summary>country.</summary>
    public ushort Country { get => BinaryPrimitives.ReadUInt16LittleEndian(_block[TransactionCodec.CountryOffset..]); set => BinaryPrimitives.WriteUInt16LittleEndian(_block[TransactionCodec.CountryOffset..], value); }
    /// <summary>channel (raw; validate with <see cref="TransactionCodec.Validate"/> before trusting it).</summary>
    public Channel Channel { get => (Channel)_block[TransactionCodec.ChannelOffset]; set => _block[TransactionCodec.ChannelOffset] = (byte)value; }
    /// <summary>entryMode (raw).</summary>
    public EntryMode EntryMode { get => (EntryMode)_block[TransactionCodec.EntryModeOffset]; set => _block[TransactionCodec.EntryModeOffset] = (byte)value; }
    /// <summary>flags (raw).</summary>
    public TransactionFlags Flags { get => (TransactionFlags)_block[TransactionCodec.FlagsOffset]; set => _block[TransactionCodec.FlagsOffset] = (byte)value; }
    /// <summary>latitude.</summary>
    public double Latitude { get => BinaryPrimitives.ReadDoubleLittleEndian(_block[TransactionCodec.LatitudeOffset..]); set => BinaryPrimitives.WriteDoubleLittleEndian(_block[TransactionCodec.LatitudeOffset..], value); }
    /// <summary>longitude.</summary>
    public double Longitude { get => BinaryPrimitives.ReadDoubleLittleEndian(_block[TransactionCodec.LongitudeOffset..]); set => BinaryPrimitives.WriteDoubleLittleEndian(_block[TransactionCodec.LongitudeOffset..], value); }
}
