using System.Globalization;
using System.IO.Compression;

namespace LowLatency.Models.Tests;

/// <summary>Reads the committed XGBoost fixtures (models/reference/fixtures, copied next to the test binary).</summary>
internal static class Fixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static Stream OpenGz(string name) => new GZipStream(File.OpenRead(Path.Combine(Dir, name)), CompressionMode.Decompress);

    public static List<float[]> Csv(string name)
    {
        using var reader = new StreamReader(OpenGz(name));
        var rows = new List<float[]>();
        while (reader.ReadLine() is { } line)
        {
            rows.Add(line.Split(',').Select(s => s == "nan" ? float.NaN : float.Parse(s, CultureInfo.InvariantCulture)).ToArray());
        }

        return rows;
    }

    private static readonly Lazy<List<float[]>> s_features = new(() => Csv("features.csv.gz"));

    public static List<float[]> Features => s_features.Value;
}
