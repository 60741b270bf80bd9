namespace LowLatency.Adapters.Sbe;

/// <summary>Outcome of decoding one message: <see cref="Ok"/> or the reason it was rejected.</summary>
public enum DecodeStatus : byte
{
    /// <summary>Decoded.</summary>
    Ok = 0,
    /// <summary>Fewer bytes than the header, block or group says.</summary>
    ShortBuffer,
    /// <summary>The header names another schema.</summary>
    WrongSchemaId,
    /// <summary>A template id this decoder does not know (or not expected here).</summary>
    UnknownTemplate,
    /// <summary>The block is shorter than this schema version's fields need.</summary>
    BlockLengthTooSmall,
    /// <summary>An enum field holds a value outside its valid values.</summary>
    EnumOutOfRange,
    /// <summary>A set (flags) field has bits no choice defines, in a message of our own version.</summary>
    UnknownFlags,
    /// <summary>A float field is infinite, or NaN where null is not allowed.</summary>
    NonFiniteValue,
    /// <summary>A field is outside its documented range (negative amount, latitude beyond ±90, …).</summary>
    FieldOutOfRange,
    /// <summary>A repeating group has more entries than allowed or a block shorter than its fields.</summary>
    BadGroup,
}

/// <summary>
/// Rejects by reason, owned by the decoding thread (plain increments); monitors read a copy via <see cref="Snapshot"/>.
/// </summary>
public sealed class DecodeCounters
{
    private readonly long[] _counts = new long[Enum.GetValues<DecodeStatus>().Length];

    /// <summary>Counts one decode outcome and returns it, so call sites can count and branch in one expression.</summary>
    public DecodeStatus Count(DecodeStatus status)
    {
        _counts[(int)status]++;
        return status;
    }

    /// <summary>How many decodes ended with <paramref name="status"/>.</summary>
    public long this[DecodeStatus status] => Volatile.Read(ref _counts[(int)status]);

    /// <summary>All rejects (every status but Ok).</summary>
    public long Rejected
    {
        get
        {
            long sum = 0;
            for (int i = 1; i < _counts.Length; i++)
            {
                sum += Volatile.Read(ref _counts[i]);
            }

            return sum;
        }
    }

    /// <summary>A copy of the non-zero counts by reason.</summary>
    public IReadOnlyDictionary<DecodeStatus, long> Snapshot() =>
        Enum.GetValues<DecodeStatus>().Where(s => this[s] != 0).ToDictionary(s => s, s => this[s]);
}
