using System.Net;
using System.Net.Sockets;

namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>
/// An <see cref="AeronPublication"/> on an <see cref="AeronUdpEndpoint"/>'s socket, sending to one subscriber address.
/// <see cref="Offer"/> may be called from one application thread while the endpoint's thread handles SMs, NAKs and timers:
/// a lock (uncontended almost always: the endpoint takes it only for control frames and a bounded duty cycle) guards the
/// protocol core, and the offering thread sends new data itself, so a message leaves without waiting for the endpoint's
/// thread to wake.
/// </summary>
public sealed class UdpPublication
{
    private readonly Lock _lock = new();
    private readonly AeronPublication _publication;
    private readonly Socket _socket;
    private readonly SocketAddress _destination;
    private SendMmsg? _batch;

    internal UdpPublication(AeronPublication publication, Socket socket, IPEndPoint destination, bool batchedSend)
    {
        _publication = publication;
        _socket = socket;
        Destination = destination;
        _destination = destination.Serialize();
        if (batchedSend && SendMmsg.IsSupported)
        {
            _batch = new SendMmsg(socket, _destination);
        }
    }

    /// <summary>Where the data goes (the subscriber's channel endpoint).</summary>
    public IPEndPoint Destination { get; }

    /// <summary>The protocol core; read its counters and positions, but drive it only through this wrapper.</summary>
    public AeronPublication Core => _publication;

    /// <summary>Whether a subscriber sent a status message within the connection timeout.</summary>
    public bool IsConnected => _publication.IsConnected;

    /// <summary>Whether close finished lingering.</summary>
    public bool IsFinished => _publication.IsFinished;

    /// <summary>
    /// Appends a message and, when <paramref name="send"/> (the default), sends what the receiver's window allows at once.
    /// With <paramref name="send"/> false the message waits for <see cref="Flush"/> or the endpoint's next duty cycle, so a
    /// burst of offers leaves as few full datagrams (Aeron batches frames up to the mtu). Anything but
    /// <see cref="OfferResult.Ok"/> means the message was not taken (see <see cref="OfferResult"/>).
    /// </summary>
    public OfferResult Offer(ReadOnlySpan<byte> message, bool send = true)
    {
        lock (_lock)
        {
            OfferResult result = _publication.Offer(message);
            if (send && result == OfferResult.Ok)
            {
                var sender = new SocketSender(_socket, _destination, _batch);
                _publication.DoWork(NanoClock.Now(), ref sender);
            }

            return result;
        }
    }

    /// <summary>Sends everything offered that the receiver's window allows now; returns the datagrams sent.</summary>
    public int Flush()
    {
        lock (_lock)
        {
            var sender = new SocketSender(_socket, _destination, _batch);
            return _publication.DoWork(NanoClock.Now(), ref sender);
        }
    }

    /// <summary>Stops accepting messages; the endpoint keeps sending the rest, then EOS for the linger time.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _publication.Close(NanoClock.Now());
        }
    }

    /// <summary>Whether data datagrams leave in batches of one sendmmsg (see <see cref="UdpEndpointOptions.BatchedSend"/>).</summary>
    public bool IsBatchedSend => _batch is not null;

    /// <summary>Frees the batch's native memory; called by the endpoint before it closes the socket.</summary>
    internal void Release()
    {
        lock (_lock)
        {
            _batch?.Dispose();
            _batch = null;
        }
    }

    internal int DoWork(long nowNs)
    {
        lock (_lock)
        {
            var sender = new SocketSender(_socket, _destination, _batch);
            return _publication.DoWork(nowNs, ref sender);
        }
    }

    internal bool TryControl(ReadOnlySpan<byte> datagram, long nowNs)
    {
        if (!_publication.IsFor(datagram))
        {
            return false;
        }

        lock (_lock)
        {
            _publication.OnControl(datagram, nowNs);
            var sender = new SocketSender(_socket, _destination, _batch);
            _publication.DoWork(nowNs, ref sender); // a NAK or a window update is answered in the same cycle
        }

        return true;
    }
}
