using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LowLatency.Host;

/// <summary>
/// Reads the Aeron channel strings of the serve configuration: <c>aeron:udp?endpoint=host:port</c>, parameters separated
/// by <c>|</c>. Unicast UDP only; each caller names the parameters it supports, anything else is an error.
/// </summary>
internal static class AeronChannel
{
    private const string Prefix = "aeron:udp?";

    /// <summary>
    /// Parses <paramref name="channel"/> (the value of config field <paramref name="field"/>); returns the endpoint and the
    /// other parameters. Throws <see cref="ServeConfigException"/> naming the field.
    /// </summary>
    public static (IPEndPoint Endpoint, Dictionary<string, string> Parameters) Parse(string channel, string field, bool allowPortZero, params string[] extraParameters)
    {
        if (!channel.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new ServeConfigException(field, $"'{channel}' is not an Aeron UDP channel; write aeron:udp?endpoint=host:port.");
        }

        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in channel[Prefix.Length..].Split('|'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ServeConfigException(field, $"'{part}' in '{channel}' is not a key=value parameter.");
            }

            string key = part[..eq].Trim();
            if (key != "endpoint" && Array.IndexOf(extraParameters, key) < 0)
            {
                string known = string.Join(", ", new[] { "endpoint" }.Concat(extraParameters));
                throw new ServeConfigException(field, $"parameter '{key}' is not supported on this channel (supported: {known}).");
            }

            if (!parameters.TryAdd(key, part[(eq + 1)..].Trim()))
            {
                throw new ServeConfigException(field, $"parameter '{key}' appears twice.");
            }
        }

        if (!parameters.Remove("endpoint", out string? endpointText))
        {
            throw new ServeConfigException(field, $"'{channel}' names no endpoint; write aeron:udp?endpoint=host:port.");
        }

        return (ParseEndpoint(endpointText, field, allowPortZero), parameters);
    }

    /// <summary>Parses a size such as <c>1m</c>, <c>64k</c> or <c>65536</c> (Aeron's notation: k, m, g are powers of 1024).</summary>
    public static int ParseSize(string text, string field)
    {
        string t = text.Trim().ToLowerInvariant();
        long unit = t.EndsWith('k') ? 1024 : t.EndsWith('m') ? 1024 * 1024 : t.EndsWith('g') ? 1024 * 1024 * 1024 : 1;
        if (unit != 1)
        {
            t = t[..^1];
        }

        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n * unit > int.MaxValue)
        {
            throw new ServeConfigException(field, $"'{text}' is not a size (bytes, or a number with k, m or g).");
        }

        return (int)(n * unit);
    }

    private static IPEndPoint ParseEndpoint(string text, string field, bool allowPortZero)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new ServeConfigException(field, $"endpoint '{text}' needs host:port with a port from {(allowPortZero ? 0 : 1)} to 65535.");
        }

        if (port == 0 && !allowPortZero)
        {
            throw new ServeConfigException(field, $"endpoint '{text}': port 0 is only allowed where the engine binds (an ephemeral port).");
        }

        string host = text[..colon].Trim('[', ']');
        if (IPAddress.TryParse(host, out IPAddress? address))
        {
            return new IPEndPoint(address, port);
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        IPAddress[] found;
        try
        {
            found = Dns.GetHostAddresses(host);
        }
        catch (SocketException ex)
        {
            throw new ServeConfigException(field, $"cannot resolve host '{host}': {ex.Message}");
        }

        IPAddress? pick = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault();
        return pick is null ? throw new ServeConfigException(field, $"host '{host}' resolves to no address.") : new IPEndPoint(pick, port);
    }
}
