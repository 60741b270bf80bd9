namespace LowLatency.Engine.Tests.Journal;

/// <summary>A fresh directory under the temp folder, deleted on dispose.</summary>
internal sealed class TempJournal : IDisposable
{
    public TempJournal() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lljournal-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
