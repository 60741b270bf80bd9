using BenchmarkDotNet.Running;

namespace LowLatency.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project perf/LowLatency.Benchmarks -- --filter '*Codec*'</c>.</summary>
public static class Program
{
    /// <summary>Runs the benchmarks chosen by <c>--filter</c> (BenchmarkSwitcher), or asks which.</summary>
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Default);
}
