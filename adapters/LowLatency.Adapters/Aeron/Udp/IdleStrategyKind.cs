namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>
/// What a UDP endpoint's duty loop does when a cycle found no work. On a 2-core machine a thread that never sleeps takes a
/// core from the pipeline, so the default parks in the kernel until a datagram arrives; spinning is an explicit choice.
/// </summary>
public enum IdleStrategyKind
{
    /// <summary>
    /// Spin a few cycles, yield a few times, then block in poll() on the socket for up to
    /// <see cref="UdpEndpointOptions.MaxParkMicroseconds"/>: no CPU when idle, woken by the next datagram (the default).
    /// </summary>
    Backoff,

    /// <summary>Spin briefly, then <see cref="Thread.Yield"/> forever: low wake-up latency, a core kept busy when idle.</summary>
    Yielding,

    /// <summary>Never yield: lowest latency, one core burnt. Only when spinning threads do not outnumber the cores.</summary>
    BusySpin,
}
