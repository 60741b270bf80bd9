namespace LowLatency.Adapters.Transport;

/// <summary>
/// What arrived on the control stream: accepted commands by kind and refusals by reason. Plain fields written by the
/// endpoint thread, read by monitors (slightly stale is fine). Datagrams from sources outside the control allow-list never
/// get here: the control receiver counts them (<see cref="Aeron.ReceiverRejectReason.SourceNotAllowed"/>).
/// </summary>
public sealed class ControlCounters
{
    /// <summary>PromoteModel commands put into the ring.</summary>
    public long Promote;

    /// <summary>RollbackModel commands put into the ring.</summary>
    public long Rollback;

    /// <summary>Snapshot commands put into the ring.</summary>
    public long Snapshot;

    /// <summary>HoldModel and ReleaseModel commands put into the ring.</summary>
    public long Hold;

    /// <summary>Messages on the control stream that are not SBE Control messages (another template or schema).</summary>
    public long NotControl;

    /// <summary>Control messages that failed validation (short, bad block, unknown command).</summary>
    public long Malformed;

    /// <summary>PromoteModel commands without a model version (0): nothing to promote.</summary>
    public long MissingModelVersion;

    /// <summary>Commands accepted into the ring (all kinds).</summary>
    public long Accepted => Volatile.Read(ref Promote) + Volatile.Read(ref Rollback) + Volatile.Read(ref Snapshot) + Volatile.Read(ref Hold);

    /// <summary>Messages refused for their content (not counting refusals by source or after shutdown began).</summary>
    public long Refused => Volatile.Read(ref NotControl) + Volatile.Read(ref Malformed) + Volatile.Read(ref MissingModelVersion);
}
