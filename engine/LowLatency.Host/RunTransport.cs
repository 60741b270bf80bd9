namespace LowLatency.Host;

/// <summary>How the simulated gateway reaches the engine in <c>demo</c> and <c>bench</c>.</summary>
internal enum RunTransport
{
    /// <summary>Aeron over UDP on loopback: a gateway client publishes, the engine's receiver decodes into the ring, decisions come back on the wire.</summary>
    Udp,

    /// <summary>In process: the load driver writes straight into the ring, latency measured to the decision.</summary>
    InProc,
}
