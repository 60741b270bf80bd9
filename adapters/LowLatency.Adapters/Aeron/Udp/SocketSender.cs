using System.Net;
using System.Net.Sockets;

namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>Sends datagrams to one address from a socket, without allocating (the SocketAddress overloads).</summary>
internal readonly struct SocketSender(Socket socket, SocketAddress destination) : IDatagramSender
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
}
