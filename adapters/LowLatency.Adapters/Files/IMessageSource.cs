namespace LowLatency.Adapters.Files;

/// <summary>Where a replay reads inbound messages from, in order: a journal, a frames file, a pcap capture, a CSV.</summary>
public interface IMessageSource : IDisposable
{
    /// <summary>Short description for reports ("journal /data/j, 3 segments").</summary>
    string Description { get; }

    /// <summary>Fraction of the input consumed so far, 0..1 (for progress bars).</summary>
    double Progress { get; }

    /// <summary>Input records that could not be turned into a message (malformed frame, bad CSV row), counted.</summary>
    long Malformed { get; }

    /// <summary>
    /// Where the input could not be read to its end, each with how much was left unread (a damaged frame length, a
    /// journal record failing its CRC, a cut-off capture). Empty when every byte was read or accounted for as a
    /// <see cref="Malformed"/> record that reading went on after.
    /// </summary>
    IReadOnlyList<string> Damage => [];

    /// <summary>The next message; false at the end.</summary>
    bool TryNext(out SourceMessage message);
}
