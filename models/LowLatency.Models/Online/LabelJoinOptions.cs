namespace LowLatency.Models.Online;

/// <summary>Sizing of <see cref="LabelJoinStore"/>; everything is allocated once from these at start-up.</summary>
public sealed record LabelJoinOptions
{
    /// <summary>Decisions held at most (default 1,048,576); when full the oldest is evicted to admit a new one.</summary>
    public int Capacity { get; init; } = 1 << 20;

    /// <summary>How long a decision waits for its label, in event time (default 1 day); older ones are evicted.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Dense features logged per decision.</summary>
    public int DenseCount { get; init; }

    /// <summary>Most sparse keys logged per decision (default 16).</summary>
    public int MaxSparseKeys { get; init; } = 16;

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        if (Capacity is < 1 or > 1 << 26)
        {
            throw new ArgumentException($"Capacity must be 1..67,108,864; got {Capacity}.");
        }

        if (Retention <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Retention must be positive; got {Retention}.");
        }

        if (DenseCount is < 0 or > 4096 || MaxSparseKeys is < 0 or > 4096)
        {
            throw new ArgumentException($"DenseCount and MaxSparseKeys must be 0..4096; got {DenseCount} and {MaxSparseKeys}.");
        }

        if ((long)Capacity * (DenseCount + (2L * MaxSparseKeys)) > 1L << 31)
        {
            throw new ArgumentException($"Capacity {Capacity} × ({DenseCount} dense + {MaxSparseKeys} keys) does not fit in memory arrays.");
        }
    }
}
