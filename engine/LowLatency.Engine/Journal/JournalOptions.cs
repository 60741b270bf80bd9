namespace LowLatency.Engine.Journal;

/// <summary>The journal's configuration, with documented defaults; <see cref="Validate"/> names the first bad value.</summary>
public sealed record JournalOptions
{
    /// <summary>Smallest segment accepted (a segment must hold its header and at least one largest record).</summary>
    public const int MinSegmentBytes = 64 * 1024;

    /// <summary>Directory holding the segment files (created when missing).</summary>
    public required string Directory { get; init; }

    /// <summary>Size of each segment file, preallocated and mapped; a new segment starts when a record does not fit (default 64 MiB).</summary>
    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>When writes are forced to the disk (default <see cref="JournalDurability.None"/>).</summary>
    public JournalDurability Durability { get; init; } = JournalDurability.None;

    /// <summary>
    /// Batch durability: sync after this many records at most (default 65,536: 8 MiB of 128-byte records). At any rate
    /// the engine sustains, <see cref="SyncInterval"/> comes first and is the loss window; this caps the size of one
    /// sync beyond that. Each msync pays a flush of the disk's cache, so fewer, larger syncs write faster: 4,096 records
    /// per sync wrote about 170 MB/s where 65,536 write about 570 MB/s (perf/RESULTS.md, eighth session).
    /// </summary>
    public int SyncEveryRecords { get; init; } = 65_536;

    /// <summary>Batch durability: sync at least this often while records arrive (default 10 ms).</summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Throws with a message naming the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            throw new ArgumentException("The journal directory must be named.");
        }

        if (SegmentBytes < MinSegmentBytes || SegmentBytes > int.MaxValue || SegmentBytes % 4096 != 0)
        {
            throw new ArgumentException($"SegmentBytes must be a multiple of 4096 between {MinSegmentBytes} and {int.MaxValue}; got {SegmentBytes}.");
        }

        if (SyncEveryRecords < 1)
        {
            throw new ArgumentException($"SyncEveryRecords must be at least 1; got {SyncEveryRecords}.");
        }

        if (SyncInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"SyncInterval must be positive; got {SyncInterval}.");
        }
    }

    /// <summary>The directory and how it is written: segment size, durability and, for batch, when it syncs.</summary>
    public string Describe() =>
        $"{Directory}, segments {SegmentBytes >> 20} MiB, durability {Durability}" +
        (Durability == JournalDurability.Batch ? $" (synced every {SyncInterval.TotalMilliseconds:0.#} ms or {SyncEveryRecords} records)" : string.Empty);

    /// <inheritdoc/>
    public override string ToString() => "journal " + Describe();
}
