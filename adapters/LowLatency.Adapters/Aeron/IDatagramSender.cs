namespace LowLatency.Adapters.Aeron;

/// <summary>
/// Where an <see cref="AeronPublication"/> sends its datagrams (SETUP, data, heartbeats, retransmissions, RTTM replies):
/// a UDP socket connected to the subscriber, or a test's collector. Implement on a struct and pass it by ref so the send
/// path is specialised and calls nothing virtual. The datagram span is valid only during the call.
/// </summary>
public interface IDatagramSender
{
    /// <summary>Sends one datagram; false when the transport cannot take it now (the publication retries later).</summary>
    bool TrySend(ReadOnlySpan<byte> datagram);
}
