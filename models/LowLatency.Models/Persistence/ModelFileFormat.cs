namespace LowLatency.Models.Persistence;

/// <summary>The model file formats <see cref="ModelLoader"/> recognises.</summary>
public enum ModelFileFormat
{
    /// <summary>Our binary snapshot (<see cref="ModelFile"/>).</summary>
    LowLatencyBinary,

    /// <summary>XGBoost JSON (<see cref="Import.XGBoostJson"/>).</summary>
    XGBoostJson,

    /// <summary>LightGBM text (<see cref="Import.LightGbmText"/>).</summary>
    LightGbmText,
}
