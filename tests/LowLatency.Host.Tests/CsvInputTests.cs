using System.Text.RegularExpressions;

namespace LowLatency.Host.Tests;

/// <summary>What <c>replay</c> and <c>features export</c> tell the user about bad CSV rows and bad column maps.</summary>
public sealed partial class CsvInputTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private static readonly string[] Model = ["--history", "5000", "--sim-cards", "5000", "--card-capacity", "16384"];

    private const string Map = """
        { "kindColumn": "kind",
          "transaction": { "TxId": "tx_id", "EventTimeNs": "event_time_ns", "CardId": "card_id", "AmountMinor": "amount_minor",
                           "Currency": "currency", "Channel": "channel", "Flags": "flags" },
          "label": { "TxId": "tx_id", "LabelTimeNs": "event_time_ns", "Class": "label_class" } }
        """;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lowlat-csv-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string P(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>Exit code and stdout+stderr with whitespace runs made one space (the console wraps long lines at 80 columns).</summary>
    private static (int Code, string Out) Run(params string[] args)
    {
        var (code, output, error) = Lowlat.Run(Bound, args);
        return (code, Whitespace().Replace(output + error, " "));
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [Fact]
    public void Replay_and_features_export_print_the_first_malformed_rows_reason_after_the_count()
    {
        File.WriteAllText(P("map.json"), Map);
        File.WriteAllLines(P("in.csv"),
        [
            "kind,tx_id,event_time_ns,card_id,amount_minor,currency,channel,flags,label_class",
            "transaction,1,1700000000000000000,42,1250,978,Pos,1,",
            "transaction,2,1700000001000000000,42,1250,99999,Pos,1,",
            "bogus,3,1700000002000000000,42,1250,978,Pos,1,",
            "transaction,4,1700000003000000000,42,1250,978,Pos,257,",
            "label,1,1700000004000000000,,,,,,Genuine",
        ]);

        var (code, output) = Run(["replay", P("in.csv"), "--map", P("map.json"), "--decisions", P("d.csv"), .. Model]);
        Assert.True(code == 0, output);
        Assert.Contains("3 malformed input records first malformed record: line 3: currency 99999 is out of range 0..65535", output, StringComparison.Ordinal);
        Assert.Equal(["1"], File.ReadLines(P("d.csv")).Skip(1).Select(l => l.Split(',')[0]));

        (code, output) = Run(["features", "export", P("in.csv"), "--map", P("map.json"), "--out", P("train.csv"), .. Model]);
        Assert.True(code == 0, output);
        Assert.Contains("3 malformed input records first malformed record: line 3: currency 99999 is out of range 0..65535", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_clean_csv_prints_no_malformed_reason()
    {
        File.WriteAllText(P("map.json"), Map);
        File.WriteAllLines(P("in.csv"), ["kind,tx_id,event_time_ns,card_id,amount_minor,currency,channel,flags,label_class", "transaction,1,1700000000000000000,42,1250,978,Pos,1,"]);
        var (code, output) = Run(["replay", P("in.csv"), "--map", P("map.json"), .. Model]);
        Assert.True(code == 0, output);
        Assert.Contains(" 0 malformed input records", output, StringComparison.Ordinal);
        Assert.DoesNotContain("first malformed record", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{bad", "not valid JSON (line 1, byte 2)")]
    [InlineData("""{"transaction":{"TxId":5}}""", "transaction.TxId must be a column name (a string), not a number.")]
    [InlineData("[]", "the mapping must be a JSON object, not an array.")]
    public void A_malformed_column_map_is_one_line_naming_the_file_and_exit_code_1(string json, string what)
    {
        File.WriteAllText(P("map.json"), json);
        File.WriteAllLines(P("in.csv"), ["kind,tx_id,event_time_ns,card_id,amount_minor", "transaction,1,1700000000000000000,42,1250"]);
        foreach (var command in new[] { new[] { "replay", P("in.csv") }, ["features", "export", P("in.csv"), "--out", P("train.csv")] })
        {
            var (code, output, error) = Lowlat.Run(Bound, [.. command, "--map", P("map.json"), .. Model]);
            string all = (output + error).Trim();
            Assert.True(code == 1, all);
            Assert.StartsWith($"{P("map.json")}: ", all, StringComparison.Ordinal);
            Assert.Contains(what, Whitespace().Replace(all, " "), StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", all, StringComparison.Ordinal);
            Assert.DoesNotContain(" at ", all, StringComparison.Ordinal);
        }
    }
}
