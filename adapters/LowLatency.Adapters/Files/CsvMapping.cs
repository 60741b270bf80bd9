using System.Text.Json;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Which CSV columns hold which message fields, read from a JSON file:
/// <code>
/// { "delimiter": ",",
///   "kindColumn": "kind", "transactionKind": "transaction", "labelKind": "label",
///   "transaction": { "TxId": "tx_id", "EventTimeNs": "event_time_ns", "CardId": "card_id", "AmountMinor": "amount_minor", ... },
///   "label": { "TxId": "tx_id", "LabelTimeNs": "event_time_ns", "Class": "label_class", "Source": "label_source" } }
/// </code>
/// Keys are the field names of the engine's Transaction and Label (case-insensitive); values are header names. Without
/// <c>kindColumn</c> every row is a transaction. Enums take names or numbers; empty latitude/longitude mean unknown.
/// </summary>
public sealed record CsvMapping
{
    /// <summary>Field separator (default comma).</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>Column telling transactions from labels (null: all rows are transactions).</summary>
    public string? KindColumn { get; init; }

    /// <summary>Value of <see cref="KindColumn"/> marking a transaction.</summary>
    public string TransactionKind { get; init; } = "transaction";

    /// <summary>Value of <see cref="KindColumn"/> marking a label.</summary>
    public string LabelKind { get; init; } = "label";

    /// <summary>Transaction field → column.</summary>
    public IReadOnlyDictionary<string, string> Transaction { get; init; } = new Dictionary<string, string>();

    /// <summary>Label field → column.</summary>
    public IReadOnlyDictionary<string, string> Label { get; init; } = new Dictionary<string, string>();

    /// <summary>Reads and validates a mapping file.</summary>
    public static CsvMapping Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        string? Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        Dictionary<string, string> Map(string name)
        {
            var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty(name, out var obj) && obj.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in obj.EnumerateObject())
                {
                    map[p.Name] = p.Value.GetString() ?? throw new FormatException($"{path}: {name}.{p.Name} must name a column.");
                }
            }

            return map;
        }

        string delimiter = Str("delimiter") ?? ",";
        if (delimiter.Length != 1)
        {
            throw new FormatException($"{path}: delimiter must be one character.");
        }

        var mapping = new CsvMapping
        {
            Delimiter = delimiter[0],
            KindColumn = Str("kindColumn"),
            TransactionKind = Str("transactionKind") ?? "transaction",
            LabelKind = Str("labelKind") ?? "label",
            Transaction = Map("transaction"),
            Label = Map("label"),
        };
        foreach (var required in new[] { "TxId", "EventTimeNs", "CardId", "AmountMinor" })
        {
            if (!mapping.Transaction.ContainsKey(required))
            {
                throw new FormatException($"{path}: transaction.{required} must be mapped to a column.");
            }
        }

        return mapping;
    }
}
