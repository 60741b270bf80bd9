using System.Net;
using System.Net.Sockets;

namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>
/// Sends datagrams to one address from a socket, without allocating (the SocketAddress overloads); batches go out with
/// one sendmmsg(2) when <paramref name="batch"/> is given, otherwise one sendto per datagram.
/// </summary>
internal readonly struct SocketSender(Socket socket, SocketAddress destination, SendMmsg? batch) : IDatagramSender
{
    public bool TrySend(ReadOnlySpan<byte> datagram)
    {
        try
        {
            return socket.SendTo(datagram, SocketFlags.None, destination) == datagram.Length;
        }
        catch (SocketException)
        {
            // Buffer full or an ICMP error left on the socket: the publication counts it and retries on a later cycle.
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public int TrySendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
    {
        if (batch is null)
        {
            var self = this;
            return DatagramBatch.SendEach(ref self, datagrams, lengths);
        }

        return batch.Send(datagrams, lengths);
    }
}
