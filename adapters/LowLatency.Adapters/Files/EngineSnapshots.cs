using System.Globalization;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Snapshot files of the pipeline state kept beside a journal: <c>state-SEQUENCE.snapshot</c>, where SEQUENCE is the
/// journal sequence of the Snapshot control message (the state covers exactly the records before it). Written to a
/// temporary file, forced to disk, then renamed, so a crash leaves either the old set or the new file whole.
/// </summary>
public static class EngineSnapshots
{
    private const string Prefix = "state-";
    private const string Extension = ".snapshot";

    /// <summary>Writes a snapshot for <paramref name="sequence"/>; keeps the newest <paramref name="keep"/> files.</summary>
    public static string Write(string directory, long sequence, Action<Stream> write, int keep = 2)
    {
        ArgumentNullException.ThrowIfNull(write);
        string path = Path.Combine(directory, Prefix + sequence.ToString("D20", CultureInfo.InvariantCulture) + Extension);
        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            write(file);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        foreach (var (_, old) in List(directory).Skip(keep))
        {
            File.Delete(old);
        }

        return path;
    }

    /// <summary>Snapshots in <paramref name="directory"/>, newest first.</summary>
    public static List<(long Sequence, string Path)> List(string directory)
    {
        var list = new List<(long, string)>();
        if (!Directory.Exists(directory))
        {
            return list;
        }

        foreach (var path in Directory.EnumerateFiles(directory, Prefix + "*" + Extension))
        {
            string name = Path.GetFileNameWithoutExtension(path)[Prefix.Length..];
            if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
            {
                list.Add((seq, path));
            }
        }

        list.Sort((a, b) => b.Item1.CompareTo(a.Item1));
        return list;
    }
}
