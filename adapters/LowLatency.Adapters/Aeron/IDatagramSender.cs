namespace LowLatency.Adapters.Aeron;

/// <summary>
/// Where an <see cref="AeronPublication"/> sends its datagrams (SETUP, data, heartbeats, retransmissions, RTTM replies):
/// a UDP socket connected to the subscriber, or a test's collector. Implement on a struct and pass it by ref so the send
/// path is specialised and calls nothing virtual. The datagram spans are valid only during the call.
/// </summary>
public interface IDatagramSender
{
    /// <summary>Sends one datagram; false when the transport cannot take it now (the publication retries later).</summary>
    bool TrySend(ReadOnlySpan<byte> datagram);

    /// <summary>
    /// Sends consecutive datagrams cut from <paramref name="datagrams"/>: the first is its first
    /// <c>lengths[0]</c> bytes, the next the following <c>lengths[1]</c> bytes, and so on (the lengths add up to its
    /// length). Returns how many, from the first, the transport took; it stops at the first it cannot take now. A
    /// transport without a batched call sends them one by one exactly as <see cref="TrySend"/> would (see
    /// <see cref="DatagramBatch.SendEach"/>); a UDP socket on Linux sends them with one sendmmsg(2).
    /// </summary>
    int TrySendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths);
}
