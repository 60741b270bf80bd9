using System.Diagnostics;

namespace LowLatency.Host.Tests;

/// <summary>Runs the real <c>lowlat</c> binary (built beside the tests) as a child process, bounded in time.</summary>
internal static class Lowlat
{
    public static (int ExitCode, string StdOut, string StdErr) Run(TimeSpan timeout, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "lowlat.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"lowlat {string.Join(' ', args)} did not finish in {timeout}");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
