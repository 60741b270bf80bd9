using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LowLatency.Engine.Metrics;

/// <summary>A named histogram to plot (one run, one rate).</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Histogram">Latencies in ns.</param>
public sealed record LatencySeries(string Name, LatencyHistogram Histogram);

/// <summary>One point of a load sweep.</summary>
/// <param name="OfferedRate">Events per second offered.</param>
/// <param name="AchievedRate">Events per second decided.</param>
/// <param name="Histogram">Latencies in ns at that rate.</param>
public sealed record SweepPoint(double OfferedRate, double AchievedRate, LatencyHistogram Histogram);

/// <summary>
/// Reports a person reads: a JSON summary in microseconds, and SVG plots drawn the way HdrHistogram's plotter
/// draws them (latency against percentile on a log scale of 1/(1−p), so the tail gets the room it deserves).
/// Plain text output; no dependencies; off the hot path.
/// </summary>
public static class LatencyReport
{
    private static readonly double[] SummaryPercentiles = [50, 90, 99, 99.9, 99.99];

    /// <summary>JSON summary of a histogram (latencies in µs) with any extra fields the caller adds.</summary>
    public static string Json(LatencyHistogram histogram, IReadOnlyDictionary<string, object>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var doc = new Dictionary<string, object>
        {
            ["count"] = histogram.TotalCount,
            ["min_us"] = histogram.Min / 1000.0,
            ["mean_us"] = Math.Round(histogram.Mean / 1000.0, 3),
            ["p50_us"] = histogram.ValueAtPercentile(50) / 1000.0,
            ["p90_us"] = histogram.ValueAtPercentile(90) / 1000.0,
            ["p99_us"] = histogram.ValueAtPercentile(99) / 1000.0,
            ["p99_9_us"] = histogram.ValueAtPercentile(99.9) / 1000.0,
            ["p99_99_us"] = histogram.ValueAtPercentile(99.99) / 1000.0,
            ["max_us"] = histogram.Max / 1000.0,
            ["overflows"] = histogram.Overflows,
        };
        if (extra is not null)
        {
            foreach (var (k, v) in extra)
            {
                doc[k] = v;
            }
        }

        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Latency by percentile for one or more series (x: 0% … 99.999% on a 1/(1−p) log scale; y: µs, log scale).</summary>
    public static string PercentileSvg(string title, IReadOnlyList<LatencySeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = new SvgPlot(title, "Percentile", "Latency (µs)");
        double maxX = 100_000; // 99.999%
        double maxY = Math.Max(1, series.Max(s => s.Histogram.Max) / 1000.0);
        double minY = Math.Max(0.01, series.Min(s => s.Histogram.TotalCount == 0 ? 1 : s.Histogram.Min) / 1000.0);
        plot.SetScales(1, maxX, minY, maxY);
        foreach (var (label, inverse) in new[] { ("0%", 1.0), ("90%", 10.0), ("99%", 100.0), ("99.9%", 1_000.0), ("99.99%", 10_000.0), ("99.999%", 100_000.0) })
        {
            plot.XTick(inverse, label);
        }

        plot.LogYTicks();
        for (int i = 0; i < series.Count; i++)
        {
            var points = series[i].Histogram.PercentileTicks()
                .Where(t => t.Percentile < 100)
                .Select(t => (X: 1 / (1 - (t.Percentile / 100)), Y: t.Value / 1000.0))
                .Where(p => p.X <= maxX)
                .ToList();
            plot.Line(points, i, series[i].Name);
        }

        return plot.Render();
    }

    /// <summary>p50 and p99 against offered load for a sweep (x: events/s; y: µs, log scale).</summary>
    public static string SweepSvg(string title, IReadOnlyList<SweepPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var plot = new SvgPlot(title, "Offered load (events/s)", "Latency (µs)", logX: false);
        double maxX = points.Max(p => p.OfferedRate) * 1.05;
        double maxY = Math.Max(1, points.Max(p => p.Histogram.ValueAtPercentile(99.9)) / 1000.0);
        double minY = Math.Max(0.01, points.Min(p => p.Histogram.ValueAtPercentile(50)) / 1000.0 / 2);
        plot.SetScales(0, maxX, minY, maxY);
        foreach (var p in points)
        {
            plot.XTick(p.OfferedRate, p.OfferedRate >= 1e6 ? $"{p.OfferedRate / 1e6:0.#}M" : $"{p.OfferedRate / 1e3:0.#}k");
        }

        plot.LogYTicks();
        int series = 0;
        foreach (var (name, pct) in new[] { ("p50", 50.0), ("p99", 99.0), ("p99.9", 99.9) })
        {
            plot.Line([.. points.Select(p => (p.OfferedRate, p.Histogram.ValueAtPercentile(pct) / 1000.0))], series++, name, markers: true);
        }

        return plot.Render();
    }

    /// <summary>The summary percentiles, for tables: (label, value in µs).</summary>
    public static IEnumerable<(string Label, double Micros)> Percentiles(LatencyHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        foreach (double p in SummaryPercentiles)
        {
            yield return ($"p{p.ToString(CultureInfo.InvariantCulture)}", histogram.ValueAtPercentile(p) / 1000.0);
        }

        yield return ("max", histogram.Max / 1000.0);
    }

    /// <summary>A small SVG line-plot builder: log-scaled y, log or linear x, ticks, grid, legend.</summary>
    private sealed class SvgPlot(string title, string xLabel, string yLabel, bool logX = true)
    {
        private const int Width = 900, Height = 560, Left = 80, Right = 30, Top = 50, Bottom = 70;
        private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
        private readonly StringBuilder _body = new();
        private readonly List<(string Name, int Index)> _legend = [];
        private double _x0, _x1, _y0, _y1;

        public void SetScales(double x0, double x1, double y0, double y1)
        {
            (_x0, _x1) = (x0, Math.Max(x1, x0 + 1e-9));
            _y0 = Math.Pow(10, Math.Floor(Math.Log10(y0)));
            _y1 = Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(y1, _y0 * 10))));
        }

        private double Px(double x) => logX
            ? Left + ((Math.Log10(Math.Max(x, _x0)) - Math.Log10(_x0)) / (Math.Log10(_x1) - Math.Log10(_x0)) * (Width - Left - Right))
            : Left + ((x - _x0) / (_x1 - _x0) * (Width - Left - Right));

        private double Py(double y) => Height - Bottom - ((Math.Log10(Math.Clamp(y, _y0, _y1)) - Math.Log10(_y0)) / (Math.Log10(_y1) - Math.Log10(_y0)) * (Height - Top - Bottom));

        public void XTick(double x, string label)
        {
            double px = Px(x);
            _body.Append(Inv($"<line x1=\"{px:F1}\" y1=\"{Top}\" x2=\"{px:F1}\" y2=\"{Height - Bottom}\" stroke=\"#e0e0e0\"/>\n"));
            _body.Append(Inv($"<text x=\"{px:F1}\" y=\"{Height - Bottom + 20}\" text-anchor=\"middle\" font-size=\"13\">{Escape(label)}</text>\n"));
        }

        public void LogYTicks()
        {
            for (double y = _y0; y <= _y1 * 1.0001; y *= 10)
            {
                double py = Py(y);
                _body.Append(Inv($"<line x1=\"{Left}\" y1=\"{py:F1}\" x2=\"{Width - Right}\" y2=\"{py:F1}\" stroke=\"#e0e0e0\"/>\n"));
                string label = y >= 1 ? y.ToString("#,0", CultureInfo.InvariantCulture) : y.ToString("0.###", CultureInfo.InvariantCulture);
                _body.Append(Inv($"<text x=\"{Left - 8}\" y=\"{py + 4:F1}\" text-anchor=\"end\" font-size=\"13\">{label}</text>\n"));
            }
        }

        public void Line(IReadOnlyList<(double X, double Y)> points, int index, string name, bool markers = false)
        {
            string color = Colors[index % Colors.Length];
            if (points.Count > 0)
            {
                var path = string.Join(" ", points.Select(p => Inv($"{Px(p.X):F1},{Py(p.Y):F1}")));
                _body.Append(Inv($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{path}\"/>\n"));
                if (markers)
                {
                    foreach (var p in points)
                    {
                        _body.Append(Inv($"<circle cx=\"{Px(p.X):F1}\" cy=\"{Py(p.Y):F1}\" r=\"4\" fill=\"{color}\"/>\n"));
                    }
                }
            }

            _legend.Add((name, index));
        }

        public string Render()
        {
            var svg = new StringBuilder();
            svg.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\">\n"));
            svg.Append(Inv($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
            svg.Append(Inv($"<text x=\"{Width / 2}\" y=\"28\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">{Escape(title)}</text>\n"));
            svg.Append(_body);
            svg.Append(Inv($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"none\" stroke=\"#333\"/>\n"));
            svg.Append(Inv($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 20}\" text-anchor=\"middle\" font-size=\"14\">{Escape(xLabel)}</text>\n"));
            svg.Append(Inv($"<text transform=\"translate(20 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">{Escape(yLabel)}</text>\n"));
            for (int i = 0; i < _legend.Count; i++)
            {
                int y = Top + 18 + (i * 20);
                string color = Colors[_legend[i].Index % Colors.Length];
                svg.Append(Inv($"<line x1=\"{Left + 14}\" y1=\"{y - 4}\" x2=\"{Left + 38}\" y2=\"{y - 4}\" stroke=\"{color}\" stroke-width=\"3\"/>\n"));
                svg.Append(Inv($"<text x=\"{Left + 44}\" y=\"{y}\" font-size=\"13\">{Escape(_legend[i].Name)}</text>\n"));
            }

            svg.Append("</svg>\n");
            return svg.ToString();
        }

        private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

        private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
    }
}
