using System.Globalization;
using LowLatency.Engine.Learning;
using LowLatency.Engine.Pipeline;
using LowLatency.Models.Lifecycle;
using Spectre.Console;

namespace LowLatency.Host;

/// <summary>How the commands show continual learning: a dashboard line, and a summary with every model transition and its reason.</summary>
internal static class LearningSummary
{
    /// <summary>One line for a live dashboard: version in force, promotions and rollbacks, labels learned, the last transition.</summary>
    public static string DashboardLine(OnlineLearning learning, PipelineStats stats)
    {
        var l = learning.Stats;
        var t = learning.Transitions;
        string counts = Counts(t);
        var last = t.LastOrDefault(e => e.Kind is ModelEventKind.Promoted or ModelEventKind.RolledBack or ModelEventKind.LabelSpikeStarted or ModelEventKind.DriftDetected or ModelEventKind.FeatureDrift or ModelEventKind.Commanded or ModelEventKind.Held or ModelEventKind.Released);
        string lastText = last is null ? string.Empty : $"; last: {Describe(last)}";
        return string.Create(CultureInfo.InvariantCulture,
            $"{counts}; {l.Learned:N0} labels learned ({stats.LabelsDropped:N0} dropped); window AUC champion {l.ChampionAuc:F3} / challenger {l.ChallengerAuc:F3}; {Shadow(l)}{lastText}");
    }

    /// <summary>"N promoted, M rolled back" over <paramref name="transitions"/>.</summary>
    public static string Counts(IReadOnlyList<ModelEvent> transitions) =>
        $"{transitions.Count(e => e.Kind == ModelEventKind.Promoted)} promoted, {transitions.Count(e => e.Kind == ModelEventKind.RolledBack)} rolled back";

    /// <summary>The challenger's shadow on live traffic: decisions scored, skipped, and the decision-time AUCs labels have judged.</summary>
    private static string Shadow(LearningStats l) => string.Create(CultureInfo.InvariantCulture,
        $"shadow: {l.ShadowScored:N0} live decisions scored by the challenger ({l.ShadowSkipped:N0} skipped), live AUC champion {l.LiveChampionAuc:F3} / challenger {l.LiveChallengerAuc:F3}");

    /// <summary>The learning summary: figures, then each transition with its reason.</summary>
    public static void Print(IAnsiConsole console, OnlineLearning learning, PipelineStats stats)
    {
        var l = learning.Stats;
        var join = learning.Join;
        console.MarkupLine(CultureInfo.InvariantCulture,
            $"Learning: {l.DecisionsLogged:N0} decisions logged; labels {stats.LabelsJoined:N0} joined, {stats.LabelsUnmatched:N0} unmatched ({join.UnknownLabels:N0} unknown, {join.EvictedLabels:N0} evicted, {join.DuplicateLabels:N0} duplicate, {join.EarlyLabels:N0} before their decision), {stats.LabelsDropped:N0} dropped with the learner behind; {l.Learned:N0} learned, {l.QuarantinedFeatures:N0} quarantined for garbage features, {l.QuarantinedSpike:N0} held back in label-rate spikes; {Shadow(l)}");
        if (learning.Failure is { } failure)
        {
            console.MarkupLine($"[red]The learner thread stopped: {Markup.Escape(failure.Message)}[/]");
        }

        var table = new Table().Border(TableBorder.Rounded).Title("Model transitions").AddColumn("labels").AddColumn("event").AddColumn("version").AddColumn("reason");
        foreach (var e in learning.Transitions)
        {
            table.AddRow(
                e.LabelIndex.ToString("N0", CultureInfo.InvariantCulture),
                e.Kind.ToString(),
                e.FromVersion == e.ToVersion ? $"v{e.ToVersion}" : $"v{e.FromVersion} → v{e.ToVersion}",
                Markup.Escape(e.Reason));
        }

        console.Write(table);
    }

    private static string Describe(ModelEvent e) => e.Kind switch
    {
        ModelEventKind.Promoted => $"v{e.FromVersion} → v{e.ToVersion} promoted",
        ModelEventKind.RolledBack => $"v{e.FromVersion} → v{e.ToVersion} rolled back",
        ModelEventKind.LabelSpikeStarted => "label spike, learning paused",
        ModelEventKind.DriftDetected => "drift alarm on the champion's loss",
        ModelEventKind.Commanded => $"v{e.ToVersion} put in force by a command",
        ModelEventKind.Held => $"v{e.ToVersion} held by an operator (no automatic promotion or rollback)",
        ModelEventKind.Released => "hold released",
        _ => "feature drift (PSI)",
    };
}
