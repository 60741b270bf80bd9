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
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory for learning-eval.md and learning-auc.svg", Required = true };
        var seed = CliOptions.AtLeast("--seed", "Simulator seed", 42, 0);
        var minutes = CliOptions.AtLeast("--minutes", "Stream time to simulate, in sim-minutes (drift is at 90)", 240, 100);
        var onlineTree = CliOptions.Choice("--online-tree", "Every strategy's model adds an adaptive Hoeffding tree to FTRL (off: FTRL alone)", Switch.On);
        var command = new Command("learn-eval", "Prequential comparison of continual learning with a static model and stateless retraining (table + SVG).") { output, seed, minutes, onlineTree };
        command.SetAction(parse => Run(parse.GetValue(output)!, (ulong)parse.GetValue(seed), parse.GetValue(minutes), parse.GetValue(onlineTree) == Switch.On));
        return command;
    }

    private static int Run(DirectoryInfo output, ulong seed, long minutes, bool onlineTree)
    {
        var options = new LearningEvaluationOptions
        {
            Learner = onlineTree ? new() { OnlineTree = Models.Online.ChampionLearnerOptions.FraudOnlineTree } : new(),
            Simulator = new SimulatorOptions { Seed = seed, Cards = 50_000, Merchants = 5_000 },
            Duration = TimeSpan.FromMinutes(minutes),
        };
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
