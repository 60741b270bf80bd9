using System.Text;
using LowLatency.Models.Champion;
using LowLatency.Models.Import;

namespace LowLatency.Models.Persistence;

/// <summary>Loads any supported model file as a champion, telling the format from the first bytes.</summary>
public static class ModelLoader
{
    /// <summary>
    /// Loads <paramref name="path"/>: "LLMODEL\0" → our binary format, '{' → XGBoost JSON, "tree" → LightGBM
    /// text. Imported tree models become a lone-ensemble champion whose margin and prediction are exactly
    /// the ensemble's. Throws <see cref="ModelFormatException"/> for anything else.
    /// </summary>
    public static ChampionModel Load(string path, out ModelFileFormat format)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (ModelFile.HasMagic(bytes))
        {
            format = ModelFileFormat.LowLatencyBinary;
            return ModelFile.Read(bytes);
        }

        var head = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 64)).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (head.StartsWith('{'))
        {
            format = ModelFileFormat.XGBoostJson;
            return ChampionModel.FromTrees(XGBoostJson.Parse(bytes));
        }

        if (LightGbmText.LooksLikeModel(head))
        {
            format = ModelFileFormat.LightGbmText;
            return ChampionModel.FromTrees(LightGbmText.Parse(Encoding.UTF8.GetString(bytes)));
        }

        throw new ModelFormatException($"{Path.GetFileName(path)}: not a LowLatency model (magic LLMODEL), XGBoost JSON or LightGBM text model.");
    }
}
