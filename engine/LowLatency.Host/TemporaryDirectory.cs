namespace LowLatency.Host;

/// <summary>Deletes a directory the command created for itself when disposed (nothing when it does not own it).</summary>
internal readonly struct TemporaryDirectory(string? path, bool ownsIt) : IDisposable
{
    public void Dispose()
    {
        if (ownsIt && path is not null && Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
