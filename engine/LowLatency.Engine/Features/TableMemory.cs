using System.Runtime.InteropServices;
using LowLatency.Models;

namespace LowLatency.Engine.Features;

/// <summary>
/// Native memory for the entity tables. Large tables are aligned to 2 MiB and advised onto transparent huge pages
/// (<see cref="HugePages"/>): a random probe then costs one cache miss instead of a cache miss plus a page walk that
/// itself misses. The advice is best effort: where it is refused, tables work on small pages.
/// </summary>
internal static unsafe class TableMemory
{
    /// <summary>Allocates <paramref name="bytes"/> zeroed bytes, 64-byte aligned (2 MiB for tables of 4 MiB or more).</summary>
    public static void* AllocateZeroed(nuint bytes)
    {
        bool huge = (long)bytes >= 2 * HugePages.Size;
        void* p = NativeMemory.AlignedAlloc(bytes, huge ? (nuint)HugePages.Size : 64);

        // Advised before the first touch, so the zeroing below faults in huge pages.
        HugePages.Advise(p, (long)bytes);
        NativeMemory.Clear(p, bytes);
        return p;
    }

    /// <summary>Frees memory from <see cref="AllocateZeroed"/>.</summary>
    public static void Free(void* p) => NativeMemory.AlignedFree(p);
}
