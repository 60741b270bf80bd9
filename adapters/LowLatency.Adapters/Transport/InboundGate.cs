namespace LowLatency.Adapters.Transport;

/// <summary>
/// Whether the engine still accepts inbound messages into its ring. Open from the start; <see cref="Close"/> is the first
/// step of a clean shutdown: from then on the inbound handlers drop what arrives (counted in <see cref="Refused"/>) while
/// the endpoint thread keeps answering flow control and sending decisions. One volatile read per message.
/// </summary>
public sealed class InboundGate
{
    private volatile bool _open = true;
    private long _refused;

    /// <summary>Whether messages are still accepted.</summary>
    public bool IsOpen => _open;

    /// <summary>Messages dropped because they arrived after <see cref="Close"/> (any thread may read).</summary>
    public long Refused => Volatile.Read(ref _refused);

    /// <summary>Stops accepting. Handler calls already past their check may still publish: see <see cref="EngineTransport.StopAccepting"/>.</summary>
    public void Close() => _open = false;

    /// <summary>Counts one refused message (the handler thread only).</summary>
    internal void CountRefused() => Volatile.Write(ref _refused, _refused + 1);
}
