using LowLatency.Models.Champion;

namespace LowLatency.Models.Lifecycle;

/// <summary>An immutable published model version: the scoring model plus where it came from.</summary>
/// <param name="Version">Version number, increasing from 1.</param>
/// <param name="Parent">The version it was promoted over (0 for the first).</param>
/// <param name="CreatedAtNs">Event time at which it was published.</param>
/// <param name="Model">The scoring model (immutable; safe to share across threads).</param>
/// <param name="Checksum">Checksum of its snapshot file.</param>
public sealed record ModelVersion(uint Version, uint Parent, long CreatedAtNs, ChampionModel Model, ulong Checksum);
