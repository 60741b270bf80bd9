namespace LowLatency.Adapters.Aeron;

/// <summary>Helpers for <see cref="IDatagramSender"/> implementations.</summary>
public static class DatagramBatch
{
    /// <summary>
    /// <see cref="IDatagramSender.TrySendBatch"/> for a transport without a batched call: <see cref="IDatagramSender.TrySend"/>
    /// for each datagram in order, stopping at the first refused. Returns how many were sent.
    /// </summary>
    public static int SendEach<TSender>(ref TSender sender, ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
        where TSender : IDatagramSender, allows ref struct
    {
        int offset = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            if (!sender.TrySend(datagrams.Slice(offset, lengths[i])))
            {
                return i;
            }

            offset += lengths[i];
        }

        return lengths.Length;
    }
}
