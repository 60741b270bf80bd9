using Spectre.Console;

namespace LowLatency.Host;

/// <summary>
/// What about this machine will show in latency tails whatever the engine does, said before the figures so nobody reads
/// the machine's stalls as the engine's (see perf/RESULTS.md, fourth session).
/// </summary>
internal static class MachineNotes
{
    /// <summary>Where the kernel lists its DAMON daemons.</summary>
    public const string DamonAdmin = "/sys/kernel/mm/damon/admin/kdamonds";

    /// <summary>Prints each note for this machine as a highlighted line (nothing on a quiet machine).</summary>
    public static void Print(IAnsiConsole console)
    {
        foreach (string note in Collect())
        {
            console.MarkupLine($"[yellow]Note:[/] {Markup.Escape(note)}");
        }
    }

    /// <summary>The notes for this machine (none on a quiet one).</summary>
    public static IReadOnlyList<string> Collect() => Collect(DamonAdmin, Environment.ProcessorCount);

    /// <summary>The notes, reading DAMON's state under <paramref name="damonAdmin"/> (a test passes a directory of its own).</summary>
    internal static IReadOnlyList<string> Collect(string damonAdmin, int processors)
    {
        var notes = new List<string>();
        int running = 0;
        try
        {
            if (Directory.Exists(damonAdmin))
            {
                foreach (string daemon in Directory.EnumerateDirectories(damonAdmin))
                {
                    string state = Path.Combine(daemon, "state");
                    if (File.Exists(state) && File.ReadAllText(state).Trim() == "on")
                    {
                        running++;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable: say nothing rather than guess.
        }

        if (running > 0)
        {
            notes.Add($"{running} kernel DAMON daemon{(running == 1 ? " is" : "s are")} running ({damonAdmin}/*/state): on the VM we measure on it stalls threads for 0.1–2 ms about every 0.5 s, so p99 and beyond read in milliseconds; switch it off to measure the engine.");
        }

        if (processors < 2)
        {
            notes.Add($"{processors} processor: the load driver and the engine share it, so latency includes the driver's time slices.");
        }

        return notes;
    }
}
