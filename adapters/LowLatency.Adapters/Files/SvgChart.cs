using System.Globalization;
using System.Net;
using System.Text;

namespace LowLatency.Adapters.Files;

/// <summary>A minimal linear-axes SVG chart (lines and bars) for the replay report; no scripts, no external assets.</summary>
internal sealed class SvgChart(string title, string xLabel, string yLabel)
{
    private const double W = 760, H = 300, Left = 70, Right = 20, Top = 36, Bottom = 50;
    private static readonly string[] Colours = ["#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd"];
    private readonly StringBuilder _body = new();
    private readonly List<(string Name, string Colour)> _legend = [];
    private double _x0, _x1 = 1, _y0, _y1 = 1;

    public void Scales(double x0, double x1, double y0, double y1)
    {
        (_x0, _x1) = x1 > x0 ? (x0, x1) : (x0, x0 + 1);
        (_y0, _y1) = y1 > y0 ? (y0, y1) : (y0, y0 + 1);
    }

    public void Line(IReadOnlyList<(double X, double Y)> points, int series, string name)
    {
        string colour = Colours[series % Colours.Length];
        _legend.Add((name, colour));
        var sb = new StringBuilder();
        foreach (var (x, y) in points)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{Px(x):F1},{Py(y):F1} ");
        }

        _body.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{sb}\"/>\n");
    }

    public void Bars(IReadOnlyList<(double X0, double X1, double Y)> bars, int series, string name)
    {
        string colour = Colours[series % Colours.Length];
        _legend.Add((name, colour));
        foreach (var (x0, x1, y) in bars)
        {
            double top = Py(y);
            _body.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Px(x0):F1}\" y=\"{top:F1}\" width=\"{Math.Max(0.5, Px(x1) - Px(x0) - 0.5):F1}\" height=\"{Math.Max(0, Py(_y0) - top):F1}\" fill=\"{colour}\"/>\n");
        }
    }

    public string Render(Func<double, string>? xFormat = null, Func<double, string>? yFormat = null)
    {
        xFormat ??= v => v.ToString("G4", CultureInfo.InvariantCulture);
        yFormat ??= v => v.ToString("G4", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{W / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">{Esc(title)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{W - Left - Right}\" height=\"{H - Top - Bottom}\" fill=\"none\" stroke=\"#999\"/>\n");
        for (int i = 0; i <= 5; i++)
        {
            double xv = _x0 + ((_x1 - _x0) * i / 5), yv = _y0 + ((_y1 - _y0) * i / 5);
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Px(xv):F1}\" y=\"{H - Bottom + 14}\" text-anchor=\"middle\">{Esc(xFormat(xv))}</text>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 4}\" y=\"{Py(yv) + 4:F1}\" text-anchor=\"end\">{Esc(yFormat(yv))}</text>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{W - Right}\" y1=\"{Py(yv):F1}\" y2=\"{Py(yv):F1}\" stroke=\"#eee\"/>\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{W / 2}\" y=\"{H - 12}\" text-anchor=\"middle\">{Esc(xLabel)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(14,{H / 2}) rotate(-90)\" text-anchor=\"middle\">{Esc(yLabel)}</text>\n");
        sb.Append(_body);
        for (int i = 0; i < _legend.Count; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left + 10 + (i * 130)}\" y=\"{Top + 6}\" width=\"10\" height=\"10\" fill=\"{_legend[i].Colour}\"/><text x=\"{Left + 24 + (i * 130)}\" y=\"{Top + 15}\">{Esc(_legend[i].Name)}</text>\n");
        }

        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private double Px(double x) => Left + ((x - _x0) / (_x1 - _x0) * (W - Left - Right));

    private double Py(double y) => H - Bottom - ((Math.Clamp(y, _y0, _y1) - _y0) / (_y1 - _y0) * (H - Top - Bottom));

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
