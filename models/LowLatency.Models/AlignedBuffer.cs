using System.Runtime.CompilerServices;

namespace LowLatency.Models;

/// <summary>
/// A pinned float array whose usable window starts on a 64-byte boundary, so a Vector512 load never
/// splits a cache line. Pinned (POH) means the address never moves; the owner is the immutable model
/// that holds it, and the GC frees it with that model.
/// </summary>
internal sealed class AlignedBuffer
{
    private const int AlignBytes = 64;
    private readonly float[] _array;
    private readonly int _offset;

    /// <summary>Copies <paramref name="source"/> into a fresh aligned, pinned window.</summary>
    public unsafe AlignedBuffer(ReadOnlySpan<float> source)
    {
        Length = source.Length;
        _array = GC.AllocateArray<float>(source.Length + (AlignBytes / sizeof(float)), pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref _array[0]);
        _offset = (int)(((AlignBytes - (address % AlignBytes)) % AlignBytes) / sizeof(float));
        source.CopyTo(_array.AsSpan(_offset, Length));
    }

    /// <summary>Number of usable floats.</summary>
    public int Length { get; }

    /// <summary>The aligned window.</summary>
    public ReadOnlySpan<float> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(_array, _offset, Length);
    }

    /// <summary>Address of the first usable element (for alignment tests).</summary>
    internal unsafe nuint Address => (nuint)Unsafe.AsPointer(ref _array[_offset]);
}
