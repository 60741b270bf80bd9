using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using LowLatency.Engine.Pipeline;

namespace LowLatency.Host;

/// <summary>Option factories shared by the commands, each validating its value with a message that names the option.</summary>
internal static class CliOptions
{
    /// <summary>An integer option that must be at least <paramref name="min"/>.</summary>
    public static Option<long> AtLeast(string name, string description, long defaultValue, long min)
    {
        var option = new Option<long>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out long value) && value < min)
            {
                result.AddError($"{name} must be at least {min.ToString(CultureInfo.InvariantCulture)}; got {value.ToString(CultureInfo.InvariantCulture)}.");
            }
        });
        return option;
    }

    /// <summary>
    /// The value of the option a validator checks, or false when its text does not convert to the option's type: the
    /// parser reports that itself ("Cannot parse argument …"), and asking for the value would throw instead.
    /// </summary>
    public static bool TryGetValue<T>(OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    /// <summary>A duration option: plain seconds ("30"), or a number with a unit: ms, s, m, h ("500ms", "2m").</summary>
    public static Option<TimeSpan> Duration(string name, string description, TimeSpan defaultValue)
    {
        return new Option<TimeSpan>(name)
        {
            Description = description + " (e.g. 30s, 500ms, 2m)",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (TryParseDuration(text, out var value) && value > TimeSpan.Zero)
                {
                    return value;
                }

                result.AddError($"{name}: '{text}' is not a positive duration; use e.g. 30s, 500ms, 2m or 1h.");
                return default;
            },
        };
    }

    /// <summary>Parses "30", "30s", "500ms", "2m", "1h" (invariant culture).</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        (string number, double unitSeconds) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (text[..^2], 0.001),
            _ when text.EndsWith('s') || text.EndsWith('S') => (text[..^1], 1.0),
            _ when text.EndsWith('m') || text.EndsWith('M') => (text[..^1], 60.0),
            _ when text.EndsWith('h') || text.EndsWith('H') => (text[..^1], 3600.0),
            _ => (text, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) || !double.IsFinite(amount))
        {
            return false;
        }

        double seconds = amount * unitSeconds;
        if (seconds is < 0 or > 365 * 24 * 3600.0)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>The <c>--reasons</c> option of the commands that score.</summary>
    public static Option<ReasonCodes> Reasons() =>
        Choice("--reasons", "Which decisions carry reason codes: flagged (reviews and declines), all, or none (scores and outcomes are the same either way)", ReasonCodes.Flagged);

    /// <summary>An enum option listing its accepted values in the help.</summary>
    public static Option<T> Choice<T>(string name, string description, T defaultValue)
        where T : struct, Enum
    {
        var option = new Option<T>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.AcceptOnlyFromAmong([.. Enum.GetNames<T>().Select(n => n.ToLowerInvariant())]);
        return option;
    }
}
