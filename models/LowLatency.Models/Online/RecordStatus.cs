namespace LowLatency.Models.Online;

/// <summary>What <see cref="LabelJoinStore.Record"/> did with a decision.</summary>
public enum RecordStatus : byte
{
    /// <summary>Logged; a label may join it.</summary>
    Stored = 0,

    /// <summary>A decision with this txId is already held; the first one is kept.</summary>
    DuplicateTx = 1,

    /// <summary>The dense vector has the wrong length or there are too many sparse keys.</summary>
    BadShape = 2,
}
