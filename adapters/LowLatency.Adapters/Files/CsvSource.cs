using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using LowLatency.Adapters.Sbe;
using LowLatency.Engine.Events;
using LowLatency.Engine.Journal;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Replays a CSV file through a <see cref="CsvMapping"/>: each row becomes a Transaction or Label, encoded as the SBE
/// message a gateway would send, so it meets the same decoder and validation as live traffic. Rows that do not parse
/// are counted in <see cref="Malformed"/> (with the first reason kept) and skipped: a cell that does not parse, a value
/// out of its field's range (never narrowed by a wrapping cast), a kind that is neither the mapping's transaction nor
/// its label kind, a row too short for a mapped column.
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
                bool label = IsLabel(cells);
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

    /// <summary>What the row's kind cell says; a value that is neither kind is an error, not a transaction.</summary>
    private bool IsLabel(string[] cells)
    {
        if (_map.KindColumn is not { } column)
        {
            return false; // documented: without a kind column every row is a transaction
        }

        string kind = Text(cells, column);
        if (kind.Equals(_map.LabelKind, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (kind.Equals(_map.TransactionKind, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        throw new FormatException($"unknown kind '{kind}' (expected '{_map.TransactionKind}' or '{_map.LabelKind}')");
    }

    // Each field is parsed at its own width: a value the field cannot hold is an error naming the column, never a
    // narrowing cast that wraps (currency 99999 must not become 34463).
    private Transaction ParseTransaction(string[] cells)
    {
        var m = _map.Transaction;
        return new Transaction
        {
            TxId = Unsigned(cells, m, "TxId", ulong.MaxValue, required: true),
            EventTimeNs = Signed(cells, m, "EventTimeNs", required: true),
            CardId = Unsigned(cells, m, "CardId", ulong.MaxValue, required: true),
            AccountId = Unsigned(cells, m, "AccountId", ulong.MaxValue),
            MerchantId = Unsigned(cells, m, "MerchantId", ulong.MaxValue),
            DeviceId = Unsigned(cells, m, "DeviceId", ulong.MaxValue),
            AmountMinor = Signed(cells, m, "AmountMinor", required: true),
            Ipv4 = (uint)Unsigned(cells, m, "Ipv4", uint.MaxValue),
            Currency = (ushort)Unsigned(cells, m, "Currency", ushort.MaxValue),
            Mcc = (ushort)Unsigned(cells, m, "Mcc", ushort.MaxValue),
            Country = (ushort)Unsigned(cells, m, "Country", ushort.MaxValue),
            Channel = EnumOf<Channel>(cells, m, "Channel"),
            EntryMode = EnumOf<EntryMode>(cells, m, "EntryMode"),
            Flags = (TransactionFlags)Unsigned(cells, m, "Flags", byte.MaxValue),
            Latitude = Coordinate(cells, m, "Latitude"),
            Longitude = Coordinate(cells, m, "Longitude"),
        };
    }

    private Label ParseLabel(string[] cells)
    {
        var m = _map.Label;
        return new Label
        {
            TxId = Unsigned(cells, m, "TxId", ulong.MaxValue, required: true),
            LabelTimeNs = Signed(cells, m, "LabelTimeNs", required: true),
            Class = EnumOf<LabelClass>(cells, m, "Class"),
            Source = EnumOf<LabelSource>(cells, m, "Source"),
        };
    }

    /// <summary>The trimmed cell of <paramref name="column"/>; a row too short to have it is malformed.</summary>
    private string Text(string[] cells, string column)
    {
        int index = _columns[column];
        return index < cells.Length ? cells[index].Trim() : throw new FormatException($"{column} is missing (the row has {cells.Length} fields)");
    }

    /// <summary>The cell of a mapped field and its column; false when the field is not mapped.</summary>
    private bool TryCell(string[] cells, IReadOnlyDictionary<string, string> fields, string field, [NotNullWhen(true)] out string? column, out string text)
    {
        if (!fields.TryGetValue(field, out column))
        {
            text = string.Empty;
            return false;
        }

        text = Text(cells, column);
        return true;
    }

    /// <summary>An unsigned field of at most <paramref name="max"/>; empty or unmapped optional fields are 0.</summary>
    private ulong Unsigned(string[] cells, IReadOnlyDictionary<string, string> fields, string field, ulong max, bool required = false)
    {
        if (!TryCell(cells, fields, field, out string? column, out string text) || text.Length == 0)
        {
            return required ? throw Missing(fields, field, column) : 0UL;
        }

        return ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong value) && value <= max
            ? value
            : throw NotInRange(column, text, "0", max.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A signed 64-bit field; empty or unmapped optional fields are 0.</summary>
    private long Signed(string[] cells, IReadOnlyDictionary<string, string> fields, string field, bool required = false)
    {
        if (!TryCell(cells, fields, field, out string? column, out string text) || text.Length == 0)
        {
            return required ? throw Missing(fields, field, column) : 0;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw NotInRange(column, text, long.MinValue.ToString(CultureInfo.InvariantCulture), long.MaxValue.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A coordinate in degrees; empty or unmapped means unknown (NaN). The codec checks the range.</summary>
    private double Coordinate(string[] cells, IReadOnlyDictionary<string, string> fields, string field)
    {
        if (!TryCell(cells, fields, field, out string? column, out string text) || text.Length == 0)
        {
            return double.NaN;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new FormatException($"{column} '{text}' is not a number");
    }

    private T EnumOf<T>(string[] cells, IReadOnlyDictionary<string, string> fields, string field)
        where T : struct, Enum
    {
        if (!TryCell(cells, fields, field, out string? column, out string text) || text.Length == 0)
        {
            return default;
        }

        if (Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value))
        {
            return value;
        }

        throw new FormatException($"{column} '{text}' is not a {typeof(T).Name}");
    }

    private FormatException Missing(IReadOnlyDictionary<string, string> fields, string field, string? column) =>
        new(column is not null ? $"{column} is empty" : $"{(ReferenceEquals(fields, _map.Label) ? "label" : "transaction")}.{field} is not mapped");

    /// <summary>Out of range when the text is an integer at all, else not one.</summary>
    private static FormatException NotInRange(string column, string text, string min, string max) =>
        new(BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            ? $"{column} {text} is out of range {min}..{max}"
            : $"{column} '{text}' is not an integer");
}
