namespace LowLatency.Engine.Ring;

/// <summary>
/// A consumer's logic. Implement it on a struct and pass the struct as a generic argument: the processor
/// is then compiled for that handler and calls it directly, with no virtual call per event.
/// </summary>
/// <typeparam name="T">Slot type.</typeparam>
public interface IEventHandler<T>
    where T : unmanaged
{
    /// <summary>
    /// Handles one slot. <paramref name="endOfBatch"/> is true for the last slot currently available, the
    /// moment to flush anything batched (a socket send, a journal write).
    /// </summary>
    void OnEvent(ref T evt, long sequence, bool endOfBatch);
}
