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
    /// Adds a check, run before the command does any work, that the option names a file this process can create or
    /// overwrite (<paramref name="directory"/>: a directory it can create or write in). Without it a bad path failed
    /// only when the file was opened, in some commands after the whole run.
    /// </summary>
    public static TOption Writable<TOption>(this TOption option, bool directory = false)
        where TOption : Option
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && WhyNotWritable(result.Tokens[0].Value, directory) is { } why)
            {
                result.AddError($"{option.Name}: {why}");
            }
        });
        return option;
    }

    /// <summary>Why <paramref name="path"/> cannot be written as a file (or a directory), or null when it can. Leaves nothing behind.</summary>
    public static string? WhyNotWritable(string path, bool directory)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"'{path}' is not a valid path ({ex.Message})";
        }

        if (directory)
        {
            if (File.Exists(full))
            {
                return $"{full} is a file, not a directory";
            }

            return Directory.Exists(full) ? CanCreateIn(full) : CanCreateBelow(full);
        }

        if (Directory.Exists(full))
        {
            return $"{full} is a directory";
        }

        if (File.Exists(full))
        {
            try
            {
                using var probe = new FileStream(full, FileMode.Open, FileAccess.Write); // no truncation: the check changes nothing
                return null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"cannot write {full}: {ex.Message}";
            }
        }

        return CanCreateBelow(Path.GetDirectoryName(full) ?? full);
    }

    /// <summary>Whether what does not exist yet at <paramref name="full"/> can be created: its nearest existing ancestor must be a writable directory.</summary>
    private static string? CanCreateBelow(string full)
    {
        string? dir = full;
        while (dir is not null && !Directory.Exists(dir))
        {
            if (File.Exists(dir))
            {
                return $"{dir} is a file, not a directory";
            }

            dir = Path.GetDirectoryName(dir);
        }

        return dir is null ? $"no existing directory above {full}" : CanCreateIn(dir);
    }

    private static string? CanCreateIn(string dir)
    {
        try
        {
            using var probe = new FileStream(
                Path.Combine(dir, $".lowlat-write-check-{Environment.ProcessId}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot create files in {dir}: {ex.Message}";
        }
    }

    /// <summary>Adds a check that none of <paramref name="outputs"/> names the same file as the command's input argument.</summary>
    public static void OutputsAreNotTheInput(Command command, Argument<string> input, params Option[] outputs)
    {
        command.Validators.Add(result =>
        {
            string? text = result.GetResult(input)?.Tokens is { Count: > 0 } t ? t[0].Value : null;
            if (text is null)
            {
                return;
            }

            string inputPath = Path.GetFullPath(text);
            foreach (Option output in outputs)
            {
                if (result.GetResult(output)?.Tokens is { Count: > 0 } o && Path.GetFullPath(o[0].Value) == inputPath)
                {
                    result.AddError($"{output.Name}: {inputPath} is the input; writing it would destroy what is being read.");
                }
            }
        });
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
