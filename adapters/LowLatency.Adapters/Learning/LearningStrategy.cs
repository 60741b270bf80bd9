namespace LowLatency.Adapters.Learning;

/// <summary>How a model is kept current after the bootstrap.</summary>
public enum LearningStrategy
{
    /// <summary>Trained once on the bootstrap history, then frozen.</summary>
    Static = 0,

    /// <summary>Retrained from scratch every few minutes on a trailing window of labelled examples.</summary>
    Retrain = 1,

    /// <summary>The bootstrap model keeps learning from every delayed label (FTRL, prequential).</summary>
    Continual = 2,
}
