using System.Buffers.Binary;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Replays a frames file as <c>lowlat gen</c> writes it: the magic <c>LLFRAME1</c>, then each SBE message preceded by
/// its length (int32 little-endian). Frames carry no receive time; pacing uses event time.
/// </summary>
public sealed class FramesSource : IMessageSource
{
    /// <summary>First bytes of a frames file.</summary>
    public static ReadOnlySpan<byte> Magic => "LLFRAME1"u8;

    private readonly FileStream _file;
    private readonly byte[] _buffer = new byte[1 << 16];
    private readonly long _length;
    private long _consumed;
    private string? _damage;

    /// <summary>Opens <paramref name="path"/>; throws when it does not start with the magic.</summary>
    public FramesSource(string path)
    {
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        _length = _file.Length;
        Span<byte> magic = stackalloc byte[8];
        if (_file.ReadAtLeast(magic, 8, throwOnEndOfStream: false) != 8 || !magic.SequenceEqual(Magic))
        {
            _file.Dispose();
            throw new InvalidDataException($"{path} is not a frames file (it does not start with LLFRAME1).");
        }

        _consumed = 8;
        Description = $"frames {path}";
    }

    /// <summary>Whether <paramref name="path"/> is a file starting with the frames magic.</summary>
    public static bool IsFrames(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var f = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[8];
        return f.ReadAtLeast(magic, 8, throwOnEndOfStream: false) == 8 && magic.SequenceEqual(Magic);
    }

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public double Progress => _length == 0 ? 1 : (double)_consumed / _length;

    /// <inheritdoc/>
    public long Malformed { get; private set; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Damage => _damage is null ? [] : [_damage];

    /// <inheritdoc/>
    public bool TryNext(out SourceMessage message)
    {
        message = default;
        Span<byte> prefix = stackalloc byte[4];
        int got = _file.ReadAtLeast(prefix, 4, throwOnEndOfStream: false);
        if (got != 4)
        {
            if (got > 0)
            {
                Malformed++;
                _damage = $"the file ends with {got} bytes at byte {_consumed:N0}, too few for a frame length";
            }

            return false;
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length < 0 || length > _buffer.Length || _file.ReadAtLeast(_buffer.AsSpan(0, length), length, throwOnEndOfStream: false) != length)
        {
            // A length that cannot be right, or a cut-off last frame: nothing after it can be framed.
            Malformed++;
            _damage = length < 0 || length > _buffer.Length
                ? $"frame at byte {_consumed:N0} has an impossible length ({length}); the {_length - _consumed:N0} bytes from there were not read"
                : $"the last frame, at byte {_consumed:N0}, is cut off ({_length - _consumed - 4:N0} of its {length:N0} bytes present)";
            return false;
        }

        _consumed += 4 + length;
        var bytes = _buffer.AsSpan(0, length);
        message = new SourceMessage(SourceMessage.TypeOfSbe(bytes), 0, bytes);
        return true;
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
