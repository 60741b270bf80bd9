namespace LowLatency.Models;

/// <summary>
/// A model file or definition that cannot be loaded: malformed, inconsistent, or using a feature this
/// runtime does not support. The message names the offending field. Loaders throw before returning
/// anything, so a half-loaded model never escapes.
/// </summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception with a message that names the field.</summary>
    public ModelFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception wrapping a lower-level parse error.</summary>
    public ModelFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ModelFormatException()
        : base("The model is malformed.")
    {
    }
}
