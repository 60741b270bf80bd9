using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace LowLatency.Engine.Journal;

/// <summary>
/// One segment file mapped into memory, with its base pointer cached. Owns the file handle, the mapping and
/// the view; <see cref="Dispose"/> releases all three. The pointer is valid until then.
/// </summary>
internal sealed unsafe partial class MappedSegment : IDisposable
{
    private readonly FileStream _file;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private bool _disposed;

    private MappedSegment(string path, FileStream file, MemoryMappedFile map, MemoryMappedViewAccessor view, long length)
    {
        Path = path;
        _file = file;
        _map = map;
        _view = view;
        Length = length;
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        Base = p + _view.PointerOffset;
    }

    public string Path { get; }

    public long Length { get; }

    public byte* Base { get; }

    public Span<byte> Bytes => new(Base, (int)Length);

    /// <summary>Maps an existing file (its current length) or creates it at <paramref name="createLength"/> (sparse, zeros).</summary>
    public static MappedSegment Open(string path, long createLength, bool writable)
    {
        var file = writable
            ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read)
            : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            if (file.Length == 0 && writable)
            {
                file.SetLength(createLength);
            }

            long length = file.Length;
            if (length == 0)
            {
                throw new InvalidDataException($"Journal segment {path} is empty.");
            }

            var access = writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read;
            var map = MemoryMappedFile.CreateFromFile(file, null, 0, access, HandleInheritability.None, leaveOpen: true);
            var view = map.CreateViewAccessor(0, 0, access);
            return new MappedSegment(path, file, map, view, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes the page faults of [<paramref name="from"/>, end) now, one write per 4 KiB page (of the byte already there):
    /// the first write to a page of a shared file mapping costs microseconds (fault, block allocation, zeroing), which
    /// must not land on appends. Call before the writer uses those pages, never concurrently with it.
    /// </summary>
    public void Prefault(long from)
    {
        const long Page = 4096;
        for (long at = (from + Page - 1) & ~(Page - 1); at < Length; at += Page)
        {
            byte* p = Base + at;
            Volatile.Write(ref *p, Volatile.Read(ref *p));
        }
    }

    /// <summary>Forces bytes [<paramref name="from"/>, <paramref name="to"/>) to the disk and waits for it (msync MS_SYNC on Linux).</summary>
    public void Sync(long from, long to)
    {
        if (to <= from)
        {
            return;
        }

        if (OperatingSystem.IsLinux())
        {
            const long Page = 4096;
            long start = from & ~(Page - 1);
            if (Msync((nint)(Base + start), (nuint)(to - start), MsSync) != 0)
            {
                ThrowSyncFailed(Marshal.GetLastPInvokeError());
            }

            return;
        }

        _view.Flush();
        _file.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
        _file.Dispose();
    }

    private void ThrowSyncFailed(int errno) => throw new IOException($"msync of journal segment {Path} failed (errno {errno}).");

    private const int MsSync = 4;

    [LibraryImport("libc", EntryPoint = "msync", SetLastError = true)]
    private static partial int Msync(nint address, nuint length, int flags);
}
