using System.Runtime.InteropServices;

namespace LowLatency.Models;

/// <summary>One reason code: a feature (or hashed-key slot) and how much it moved the margin.</summary>
/// <param name="Feature">Dense feature index; for hashed categoricals, dense count + key position.</param>
/// <param name="Value">Signed contribution to the margin.</param>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct Contribution(int Feature, float Value);
