using System.CommandLine;

namespace LowLatency.Host;

/// <summary>The <c>lowlat</c> command line. A thin shell: every command calls into the libraries.</summary>
public static class Program
{
    /// <summary>Parses the arguments and runs the chosen command; returns its exit code.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("LowLatency: real-time scoring of payment and trading flows.")
        {
            DemoCommand.Create(),
            ServeCommand.Create(),
            BenchCommand.Create(),
            GenCommand.Create(),
            ModelsCommand.Create(),
            LearnEvalCommand.Create(),
            InspectCommand.Create(),
            ReplayCommand.Create(),
            FeaturesCommand.Create(),
        };
        // File-system failures the option checks could not foresee (a disk filling up, a directory removed mid-run) end
        // in one line naming the path, not a stack trace; anything else is a bug and keeps its trace.
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"Unhandled exception: {ex}");
            return 1;
        }
    }
}
