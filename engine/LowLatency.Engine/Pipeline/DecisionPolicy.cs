using LowLatency.Engine.Events;

namespace LowLatency.Engine.Pipeline;

/// <summary>
/// Maps a fraud probability to an outcome by two thresholds. Immutable: a new policy is a new object,
/// swapped like a model.
/// </summary>
public sealed class DecisionPolicy
{
    /// <summary>Creates a policy; scores at or above <paramref name="decline"/> decline, at or above <paramref name="review"/> go to review.</summary>
    public DecisionPolicy(float review, float decline)
    {
        if (!(review >= 0 && review <= decline && decline <= 1))
        {
            throw new ArgumentException($"Thresholds must satisfy 0 <= review <= decline <= 1; got review={review}, decline={decline}.");
        }

        Review = review;
        Decline = decline;
    }

    /// <summary>Lowest score sent to review.</summary>
    public float Review { get; }

    /// <summary>Lowest score declined.</summary>
    public float Decline { get; }

    /// <summary>
    /// Chooses thresholds so that, on <paramref name="scores"/> (typically the bootstrap training traffic),
    /// about <paramref name="reviewRate"/> of events go to review or decline and <paramref name="declineRate"/> are declined.
    /// </summary>
    public static DecisionPolicy FromRates(ReadOnlySpan<float> scores, double reviewRate, double declineRate)
    {
        if (scores.IsEmpty)
        {
            throw new ArgumentException("No scores to calibrate the policy on.", nameof(scores));
        }

        if (!(declineRate > 0 && declineRate <= reviewRate && reviewRate < 1))
        {
            throw new ArgumentException($"Need 0 < declineRate <= reviewRate < 1; got {declineRate} and {reviewRate}.");
        }

        var sorted = scores.ToArray();
        Array.Sort(sorted);
        float Quantile(double upperTail) => sorted[Math.Clamp((int)Math.Floor(sorted.Length * (1 - upperTail)), 0, sorted.Length - 1)];
        return new DecisionPolicy(Quantile(reviewRate), Quantile(declineRate));
    }

    /// <summary>The outcome for a score.</summary>
    public Outcome Decide(float score) => score >= Decline ? Outcome.Decline : score >= Review ? Outcome.Review : Outcome.Approve;
}
