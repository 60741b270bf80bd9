using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>Monotonic nanoseconds for protocol timers (Stopwatch ticks are nanoseconds on Linux; scaled elsewhere).</summary>
public static class NanoClock
{
    private static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;
    private static readonly bool TicksAreNs = Stopwatch.Frequency == 1_000_000_000;

    /// <summary>Now, in nanoseconds of the monotonic clock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Now()
    {
        long ticks = Stopwatch.GetTimestamp();
        return TicksAreNs ? ticks : (long)(ticks * NsPerTick);
    }

    /// <summary>Converts Stopwatch ticks to nanoseconds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FromTicks(long ticks) => TicksAreNs ? ticks : (long)(ticks * NsPerTick);
}
