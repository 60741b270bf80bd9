namespace LowLatency.Engine.Journal;

/// <summary>When journal writes are forced to the disk.</summary>
public enum JournalDurability
{
    /// <summary>
    /// Never explicitly: records are in the page cache the moment they are appended, so they survive a process
    /// crash (the kernel owns the mapped pages) but not a power loss or kernel panic.
    /// </summary>
    None,
    /// <summary>
    /// msync the newly written range every <see cref="JournalOptions.SyncInterval"/> (10 ms) or
    /// <see cref="JournalOptions.SyncEveryRecords"/> records, whichever comes first, without holding decisions back: a
    /// power loss loses at most that window.
    /// </summary>
    Batch,
    /// <summary>
    /// msync at the end of every batch the journal handler sees, and decisions wait for it (the decide stage is
    /// gated on the journal): nothing is answered before it is on the disk. Group commit keeps the cost per batch.
    /// </summary>
    SyncBeforePublish,
}
