namespace LowLatency.Models.Trees;

/// <summary>How an ensemble's margin becomes its prediction.</summary>
public enum TreeOutput : byte
{
    /// <summary>The prediction is the margin itself (regression, binary:logitraw).</summary>
    RawMargin = 0,

    /// <summary>The prediction is sigmoid(margin) (binary:logistic, LightGBM binary).</summary>
    Logistic = 1,

    /// <summary>
    /// sigmoid(margin) evaluated in float as 1 / (1 + expf(-m)), the formula XGBoost uses, so imported
    /// models reproduce its probabilities to the last bit rather than being (more) correctly rounded.
    /// </summary>
    LogisticFloat32 = 2,
}
