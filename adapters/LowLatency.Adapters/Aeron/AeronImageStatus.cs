namespace LowLatency.Adapters.Aeron;

/// <summary>A snapshot of one receiver image's positions, for monitoring and tests.</summary>
/// <param name="SessionId">Publication session id.</param>
/// <param name="StreamId">Stream id.</param>
/// <param name="InitialTermId">Term id at position 0, from SETUP.</param>
/// <param name="TermLength">Term length, from SETUP.</param>
/// <param name="Mtu">Sender mtu, from SETUP.</param>
/// <param name="JoinPosition">Position the image started at.</param>
/// <param name="ConsumedPosition">Everything before this was delivered.</param>
/// <param name="HighWaterMark">Highest position seen.</param>
/// <param name="LastStatusMessagePosition">Position in the last scheduled SM.</param>
/// <param name="ReceiverWindow">Window advertised in SMs.</param>
/// <param name="IsEndOfStream">Whether everything up to the EOS position was delivered (image draining).</param>
public readonly record struct AeronImageStatus(
    int SessionId, int StreamId, int InitialTermId, int TermLength, int Mtu, long JoinPosition, long ConsumedPosition,
    long HighWaterMark, long LastStatusMessagePosition, int ReceiverWindow, bool IsEndOfStream);
