using System.Net;
using System.Net.Sockets;

namespace LowLatency.Adapters.Aeron.Udp;

/// <summary>
/// Maps datagram source addresses to the small ids the protocol cores use (<see cref="AeronReceiver"/> sends its SMs and NAKs
/// "to source id N"). Preallocated SocketAddress slots compared byte for byte: no allocation per datagram. When full, the
/// least recently added slot is reused (the cores refresh an image's source on every packet).
/// </summary>
internal sealed class SourceTable
{
    private readonly SocketAddress[] _addresses;
    private int _count;
    private int _next;
    private int _last = -1;

    public SourceTable(int capacity, AddressFamily family)
    {
        _addresses = new SocketAddress[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _addresses[i] = new SocketAddress(family);
        }
    }

    /// <summary>The id (1-based) of <paramref name="address"/>, adding it when new.</summary>
    public int IdOf(SocketAddress address)
    {
        ReadOnlySpan<byte> key = address.Buffer.Span.Slice(0, address.Size);
        if (_last >= 0 && Matches(_addresses[_last], key))
        {
            return _last + 1;
        }

        for (int i = 0; i < _count; i++)
        {
            if (Matches(_addresses[i], key))
            {
                _last = i;
                return i + 1;
            }
        }

        int slot = _count < _addresses.Length ? _count++ : _next;
        _next = (slot + 1) % _addresses.Length;
        SocketAddress target = _addresses[slot];
        key.CopyTo(target.Buffer.Span);
        target.Size = key.Length;
        _last = slot;
        return slot + 1;
    }

    /// <summary>The address behind <paramref name="id"/>, or null for an unknown id.</summary>
    public SocketAddress? AddressOf(int id) => id >= 1 && id <= _count ? _addresses[id - 1] : null;

    private static bool Matches(SocketAddress candidate, ReadOnlySpan<byte> key) =>
        candidate.Size == key.Length && candidate.Buffer.Span.Slice(0, key.Length).SequenceEqual(key);
}
