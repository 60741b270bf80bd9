using System.Runtime.CompilerServices;
using LowLatency.Engine.Events;

namespace LowLatency.Adapters.Sbe;

/// <summary>The SBE <c>Transaction</c> message (template 1): field offsets within the root block, encode and validating decode.</summary>
public static class TransactionCodec
{
    /// <summary>Template id.</summary>
    public const TemplateId Template = TemplateId.Transaction;
    /// <summary>Root block length in schema version 1.</summary>
    public const int BlockLength = 88;
    /// <summary>Whole message length (header + block) in version 1.</summary>
    public const int MessageLength = WireSchema.HeaderLength + BlockLength;

    /// <summary>Offset of txId (uint64).</summary>
    public const int TxIdOffset = 0;
    /// <summary>Offset of eventTimeNs (int64).</summary>
    public const int EventTimeNsOffset = 8;
    /// <summary>Offset of cardId (uint64).</summary>
    public const int CardIdOffset = 16;
    /// <summary>Offset of accountId (uint64).</summary>
    public const int AccountIdOffset = 24;
    /// <summary>Offset of merchantId (uint64).</summary>
    public const int MerchantIdOffset = 32;
    /// <summary>Offset of deviceId (uint64).</summary>
    public const int DeviceIdOffset = 40;
    /// <summary>Offset of amountMinor (int64).</summary>
    public const int AmountMinorOffset = 48;
    /// <summary>Offset of ipv4 (uint32).</summary>
    public const int Ipv4Offset = 56;
    /// <summary>Offset of currency (uint16).</summary>
    public const int CurrencyOffset = 60;
    /// <summary>Offset of mcc (uint16).</summary>
    public const int MccOffset = 62;
    /// <summary>Offset of country (uint16).</summary>
    public const int CountryOffset = 64;
    /// <summary>Offset of channel (Channel, uint8).</summary>
    public const int ChannelOffset = 66;
    /// <summary>Offset of entryMode (EntryMode, uint8).</summary>
    public const int EntryModeOffset = 67;
    /// <summary>Offset of flags (TransactionFlags set, uint8).</summary>
    public const int FlagsOffset = 68;
    /// <summary>Offset of latitude (double).</summary>
    public const int LatitudeOffset = 72;
    /// <summary>Offset of longitude (double).</summary>
    public const int LongitudeOffset = 80;

    private const byte KnownFlags = (byte)(TransactionFlags.CardPresent | TransactionFlags.Recurring | TransactionFlags.ThreeDSecure);

    /// <summary>Encodes header + block into <paramref name="buffer"/>; returns the length, or 0 when it does not fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Encode(Span<byte> buffer, in Transaction tx)
    {
        int length = BlockCodec.Encode(buffer, Template, BlockLength, tx);
        if (length != 0)
        {
            // Struct padding (69..71) carries whatever the struct held; zero it so equal messages are equal bytes.
            buffer.Slice(WireSchema.HeaderLength + FlagsOffset + 1, LatitudeOffset - FlagsOffset - 1).Clear();
        }

        return length;
    }

    /// <summary>Decodes and validates a Transaction; <paramref name="length"/> is the whole message's length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DecodeStatus Decode(ReadOnlySpan<byte> buffer, out Transaction tx, out int length)
    {
        var status = BlockCodec.Decode(buffer, Template, BlockLength, out tx, out length, out ushort version);
        return status != DecodeStatus.Ok ? status : Validate(ref tx, version);
    }

    /// <summary>Checks the field values of a decoded transaction (enums, flags, coordinates, amount).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DecodeStatus Validate(ref Transaction tx, ushort version)
    {
        if ((byte)tx.Channel > (byte)Channel.InApp || (byte)tx.EntryMode > (byte)EntryMode.CardOnFile)
        {
            return DecodeStatus.EnumOutOfRange;
        }

        if (((byte)tx.Flags & ~KnownFlags) != 0)
        {
            // A newer sender may use choices we do not know: ignore them. From our own version it is corruption.
            if (version <= WireSchema.Version)
            {
                return DecodeStatus.UnknownFlags;
            }

            tx.Flags &= (TransactionFlags)KnownFlags;
        }

        double lat = tx.Latitude, lon = tx.Longitude;
        if (double.IsInfinity(lat) || double.IsInfinity(lon))
        {
            return DecodeStatus.NonFiniteValue;
        }

        // NaN is SBE's null for double: both coordinates are known or neither is.
        if (double.IsNaN(lat) != double.IsNaN(lon) || Math.Abs(lat) > 90 || Math.Abs(lon) > 180 || tx.AmountMinor < 0)
        {
            return DecodeStatus.FieldOutOfRange;
        }

        return DecodeStatus.Ok;
    }
}
