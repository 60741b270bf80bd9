using System.Runtime.CompilerServices;

namespace LowLatency.Models.Evaluation;

/// <summary>
/// Prequential (test-then-train) metrics of one model over the last <see cref="Capacity"/> labelled
/// examples: each example's score is the one the model gave before learning from it. Metrics are computed
/// exactly over the window on demand (sort, O(W log W)) into preallocated scratch, so asking for them does
/// not allocate; ask every few hundred labels, not per label. All-time log loss is kept incrementally.
/// Scores are probabilities in [0, 1]; NaN scores are refused (counted) so one bad score cannot poison AUC.
/// </summary>
public sealed class PrequentialWindow
{
    private const double LossFloor = 1e-15;
    private readonly double[] _score;
    private readonly bool[] _label;
    private readonly double[] _sortScore;
    private readonly bool[] _sortLabel;
    private int _next;
    private int _count;
    private long _total;
    private long _rejected;
    private double _totalLoss;

    /// <summary>Creates a window of <paramref name="capacity"/> examples.</summary>
    public PrequentialWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        _score = new double[capacity];
        _label = new bool[capacity];
        _sortScore = new double[capacity];
        _sortLabel = new bool[capacity];
    }

    /// <summary>Window size.</summary>
    public int Capacity => _score.Length;

    /// <summary>Examples currently in the window.</summary>
    public int Count => _count;

    /// <summary>Examples ever added.</summary>
    public long Total => _total;

    /// <summary>Examples refused because the score was NaN.</summary>
    public long Rejected => _rejected;

    /// <summary>Mean log loss over every example ever added.</summary>
    public double AllTimeLogLoss => _total == 0 ? double.NaN : _totalLoss / _total;

    /// <summary>Adds one scored, labelled example (the score must predate learning from the label).</summary>
    public void Add(double score, bool label)
    {
        if (double.IsNaN(score))
        {
            _rejected++;
            return;
        }

        _score[_next] = score;
        _label[_next] = label;
        _next = _next + 1 == _score.Length ? 0 : _next + 1;
        _count = Math.Min(_count + 1, _score.Length);
        _total++;
        _totalLoss += Loss(score, label);
    }

    /// <summary>Forgets everything (a new model version starts a fresh record).</summary>
    public void Clear()
    {
        _next = 0;
        _count = 0;
        _total = 0;
        _rejected = 0;
        _totalLoss = 0;
    }

    /// <summary>Positives in the window.</summary>
    public int Positives
    {
        get
        {
            int p = 0;
            for (int i = 0; i < _count; i++)
            {
                p += _label[i] ? 1 : 0;
            }

            return p;
        }
    }

    /// <summary>Mean log loss over the window (scores clamped to [1e-15, 1 - 1e-15]).</summary>
    public double LogLoss()
    {
        if (_count == 0)
        {
            return double.NaN;
        }

        double sum = 0;
        for (int i = 0; i < _count; i++)
        {
            sum += Loss(_score[i], _label[i]);
        }

        return sum / _count;
    }

    /// <summary>
    /// Area under the ROC curve over the window: the probability that a random positive outscores a random
    /// negative, ties counting one half (Mann-Whitney). NaN when the window lacks either class.
    /// </summary>
    public double Auc()
    {
        int n = SortAscending();
        long positives = 0;
        double rankSum = 0;
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && _sortScore[j + 1] == _sortScore[i])
            {
                j++;
            }

            double averageRank = ((i + j) / 2.0) + 1;
            for (int k = i; k <= j; k++)
            {
                if (_sortLabel[k])
                {
                    rankSum += averageRank;
                    positives++;
                }
            }

            i = j + 1;
        }

        long negatives = n - positives;
        return positives == 0 || negatives == 0 ? double.NaN : (rankSum - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives);
    }

    /// <summary>
    /// Highest recall (true-positive rate) over thresholds "score ≥ t" whose false-positive rate is at most
    /// <paramref name="maxFalsePositiveRate"/>. Tied scores are on the same side of any threshold. NaN without both classes.
    /// </summary>
    public double RecallAtFpr(double maxFalsePositiveRate = 0.01)
    {
        int n = SortAscending();
        int positives = 0;
        for (int i = 0; i < n; i++)
        {
            positives += _sortLabel[i] ? 1 : 0;
        }

        int negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        // Walk from the highest score down, one tie group at a time.
        int tp = 0, fp = 0, best = 0;
        for (int j = n - 1; j >= 0;)
        {
            int i = j;
            while (i - 1 >= 0 && _sortScore[i - 1] == _sortScore[j])
            {
                i--;
            }

            for (int k = i; k <= j; k++)
            {
                if (_sortLabel[k])
                {
                    tp++;
                }
                else
                {
                    fp++;
                }
            }

            if (fp > maxFalsePositiveRate * negatives)
            {
                break;
            }

            best = tp;
            j = i - 1;
        }

        return best / (double)positives;
    }

    /// <summary>
    /// Share of positives among the <paramref name="k"/> highest scores in the window. A tie group straddling
    /// the cut contributes in proportion (the expectation under random tie-breaking), so the result does not
    /// depend on arrival order.
    /// </summary>
    public double PrecisionAtK(int k)
    {
        int n = SortAscending();
        k = Math.Min(k, n);
        if (k <= 0)
        {
            return double.NaN;
        }

        double hits = 0;
        int taken = 0;
        for (int j = n - 1; j >= 0 && taken < k;)
        {
            int i = j;
            while (i - 1 >= 0 && _sortScore[i - 1] == _sortScore[j])
            {
                i--;
            }

            int size = j - i + 1;
            int groupPositives = 0;
            for (int m = i; m <= j; m++)
            {
                groupPositives += _sortLabel[m] ? 1 : 0;
            }

            int take = Math.Min(size, k - taken);
            hits += groupPositives * (take / (double)size);
            taken += take;
            j = i - 1;
        }

        return hits / k;
    }

    private int SortAscending()
    {
        int n = _count;
        _score.AsSpan(0, n).CopyTo(_sortScore);
        _label.AsSpan(0, n).CopyTo(_sortLabel);
        _sortScore.AsSpan(0, n).Sort(_sortLabel.AsSpan(0, n));
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Loss(double score, bool label)
    {
        double p = Math.Clamp(score, LossFloor, 1 - LossFloor);
        return -Math.Log(label ? p : 1 - p);
    }
}
