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
/// <c>kindColumn</c> every row is a transaction; with it, a row whose kind is neither <c>transactionKind</c> nor <c>labelKind</c>
/// is malformed. Enums take names or numbers; empty latitude/longitude mean unknown.
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

    /// <summary>The Transaction fields a mapping may name (the ones <see cref="CsvSource"/> reads).</summary>
    internal static readonly string[] TransactionFields =
    [
        "TxId", "EventTimeNs", "CardId", "AccountId", "MerchantId", "DeviceId", "AmountMinor", "Ipv4", "Currency", "Mcc", "Country",
        "Channel", "EntryMode", "Flags", "Latitude", "Longitude",
    ];

    /// <summary>The Label fields a mapping may name.</summary>
    internal static readonly string[] LabelFields = ["TxId", "LabelTimeNs", "Class", "Source"];

    /// <summary>
    /// Reads and validates a mapping file. Anything wrong with it (not JSON, a value of the wrong type, an unknown field,
    /// a required field unmapped) is a <see cref="FormatException"/> whose one-line message starts with the path.
    /// </summary>
    public static CsvMapping Load(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            // The parser's message ends in "Path: $ | LineNumber: 0 | BytePositionInLine: 4." (zero-based): say where our way.
            string reason = ex.Message;
            int cut = reason.IndexOf(" Path: ", StringComparison.Ordinal) is int p and >= 0 ? p : reason.IndexOf(" LineNumber: ", StringComparison.Ordinal);
            reason = cut > 0 ? reason[..cut] : reason;
            string where = ex.LineNumber is long line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : string.Empty;
            throw new FormatException($"{path}: not valid JSON{where}: {reason}", ex);
        }

        using (doc)
        {
            return Read(path, doc.RootElement);
        }
    }

    private static CsvMapping Read(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{path}: the mapping must be a JSON object, not {Describe(root.ValueKind)}.");
        }

        string? Str(string name)
        {
            if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new FormatException($"{path}: {name} must be a string, not {Describe(v.ValueKind)}.");
        }

        Dictionary<string, string> Map(string name, string[] fields)
        {
            var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (!root.TryGetProperty(name, out var obj) || obj.ValueKind == JsonValueKind.Null)
            {
                return map;
            }

            if (obj.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"{path}: {name} must be an object naming a column for each field, not {Describe(obj.ValueKind)}.");
            }

            foreach (var p in obj.EnumerateObject())
            {
                string field = Array.Find(fields, f => f.Equals(p.Name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new FormatException($"{path}: {name}.{p.Name} is not a field of a {name} (known: {string.Join(", ", fields)}).");
                map[field] = p.Value.ValueKind == JsonValueKind.String
                    ? p.Value.GetString()!
                    : throw new FormatException($"{path}: {name}.{p.Name} must be a column name (a string), not {Describe(p.Value.ValueKind)}.");
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
            Transaction = Map("transaction", TransactionFields),
            Label = Map("label", LabelFields),
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

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
