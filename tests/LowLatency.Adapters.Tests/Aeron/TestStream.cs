using System.Buffers.Binary;

namespace LowLatency.Adapters.Tests.Aeron;

/// <summary>
/// A hand-rolled test sender, written from PROTOCOL.md §3/§6 independently of the engine's publication: lays messages out
/// in a log as Aeron does and hands out datagrams (whole aligned frames) and control frames as byte arrays.
/// </summary>
internal sealed class TestStream(int sessionId, int streamId, int initialTermId, int termLength, int mtu = 1408)
{
    private readonly int _bits = System.Numerics.BitOperations.Log2((uint)termLength);
    private readonly List<(long Position, byte[] Frame)> _frames = new();

    public int SessionId => sessionId;

    public int StreamId => streamId;

    public int InitialTermId => initialTermId;

    public int TermLength => termLength;

    public long Position { get; private set; }

    public int TermId(long position) => unchecked(initialTermId + (int)(position >> _bits));

    public int TermOffset(long position) => (int)(position & (termLength - 1));

    public byte[] Setup(long position = 0)
    {
        var b = new byte[40];
        W(b, 0, 40); b[6] = 5;
        W(b, 8, TermOffset(position)); W(b, 12, sessionId); W(b, 16, streamId); W(b, 20, initialTermId);
        W(b, 24, TermId(position)); W(b, 28, termLength); W(b, 32, mtu);
        return b;
    }

    public byte[] Heartbeat(long position, byte flags = 0xC0)
    {
        var b = new byte[32];
        b[5] = flags; b[6] = 1;
        W(b, 8, TermOffset(position)); W(b, 12, sessionId); W(b, 16, streamId); W(b, 20, TermId(position));
        return b;
    }

    /// <summary>Appends one message (fragmenting at mtu − 32, padding to the next term when it does not fit); returns its frames' indices.</summary>
    public List<int> Append(byte[] message)
    {
        int maxPayload = mtu - 32;
        int fragments = Math.Max(1, (message.Length + maxPayload - 1) / maxPayload);
        int required = 0;
        for (int i = 0; i < fragments; i++)
        {
            required += Align(32 + Math.Min(maxPayload, message.Length - (i * maxPayload)));
        }

        if (TermOffset(Position) + required > termLength)
        {
            int pad = termLength - TermOffset(Position);
            var padFrame = new byte[32];
            W(padFrame, 0, pad); padFrame[5] = 0xC0; padFrame[6] = 0;
            W(padFrame, 8, TermOffset(Position)); W(padFrame, 12, sessionId); W(padFrame, 16, streamId); W(padFrame, 20, TermId(Position));
            _frames.Add((Position, padFrame));
            Position += pad;
        }

        var indices = new List<int>();
        for (int i = 0; i < fragments; i++)
        {
            int len = Math.Min(maxPayload, message.Length - (i * maxPayload));
            var f = new byte[Align(32 + len)];
            W(f, 0, 32 + len);
            f[5] = (byte)((i == 0 ? 0x80 : 0) | (i == fragments - 1 ? 0x40 : 0));
            f[6] = 1;
            W(f, 8, TermOffset(Position)); W(f, 12, sessionId); W(f, 16, streamId); W(f, 20, TermId(Position));
            message.AsSpan(i * maxPayload, len).CopyTo(f.AsSpan(32));
            indices.Add(_frames.Count);
            _frames.Add((Position, f));
            Position += f.Length;
        }

        return indices;
    }

    public IReadOnlyList<(long Position, byte[] Frame)> Frames => _frames;

    /// <summary>Frames [from, to) packed into one datagram (caller keeps it within one term and the mtu).</summary>
    public byte[] Datagram(int from, int to)
    {
        var ms = new MemoryStream();
        for (int i = from; i < to; i++)
        {
            ms.Write(_frames[i].Frame);
        }

        return ms.ToArray();
    }

    public byte[] Datagram(int index) => Datagram(index, index + 1);

    public static byte[] Message(int seq, int length)
    {
        var m = new byte[length];
        for (int i = 0; i < length; i++)
        {
            m[i] = (byte)(seq * 31 + i);
        }

        if (length >= 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(m, seq);
        }

        return m;
    }

    private static int Align(int n) => (n + 31) & ~31;

    private static void W(byte[] b, int at, int v) => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(at), v);
}
