using LowLatency.Engine.Journal;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Adapters.Files;

/// <summary>
/// Rebuilds the pipeline state after a crash: the newest snapshot the journal covers, then every journal record from
/// its sequence on, through the same pipeline code (single thread, not journaled again). The state is written to a
/// stream for the live pipeline's <see cref="ScoringPipeline{TSink}.ReadState"/> (a file: with the default tables it is
/// gigabytes); decisions of the replayed tail go to the given log (they may not have left before the crash: a gateway
/// dedups by txId).
/// </summary>
public static class EngineRecovery
{
    /// <summary>
    /// Recovers from the journal in <paramref name="directory"/>, whose writer (<paramref name="journal"/>) was opened
    /// already (that repaired a torn tail and knows where the journal ends). Model swaps in the tail are put in force
    /// from the versions in <paramref name="versions"/> (a learner's version store), when given. The recovered state is
    /// written to <paramref name="stateOut"/> from its current position.
    /// </summary>
    public static RecoveryResult Recover(
        string directory, JournalWriter journal, PipelineOptions options, ServingModel model, DecisionPolicy policy, DecisionLog? tailDecisions, Stream stateOut, string? versions = null)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(stateOut);
        var rejected = new List<string>();
        using var pipeline = new ScoringPipeline<ReplaySink>(options with { Topology = Topology.SingleThread }, model, policy, new ReplaySink(tailDecisions, null));
        if (versions is not null && Directory.Exists(versions))
        {
            pipeline.Models.AddFrom(versions);
        }

        string? used = null;
        long from = long.MinValue;
        foreach (var (seq, path) in EngineSnapshots.List(directory))
        {
            if (seq >= journal.NextSequence)
            {
                // Taken on the features thread ahead of the journal thread: the journal does not hold the records
                // before it, so the input could not be resumed consistently from there.
                rejected.Add($"{Path.GetFileName(path)}: ahead of the journal (ends at {journal.NextSequence})");
                continue;
            }

            try
            {
                using var file = File.OpenRead(path);
                pipeline.ReadState(file);
                used = path;
                from = seq;
                break;
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException)
            {
                rejected.Add($"{Path.GetFileName(path)}: {ex.Message}");
            }
        }

        pipeline.Start();
        ReplayResult replayed;
        using (var source = new JournalSource(directory, from))
        {
            replayed = new ReplayDriver(0).Run(source, pipeline);
        }

        if (!pipeline.DrainAndStop(TimeSpan.FromMinutes(10)))
        {
            throw new TimeoutException("Recovery replay did not drain.");
        }

        pipeline.WriteState(stateOut);
        return new RecoveryResult(used, used is null ? 0 : from, replayed.Messages, journal.NextSequence, rejected);
    }
}
