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
        return root.Parse(args).Invoke();
    }
}
