using System.Globalization;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Journal;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Replays a CSV file through a <see cref="CsvMapping"/>: each row becomes a Transaction or Label, encoded as the SBE
/// message a gateway would send, so it meets the same decoder and validation as live traffic. Rows that do not parse
/// are counted in <see cref="Malformed"/> (with the first reason kept) and skipped.
/// </summary>
public sealed class CsvSource : IMessageSource
{
    private readonly StreamReader _reader;
    private readonly CsvMapping _map;
    private readonly long _length;
    private readonly Dictionary<string, int> _columns = new(StringComparer.OrdinalIgnoreCase);
    private readonly byte[] _buffer = new byte[256];
    private long _line = 1;

    /// <summary>Opens <paramref name="path"/> (its first line is the header).</summary>
    public CsvSource(string path, CsvMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        _map = mapping;
        _reader = new StreamReader(path);
        _length = Math.Max(1, _reader.BaseStream.Length);
        string header = _reader.ReadLine() ?? throw new InvalidDataException($"{path} is empty.");
        var names = header.Split(mapping.Delimiter);
        for (int i = 0; i < names.Length; i++)
        {
            _columns[names[i].Trim()] = i;
        }

        foreach (var column in mapping.Transaction.Values.Concat(mapping.Label.Values).Concat(mapping.KindColumn is null ? [] : [mapping.KindColumn]))
        {
            if (!_columns.ContainsKey(column))
            {
                throw new InvalidDataException($"{path}: the mapping names column '{column}', which the header lacks.");
            }
        }

        Description = $"CSV {path}";
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public double Progress => Math.Min(1, (double)_reader.BaseStream.Position / _length);

    /// <inheritdoc/>
    public long Malformed { get; private set; }

    /// <summary>Why the first malformed row was refused (null when none was).</summary>
    public string? FirstError { get; private set; }

    /// <inheritdoc/>
    public bool TryNext(out SourceMessage message)
    {
        string? line;
        while ((line = _reader.ReadLine()) is not null)
        {
            _line++;
            if (line.Length == 0)
            {
                continue;
            }

            var cells = line.Split(_map.Delimiter);
            try
            {
                bool label = _map.KindColumn is not null && string.Equals(cells[_columns[_map.KindColumn]].Trim(), _map.LabelKind, StringComparison.OrdinalIgnoreCase);
                int n = label ? LabelCodec.Encode(_buffer, ParseLabel(cells)) : TransactionCodec.Encode(_buffer, ParseTransaction(cells));
                message = new SourceMessage(label ? JournalRecordType.Label : JournalRecordType.Transaction, 0, _buffer.AsSpan(0, n));
                return true;
            }
            catch (Exception ex) when (ex is FormatException or OverflowException or IndexOutOfRangeException or ArgumentException)
            {
                Malformed++;
                FirstError ??= $"line {_line}: {ex.Message}";
            }
        }

        message = default;
        return false;
    }

    /// <inheritdoc/>
    public void Dispose() => _reader.Dispose();

    private Transaction ParseTransaction(string[] cells)
    {
        var m = _map.Transaction;
        string? Cell(string field) => m.TryGetValue(field, out var col) ? cells[_columns[col]].Trim() : null;
        return new Transaction
        {
            TxId = ulong.Parse(Cell("TxId")!, CultureInfo.InvariantCulture),
            EventTimeNs = long.Parse(Cell("EventTimeNs")!, CultureInfo.InvariantCulture),
            CardId = ulong.Parse(Cell("CardId")!, CultureInfo.InvariantCulture),
            AccountId = U64(Cell("AccountId")),
            MerchantId = U64(Cell("MerchantId")),
            DeviceId = U64(Cell("DeviceId")),
            AmountMinor = long.Parse(Cell("AmountMinor")!, CultureInfo.InvariantCulture),
            Ipv4 = (uint)U64(Cell("Ipv4")),
            Currency = (ushort)U64(Cell("Currency")),
            Mcc = (ushort)U64(Cell("Mcc")),
            Country = (ushort)U64(Cell("Country")),
            Channel = EnumOf<Channel>(Cell("Channel")),
            EntryMode = EnumOf<EntryMode>(Cell("EntryMode")),
            Flags = (TransactionFlags)(byte)U64(Cell("Flags")),
            Latitude = Coordinate(Cell("Latitude")),
            Longitude = Coordinate(Cell("Longitude")),
        };
    }

    private Label ParseLabel(string[] cells)
    {
        var m = _map.Label;
        string? Cell(string field) => m.TryGetValue(field, out var col) ? cells[_columns[col]].Trim() : null;
        return new Label
        {
            TxId = ulong.Parse(Cell("TxId") ?? throw new FormatException("label.TxId is not mapped"), CultureInfo.InvariantCulture),
            LabelTimeNs = long.Parse(Cell("LabelTimeNs") ?? throw new FormatException("label.LabelTimeNs is not mapped"), CultureInfo.InvariantCulture),
            Class = EnumOf<LabelClass>(Cell("Class")),
            Source = EnumOf<LabelSource>(Cell("Source")),
        };
    }

    private static ulong U64(string? text) => string.IsNullOrEmpty(text) ? 0 : ulong.Parse(text, CultureInfo.InvariantCulture);

    private static double Coordinate(string? text) => string.IsNullOrEmpty(text) ? double.NaN : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static T EnumOf<T>(string? text)
        where T : struct, Enum
    {
        if (string.IsNullOrEmpty(text))
        {
            return default;
        }

        if (Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value))
        {
            return value;
        }

        throw new FormatException($"'{text}' is not a {typeof(T).Name}");
    }
}
