using System.CommandLine;
using LowLatency.Adapters.Learning;
using LowLatency.Adapters.Simulation;
using Spectre.Console;

namespace LowLatency.Host;

/// <summary><c>lowlat learn-eval</c>: continual vs static vs stateless-retrain on the simulator's drifting stream.</summary>
internal static class LearnEvalCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory for learning-eval.md and learning-auc.svg", Required = true }.Writable(directory: true);
        var seed = CliOptions.AtLeast("--seed", "Simulator seed", 42, 0);
        var minutes = CliOptions.AtLeast("--minutes", "Stream time to simulate, in sim-minutes (drift is at 90)", 240, 100);
        var onlineTree = CliOptions.Choice("--online-tree", "Every strategy's model adds an adaptive Hoeffding tree to FTRL (off: FTRL alone)", Switch.On);
        var seeds = new Option<string?>("--seeds")
        {
            Description = "Run the evaluation once per seed (a range such as 1-10, or a list such as 1,7,42; two at a time) and write learning-seeds.md: per seed and on average, continual's lead over retraining and static",
        };
        var command = new Command("learn-eval", "Prequential comparison of continual learning with a static model and stateless retraining (table + SVG).") { output, seed, minutes, onlineTree, seeds };
        command.SetAction(parse =>
        {
            var options = Options((ulong)parse.GetValue(seed), parse.GetValue(minutes), parse.GetValue(onlineTree) == Switch.On);
            if (parse.GetValue(seeds) is not { } list)
            {
                return Run(parse.GetValue(output)!, options);
            }

            if (!TryParseSeeds(list, out var parsed))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]--seeds '{list}' is not a range (1-10) or a list (1,7,42) of at least two seeds.[/]");
                return 2;
            }

            return RunSeeds(parse.GetValue(output)!, options, parsed);
        });
        return command;
    }

    private static LearningEvaluationOptions Options(ulong seed, long minutes, bool onlineTree) => new()
    {
        Learner = onlineTree ? new() { OnlineTree = Models.Online.ChampionLearnerOptions.FraudOnlineTree } : new(),
        Simulator = new SimulatorOptions { Seed = seed, Cards = 50_000, Merchants = 5_000 },
        Duration = TimeSpan.FromMinutes(minutes),
    };

    /// <summary>"1-10" or "1,7,42": at least two distinct seeds.</summary>
    internal static bool TryParseSeeds(string text, out ulong[] seeds)
    {
        seeds = [];
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        string[] range = text.Split('-');
        if (range.Length == 2 && ulong.TryParse(range[0], System.Globalization.NumberStyles.None, ci, out ulong from)
            && ulong.TryParse(range[1], System.Globalization.NumberStyles.None, ci, out ulong to) && to > from && to - from < 1000)
        {
            seeds = [.. Enumerable.Range(0, (int)(to - from + 1)).Select(i => from + (ulong)i)];
            return true;
        }

        var list = new List<ulong>();
        foreach (string part in text.Split(','))
        {
            if (!ulong.TryParse(part.Trim(), System.Globalization.NumberStyles.None, ci, out ulong s))
            {
                return false;
            }

            list.Add(s);
        }

        seeds = [.. list.Distinct()];
        return seeds.Length >= 2;
    }

    private static int RunSeeds(DirectoryInfo output, LearningEvaluationOptions options, ulong[] seeds)
    {
        LearningSeedStudy? study = null;
        AnsiConsole.Progress().Start(ctx =>
        {
            var task = ctx.AddTask($"{seeds.Length} seeds × {options.Duration.TotalMinutes:F0} sim-minutes", maxValue: seeds.Length);
            study = LearningSeedStudy.Run(seeds, options, parallelism: 2, seedDone: n => task.Value = n);
        });
        output.Create();
        string md = study!.ToMarkdown();
        File.WriteAllText(Path.Combine(output.FullName, "learning-seeds.md"), md);
        AnsiConsole.WriteLine(md);
        return 0;
    }

    private static int Run(DirectoryInfo output, LearningEvaluationOptions options)
    {
        long minutes = (long)options.Duration.TotalMinutes;
        LearningReport? report = null;
        AnsiConsole.Progress().Start(ctx =>
        {
            var task = ctx.AddTask($"Simulating {minutes} sim-minutes", maxValue: 1.0);
            report = LearningEvaluation.Run(options, p => task.Value = p);
        });
        output.Create();
        File.WriteAllText(Path.Combine(output.FullName, "learning-eval.md"), report!.ToMarkdown());
        File.WriteAllText(Path.Combine(output.FullName, "learning-auc.svg"), report.ToSvg());
        AnsiConsole.WriteLine(report.ToMarkdown());
        return 0;
    }
}
