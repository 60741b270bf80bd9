using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>
/// Batched receive on Linux: one recvmmsg(2) syscall (non-blocking) fills up to <see cref="Capacity"/> preallocated
/// datagram buffers and their source addresses. Native memory allocated once; x86-64/arm64 LP64 struct layouts.
/// Used by <see cref="AeronUdpEndpoint"/> when <see cref="UdpEndpointOptions.BatchedReceive"/> is set.
/// </summary>
internal sealed unsafe partial class RecvMmsg : IDisposable
{
    public const int Capacity = 32;
    private const int DatagramLength = 64 * 1024;
    private const int AddressLength = 128; // sockaddr_storage
    private const int MsgDontWait = 0x40;
    private const int EAgain = 11;

    private readonly Socket _socket;
    private readonly MMsgHdr* _headers;
    private readonly IoVec* _vectors;
    private readonly byte* _data;
    private readonly byte* _addresses;

    public RecvMmsg(Socket socket)
    {
        _socket = socket;
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MMsgHdr)));
        _vectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(IoVec)));
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)(Capacity * DatagramLength), 64);
        _addresses = (byte*)NativeMemory.AllocZeroed((nuint)(Capacity * AddressLength));
        for (int i = 0; i < Capacity; i++)
        {
            _vectors[i].Base = _data + ((long)i * DatagramLength);
            _vectors[i].Length = DatagramLength;
        }
    }

    public static bool IsSupported => OperatingSystem.IsLinux() && (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64);

    /// <summary>Receives up to <see cref="Capacity"/> datagrams without blocking; 0 when none is waiting, -1 on another error.</summary>
    public int Receive()
    {
        for (int i = 0; i < Capacity; i++)
        {
            _headers[i].Set(_addresses + (i * AddressLength), AddressLength, _vectors + i);
        }

        int n = recvmmsg((int)_socket.SafeHandle.DangerousGetHandle(), _headers, Capacity, MsgDontWait, null);
        if (n >= 0)
        {
            return n;
        }

        return Marshal.GetLastPInvokeError() == EAgain ? 0 : -1;
    }

    /// <summary>Datagram <paramref name="i"/> of the last batch.</summary>
    public ReadOnlySpan<byte> Datagram(int i) => new(_data + ((long)i * DatagramLength), (int)_headers[i].Length);

    /// <summary>Source address (raw sockaddr) of datagram <paramref name="i"/>.</summary>
    public ReadOnlySpan<byte> Source(int i) => new(_addresses + (i * AddressLength), (int)_headers[i].Hdr.NameLength);

    public void Dispose()
    {
        NativeMemory.Free(_headers);
        NativeMemory.Free(_vectors);
        NativeMemory.AlignedFree(_data);
        NativeMemory.Free(_addresses);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int recvmmsg(int fd, MMsgHdr* vector, uint length, int flags, void* timeout);
}
