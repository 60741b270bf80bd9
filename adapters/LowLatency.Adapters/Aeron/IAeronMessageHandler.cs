namespace LowLatency.Adapters.Aeron;

/// <summary>
/// Receives reassembled messages from <see cref="AeronReceiver"/>. Implement it on a struct and pass it by ref so the JIT
/// specialises the receive loop and calls nothing virtual. The payload span points into the image's term buffer (or
/// its reassembly buffer for fragmented messages) and is valid only during the call.
/// </summary>
public interface IAeronMessageHandler
{
    /// <summary>One whole message.</summary>
    /// <param name="payload">The message bytes, valid only during the call.</param>
    /// <param name="sessionId">Publication session id.</param>
    /// <param name="streamId">Stream id.</param>
    /// <param name="position">Stream position just after the message's last (aligned) frame.</param>
    void OnMessage(ReadOnlySpan<byte> payload, int sessionId, int streamId, long position);
}
