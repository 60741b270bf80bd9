using LowLatency.Adapters.Files;
using static LowLatency.Adapters.Tests.Files.ReplayFixtures;

namespace LowLatency.Adapters.Tests.Files;

public sealed class CsvMappingTests : IDisposable
{
    private const string Required = "\"TxId\": \"tx_id\", \"EventTimeNs\": \"t\", \"CardId\": \"card\", \"AmountMinor\": \"amount\"";

    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, "map.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void A_valid_mapping_is_read_with_its_defaults()
    {
        var map = CsvMapping.Load(Write($$"""{ "kindColumn": "kind", "transaction": { {{Required}}, "currency": "cur" }, "label": { "TxId": "tx_id" } }"""));
        Assert.Equal((',', "kind", "transaction", "label"), (map.Delimiter, map.KindColumn, map.TransactionKind, map.LabelKind));
        Assert.Equal("cur", map.Transaction["Currency"]);
        Assert.Equal("tx_id", map.Label["txid"]);
    }

    [Theory]
    [InlineData("{bad", "not valid JSON (line 1, byte ")]
    [InlineData("", "not valid JSON (line 1, byte ")]
    [InlineData("[]", "the mapping must be a JSON object, not an array")]
    [InlineData("\"x\"", "the mapping must be a JSON object, not a string")]
    [InlineData("""{"transaction":{"TxId":5}}""", "transaction.TxId must be a column name (a string)")]
    [InlineData("""{"transaction":{"TxId":null}}""", "transaction.TxId must be a column name (a string)")]
    [InlineData("""{"transaction":{"TxId":"tx_id", "EventTimeNs":["t"]}}""", "transaction.EventTimeNs must be a column name (a string)")]
    [InlineData("""{"transaction":[]}""", "transaction must be an object naming a column for each field")]
    [InlineData("""{"label":"x", "transaction":{}}""", "label must be an object naming a column for each field")]
    [InlineData("""{"kindColumn": 5}""", "kindColumn must be a string")]
    [InlineData("""{"delimiter": true}""", "delimiter must be a string")]
    [InlineData("""{"delimiter": ";;"}""", "delimiter must be one character")]
    [InlineData("""{"transaction":{"TxId":"tx_id", "Curency":"cur"}}""", "transaction.Curency is not a field of a transaction")]
    [InlineData("""{"label":{"Klass":"c"}}""", "label.Klass is not a field of a label")]
    [InlineData("""{"transaction":{"TxId":"tx_id"}}""", "transaction.EventTimeNs must be mapped to a column")]
    public void A_malformed_mapping_is_a_format_error_naming_the_file_and_what_is_wrong(string json, string what)
    {
        string path = Write(json);
        var ex = Assert.Throws<FormatException>(() => CsvMapping.Load(path));
        Assert.StartsWith($"{path}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(what, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
