using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>
/// Batched send on Linux: one sendmmsg(2) syscall sends up to <see cref="Capacity"/> datagrams, cut from consecutive
/// bytes of the caller's buffer (a publication's term), to one destination. The message headers, their iovecs and the
/// destination's sockaddr live in native memory allocated once; the datagram bytes are not copied (the iovecs point into
/// the caller's buffer, fixed for the duration of the call). x86-64/arm64 LP64 layouts, as <see cref="RecvMmsg"/>.
/// Used by <see cref="UdpPublication"/> when <see cref="UdpEndpointOptions.BatchedSend"/> is set. Not thread-safe: the
/// publication's lock serialises its use.
/// </summary>
internal sealed unsafe partial class SendMmsg : IDisposable
{
    public const int Capacity = 64;

    private readonly Socket _socket;
    private readonly MMsgHdr* _headers;
    private readonly IoVec* _vectors;
    private readonly byte* _address;
    private readonly int _addressLength;
    private bool _disposed;

    public SendMmsg(Socket socket, SocketAddress destination)
    {
        _socket = socket;
        _addressLength = destination.Size;
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MMsgHdr)));
        _vectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(IoVec)));
        _address = (byte*)NativeMemory.AllocZeroed((nuint)_addressLength);

        // SocketAddress holds the raw sockaddr on Linux (what the endpoint's recvmmsg path relies on as well).
        destination.Buffer.Span[.._addressLength].CopyTo(new Span<byte>(_address, _addressLength));
    }

    public static bool IsSupported => RecvMmsg.IsSupported;

    /// <summary>
    /// Sends the datagrams (see <see cref="IDatagramSender.TrySendBatch"/>), <see cref="Capacity"/> per syscall. Returns
    /// how many the kernel took; it stops at the first syscall that took fewer than asked or failed.
    /// </summary>
    public int Send(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
    {
        if (_disposed)
        {
            return 0;
        }

        int sent = 0;
        fixed (byte* data = datagrams)
        {
            int offset = 0;
            while (sent < lengths.Length)
            {
                int count = Math.Min(lengths.Length - sent, Capacity);
                for (int i = 0; i < count; i++)
                {
                    int length = lengths[sent + i];
                    _vectors[i].Base = data + offset;
                    _vectors[i].Length = (nuint)length;
                    offset += length;
                    _headers[i].Set(_address, (uint)_addressLength, _vectors + i);
                }

                int n = sendmmsg((int)_socket.SafeHandle.DangerousGetHandle(), _headers, (uint)count, 0);
                if (n <= 0)
                {
                    // Buffer full (a non-blocking socket) or an ICMP error left on the socket: the publication counts it
                    // and sends the rest on a later cycle, as after a failed sendto.
                    break;
                }

                sent += n;
                if (n < count)
                {
                    break;
                }
            }
        }

        return sent;
    }

    /// <summary>Frees the native memory; later sends return 0. Call under the owner's lock.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.Free(_headers);
        NativeMemory.Free(_vectors);
        NativeMemory.Free(_address);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sendmmsg(int fd, MMsgHdr* vector, uint length, int flags);
}
