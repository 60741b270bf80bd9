namespace LowLatency.Models.Evaluation;

/// <summary>
/// Page-Hinkley test for an increase in the mean of a stream (here: a model's per-example error, e.g. log
/// loss or |y - p|). With x̄_t the running mean, m_T = Σ_{t≤T} (x_t − x̄_t − δ) and M_T = min_{t≤T} m_t, it
/// signals drift when m_T − M_T &gt; λ (Page 1954; Hinkley 1971; the streaming form of Gama et al. 2013).
/// δ is the magnitude of change tolerated, λ the alarm threshold. After an alarm the test restarts, so the
/// new regime becomes the baseline. O(1) per value, no allocation.
/// </summary>
public sealed class PageHinkley
{
    private readonly double _delta;
    private readonly double _lambda;
    private readonly int _minInstances;
    private long _n;
    private double _mean;
    private double _cumulative;
    private double _minimum;

    /// <summary>Creates a detector.</summary>
    /// <param name="delta">Tolerated increase of the mean (default 0.005).</param>
    /// <param name="lambda">Alarm threshold on the cumulative deviation (default 50).</param>
    /// <param name="minInstances">Values seen before an alarm may be raised (default 30).</param>
    public PageHinkley(double delta = 0.005, double lambda = 50, int minInstances = 30)
    {
        if (!(delta >= 0) || !(lambda > 0) || minInstances < 1)
        {
            throw new ArgumentException($"Page-Hinkley needs delta >= 0, lambda > 0, minInstances >= 1; got {delta}, {lambda}, {minInstances}.");
        }

        _delta = delta;
        _lambda = lambda;
        _minInstances = minInstances;
    }

    /// <summary>Alarms raised so far.</summary>
    public long Detections { get; private set; }

    /// <summary>Values since the last restart.</summary>
    public long Count => _n;

    /// <summary>The current statistic m_T − M_T.</summary>
    public double Statistic => _cumulative - _minimum;

    /// <summary>Adds one value; returns true when it completes a drift alarm (the detector then restarts). NaN is ignored.</summary>
    public bool Add(double x)
    {
        if (double.IsNaN(x))
        {
            return false;
        }

        _n++;
        _mean += (x - _mean) / _n;
        _cumulative += x - _mean - _delta;
        _minimum = Math.Min(_minimum, _cumulative);
        if (_n >= _minInstances && _cumulative - _minimum > _lambda)
        {
            Detections++;
            Reset();
            return true;
        }

        return false;
    }

    /// <summary>Restarts the test (keeps the detection count).</summary>
    public void Reset()
    {
        _n = 0;
        _mean = 0;
        _cumulative = 0;
        _minimum = 0;
    }
}
