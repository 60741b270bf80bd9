namespace LowLatency.Adapters.Files;

/// <summary>How decisions are written to a file.</summary>
public enum DecisionLogFormat
{
    /// <summary>
    /// <c>LLDECN01</c>, then each SBE Decision message preceded by its length (int32 LE). The two engine-clock
    /// timestamps are written as 0: they measure this run's machine, not the decision, and a log must be the same
    /// bytes whenever the same input is processed (latency goes to the report instead).
    /// </summary>
    Binary,
    /// <summary>One row per decision: tx_id, outcome, score, model_version, reasons (feature:contribution;…).</summary>
    Csv,
}
