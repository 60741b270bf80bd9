namespace LowLatency.Adapters.Files;

/// <summary>Passes a source through after skipping its first <paramref name="skip"/> inbound messages (resuming after a recovery).</summary>
public sealed class SkipSource(IMessageSource inner, long skip) : IMessageSource
{
    private long _skipped;

    /// <inheritdoc/>
    public string Description => $"{inner.Description}, from message {skip}";

    /// <inheritdoc/>
    public double Progress => inner.Progress;

    /// <inheritdoc/>
    public long Malformed => inner.Malformed;

    /// <inheritdoc/>
    public IReadOnlyList<string> Damage => inner.Damage;

    /// <summary>Messages skipped so far.</summary>
    public long Skipped => _skipped;

    /// <inheritdoc/>
    public bool TryNext(out SourceMessage message)
    {
        while (inner.TryNext(out message))
        {
            if (_skipped < skip)
            {
                _skipped++;
                continue;
            }

            return true;
        }

        return false;
    }

    /// <inheritdoc/>
    public void Dispose() => inner.Dispose();
}
