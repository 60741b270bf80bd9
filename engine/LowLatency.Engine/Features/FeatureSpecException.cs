namespace LowLatency.Engine.Features;

/// <summary>A feature spec that cannot be loaded. <see cref="Path"/> names the place (JSON path plus entity/window/aggregate).</summary>
public sealed class FeatureSpecException : Exception
{
    /// <summary>Creates the exception; the message starts with the path.</summary>
    public FeatureSpecException(string path, string message) : base($"{path}: {message}") => Path = path;

    /// <summary>Creates an exception without a path (for serializers).</summary>
    public FeatureSpecException() : base("invalid feature spec") => Path = "$";

    /// <summary>Creates an exception with a message only.</summary>
    public FeatureSpecException(string message) : base(message) => Path = "$";

    /// <summary>Creates an exception with an inner cause.</summary>
    public FeatureSpecException(string message, Exception inner) : base(message, inner) => Path = "$";

    /// <summary>Where in the spec the problem is, e.g. <c>$.entities[0].windows[1].aggregates[2] (entity 'card', window '24h', aggregate 'sum')</c>.</summary>
    public string Path { get; }
}
