using System.Runtime.InteropServices;

namespace LowLatency.Engine.Features;

/// <summary>
/// Native memory for the entity tables. Large tables are aligned to 2 MiB and, on Linux, advised to use
/// transparent huge pages (<c>madvise(MADV_HUGEPAGE)</c>; Debian's default THP mode is "madvise", so without the
/// advice every table stays on 4 KiB pages). A random probe then costs one cache miss instead of a cache miss plus
/// a page walk that itself misses. The advice is best effort: where it is refused, tables work on small pages.
/// </summary>
internal static unsafe partial class TableMemory
{
    private const nuint HugePage = 2 << 20;
    private const int MadvHugePage = 14;

    /// <summary>Allocates <paramref name="bytes"/> zeroed bytes, 64-byte aligned (2 MiB for tables of 4 MiB or more).</summary>
    public static void* AllocateZeroed(nuint bytes)
    {
        bool huge = bytes >= 2 * HugePage;
        void* p = NativeMemory.AlignedAlloc(bytes, huge ? HugePage : 64);
        if (huge && OperatingSystem.IsLinux())
        {
            // Advise before the first touch, so the zeroing below faults in huge pages. Whole huge pages of this
            // allocation only (rounded down): the advice never reaches memory beyond it.
            _ = Madvise(p, bytes & ~(HugePage - 1), MadvHugePage);
        }

        NativeMemory.Clear(p, bytes);
        return p;
    }

    /// <summary>Frees memory from <see cref="AllocateZeroed"/>.</summary>
    public static void Free(void* p) => NativeMemory.AlignedFree(p);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
