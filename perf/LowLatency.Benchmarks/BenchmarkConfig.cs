using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace LowLatency.Benchmarks;

/// <summary>
/// The one benchmark configuration. MemoryDiagnoser is always on because allocation on the hot path
/// is a defect, and the Ratio column is what RESULTS.md records: this 2-core machine is noisy, so only
/// ratios against a baseline measured in the same run are comparable across runs.
/// </summary>
internal static class BenchmarkConfig
{
    /// <summary>
    /// Memory diagnostics on; the job comes from the command line (<c>--job short</c> for a quick run, the
    /// default job otherwise). Tiered compilation and PGO stay as in production. Summaries are not joined:
    /// each class has its own baseline, and a joined table would compute every ratio against one of them.
    /// </summary>
    public static IConfig Default { get; } = DefaultConfig.Instance
        .AddDiagnoser(MemoryDiagnoser.Default)
        .WithBuildTimeout(TimeSpan.FromMinutes(10)); // the 2-minute default fails while other builds share the 2 cores
}
