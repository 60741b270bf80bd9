using System.Runtime.InteropServices;

namespace LowLatency.Models;

/// <summary>
/// Transparent huge pages for large preallocated state (the feature tables, the label-join store): on Linux a range is
/// advised with <c>madvise(MADV_HUGEPAGE)</c> before its first touch, so it faults in 2 MiB at a time and takes one TLB
/// entry where 512 were needed. Debian's THP mode is "madvise": without the advice every table stays on 4 KiB pages.
/// Best effort: where the advice is refused, or off Linux, nothing changes.
/// </summary>
public static unsafe partial class HugePages
{
    /// <summary>Bytes of one huge page (x86-64).</summary>
    public const long Size = 2 << 20;

    private const int MadvHugePage = 14;

    /// <summary>
    /// Advises the whole huge pages inside [<paramref name="start"/>, start + <paramref name="bytes"/>) — never memory
    /// beyond it — when the range spans at least two of them.
    /// </summary>
    public static void Advise(void* start, long bytes)
    {
        if (bytes < 2 * Size || !OperatingSystem.IsLinux())
        {
            return;
        }

        long first = ((long)start + Size - 1) & -Size;
        long end = ((long)start + bytes) & -Size;
        if (end > first)
        {
            _ = Madvise((void*)first, (nuint)(end - first), MadvHugePage);
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
