using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Aeron;

/// <summary>
/// The receiving side of Aeron's unicast UDP protocol (PROTOCOL.md §9), independent of any transport: feed it datagrams
/// with an opaque source id and a clock (<see cref="OnDatagram"/>), run its timers (<see cref="DoWork"/>), and send what
/// it queues in <see cref="Outbox"/> (SMs, NAKs, RTTM replies) to the source the id names. Reassembled messages go to an
/// <see cref="IAeronMessageHandler"/> as soon as they are contiguous. Single-threaded; allocation-free once an image
/// exists. Bad input is dropped and counted in <see cref="Counters"/>, never thrown.
/// </summary>
public sealed partial class AeronReceiver
{
    private const int SessionMarkCapacity = 64;

    private readonly AeronReceiverOptions _options;
    private readonly int[] _streams;
    private readonly ReceiverImage?[] _images;
    private readonly SessionMark[] _pendingSetups = new SessionMark[SessionMarkCapacity];
    private readonly SessionMark[] _coolDowns = new SessionMark[SessionMarkCapacity];
    private ReceiverImage? _lastImage;

    /// <summary>Creates a receiver; throws <see cref="ArgumentException"/> for invalid options.</summary>
    public AeronReceiver(AeronReceiverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _streams = options.StreamIds.ToArray();
        _images = new ReceiverImage?[options.MaxImages];
        Outbox = new ControlOutbox(options.OutboxCapacity);
        ReceiverId = options.ReceiverId;
    }

    /// <summary>Receiver id in every SM and RTTM.</summary>
    public long ReceiverId { get; }

    /// <summary>Counters of frames, losses and rejects.</summary>
    public AeronReceiverCounters Counters { get; } = new();

    /// <summary>Control frames to send, each to the source id it names.</summary>
    public ControlOutbox Outbox { get; }

    /// <summary>Images currently held.</summary>
    public int ImageCount
    {
        get
        {
            int n = 0;
            foreach (ReceiverImage? image in _images)
            {
                n += image is null ? 0 : 1;
            }

            return n;
        }
    }

    /// <summary>Positions of the image for (<paramref name="sessionId"/>, <paramref name="streamId"/>), if one exists.</summary>
    public bool TryGetImage(int sessionId, int streamId, out AeronImageStatus status)
    {
        ReceiverImage? image = FindImage(streamId, sessionId);
        if (image is null)
        {
            status = default;
            return false;
        }

        status = new AeronImageStatus(
            image.SessionId, image.StreamId, image.InitialTermId, image.TermLength, image.Mtu, image.JoinPosition,
            image.RebuildPosition, image.HighWaterMark, image.LastSmPosition, image.Window,
            image.State == ReceiverImage.ImageState.Draining);
        return true;
    }

    /// <summary>
    /// Handles one datagram from the source named <paramref name="sourceId"/>, delivering any messages it completes to
    /// <paramref name="handler"/>. Returns the number of messages delivered.
    /// </summary>
    public int OnDatagram<THandler>(ReadOnlySpan<byte> datagram, int sourceId, long nowNs, ref THandler handler)
        where THandler : IAeronMessageHandler, allows ref struct
    {
        Counters.Datagrams++;
        Counters.Bytes += datagram.Length;
        if (datagram.Length < AeronFrame.HeaderLength)
        {
            return Reject(ReceiverRejectReason.ShortDatagram);
        }

        if (AeronFrame.Version(datagram) != AeronFrame.CurrentVersion)
        {
            return Reject(ReceiverRejectReason.UnsupportedVersion);
        }

        if (AeronFrame.FrameLength(datagram) < 0)
        {
            return Reject(ReceiverRejectReason.BadFrameLength);
        }

        switch (AeronFrame.Type(datagram))
        {
            case FrameType.Data:
            case FrameType.Pad:
                return OnDataPacket(datagram, sourceId, nowNs, ref handler);
            case FrameType.Setup:
                OnSetup(datagram, sourceId, nowNs);
                return 0;
            case FrameType.Rttm:
                OnRttm(datagram, sourceId);
                return 0;
            case FrameType.StatusMessage:
            case FrameType.Nak:
            case FrameType.Error:
            case FrameType.ResponseSetup:
                return Reject(ReceiverRejectReason.ControlFrameForSender);
            default:
                return Reject(ReceiverRejectReason.UnknownFrameType);
        }
    }

    /// <summary>
    /// Runs timers: first and periodic SMs, NAKs for gaps, end of stream, liveness. Call every duty cycle.
    /// Returns the number of frames queued or images changed.
    /// </summary>
    public int DoWork(long nowNs)
    {
        int work = 0;
        for (int i = 0; i < _images.Length; i++)
        {
            ReceiverImage? image = _images[i];
            if (image is null)
            {
                continue;
            }

            if (nowNs - image.LastPacketNs > _options.ImageLivenessTimeoutNs)
            {
                Counters.ImageLivenessTimeouts++;
                Mark(_coolDowns, image.StreamId, image.SessionId, nowNs + _options.ImageLivenessTimeoutNs);
                RemoveImage(i);
                work++;
                continue;
            }

            if (image.State == ReceiverImage.ImageState.Draining && nowNs >= image.DrainDeadlineNs)
            {
                RemoveImage(i);
                work++;
                continue;
            }

            if (image.GapActive && nowNs >= image.NakDeadlineNs)
            {
                if (QueueNak(image))
                {
                    work++;
                }

                image.NakDeadlineNs = nowNs + _options.NakRetryDelayNs;
            }

            work += StatusMessageCheck(image, nowNs);
        }

        return work;
    }

    private int StatusMessageCheck(ReceiverImage image, long nowNs)
    {
        // §9.3: an SM when consumption moved more than window/4 past the last scheduled SM, or every SM timeout
        // (repeating the last scheduled position), but only while the source was heard from recently.
        if (image.RebuildPosition - image.LastSmPosition > (image.Window >> 2))
        {
            image.LastSmPosition = image.RebuildPosition;
            image.SmDue = true;
        }

        if (!image.SmDue && nowNs - image.LastSmTimeNs < _options.StatusMessageTimeoutNs)
        {
            return 0;
        }

        if (nowNs - image.LastPacketNs > _options.ConnectionTimeoutNs)
        {
            return 0;
        }

        byte flags = image.State == ReceiverImage.ImageState.Draining ? StatusMessageFrame.EndOfStreamFlag : (byte)0;
        if (!Outbox.TryClaim(image.SourceId, out Span<byte> slot))
        {
            Counters.OutboxFull++;
            return 0;
        }

        int length = StatusMessageFrame.Write(
            slot, flags, image.SessionId, image.StreamId,
            LogPosition.TermId(image.LastSmPosition, image.PositionBits, image.InitialTermId),
            LogPosition.TermOffset(image.LastSmPosition, image.TermLength),
            image.Window, ReceiverId);
        Outbox.Commit(length);
        Counters.StatusMessagesSent++;
        image.SmDue = false;
        image.LastSmTimeNs = nowNs;
        return 1;
    }

    private bool QueueNak(ReceiverImage image)
    {
        if (!Outbox.TryClaim(image.SourceId, out Span<byte> slot))
        {
            Counters.OutboxFull++;
            return false;
        }

        Outbox.Commit(NakFrame.Write(
            slot, image.SessionId, image.StreamId, image.GapTermId, image.GapTermOffset, image.GapLength));
        Counters.NaksSent++;
        return true;
    }

    private void OnSetup(ReadOnlySpan<byte> frame, int sourceId, long nowNs)
    {
        if (frame.Length < SetupFrame.Length || AeronFrame.FrameLength(frame) > frame.Length)
        {
            Reject(ReceiverRejectReason.ShortControlFrame);
            return;
        }

        if (!SetupFrame.IsValid(frame))
        {
            Reject(ReceiverRejectReason.InvalidSetup);
            return;
        }

        int streamId = SetupFrame.StreamId(frame);
        int sessionId = SetupFrame.SessionId(frame);
        if (!IsSubscribed(streamId))
        {
            Reject(ReceiverRejectReason.UnsubscribedStream);
            return;
        }

        Counters.Setups++;
        ReceiverImage? existing = FindImage(streamId, sessionId);
        if (existing is not null)
        {
            // §9.2: a SETUP for a live image only refreshes the connection.
            existing.SourceId = sourceId;
            return;
        }

        if (IsMarked(_coolDowns, streamId, sessionId, nowNs))
        {
            Reject(ReceiverRejectReason.SessionCoolingDown);
            return;
        }

        int termLength = SetupFrame.TermLength(frame);
        int mtu = SetupFrame.Mtu(frame);
        if (termLength > _options.MaxTermLength)
        {
            Reject(ReceiverRejectReason.InvalidSetup);
            return;
        }

        int slot = Array.IndexOf(_images, null);
        if (slot < 0)
        {
            Reject(ReceiverRejectReason.TooManyImages);
            return;
        }

        // §9.3: window = min(initial window, term/2), and never below one mtu or the sender could not progress.
        int window = Math.Max(Math.Min(_options.InitialWindowLength, termLength / 2), mtu);
        _images[slot] = new ReceiverImage(
            sessionId, streamId, SetupFrame.InitialTermId(frame), SetupFrame.ActiveTermId(frame),
            SetupFrame.TermOffset(frame), termLength, mtu, Math.Min(window, termLength / 2), sourceId, nowNs);
        Unmark(_pendingSetups, streamId, sessionId);
        Counters.ImagesCreated++;
    }

    private void OnRttm(ReadOnlySpan<byte> frame, int sourceId)
    {
        if (frame.Length < RttmFrame.Length || AeronFrame.FrameLength(frame) > frame.Length)
        {
            Reject(ReceiverRejectReason.ShortControlFrame);
            return;
        }

        Counters.RttmReceived++;
        long receiverId = RttmFrame.ReceiverId(frame);
        if (receiverId != ReceiverId && receiverId != 0)
        {
            Reject(ReceiverRejectReason.RttmNotForUs);
            return;
        }

        if ((AeronFrame.Flags(frame) & RttmFrame.ReplyFlag) == 0)
        {
            return;
        }

        if (!Outbox.TryClaim(sourceId, out Span<byte> slot))
        {
            Counters.OutboxFull++;
            return;
        }

        Outbox.Commit(RttmFrame.Write(
            slot, 0, RttmFrame.SessionId(frame), RttmFrame.StreamId(frame), RttmFrame.EchoTimestamp(frame), 0, ReceiverId));
        Counters.RttmReplies++;
    }

    private void ElicitSetup(int streamId, int sessionId, int sourceId, long nowNs)
    {
        if (IsMarked(_pendingSetups, streamId, sessionId, nowNs) || IsMarked(_coolDowns, streamId, sessionId, nowNs))
        {
            return;
        }

        if (!Outbox.TryClaim(sourceId, out Span<byte> slot))
        {
            Counters.OutboxFull++;
            return;
        }

        // §9.2: SM with SEND_SETUP and zero position and window, to the packet's source.
        Outbox.Commit(StatusMessageFrame.Write(slot, StatusMessageFrame.SendSetupFlag, sessionId, streamId, 0, 0, 0, ReceiverId));
        Counters.SetupsElicited++;
        Mark(_pendingSetups, streamId, sessionId, nowNs + _options.PendingSetupTimeoutNs);
    }

    private void RemoveImage(int index)
    {
        _images[index] = null;
        _lastImage = null;
        Counters.ImagesRemoved++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReceiverImage? FindImage(int streamId, int sessionId)
    {
        ReceiverImage? last = _lastImage;
        if (last is not null && last.SessionId == sessionId && last.StreamId == streamId)
        {
            return last;
        }

        foreach (ReceiverImage? image in _images)
        {
            if (image is not null && image.SessionId == sessionId && image.StreamId == streamId)
            {
                _lastImage = image;
                return image;
            }
        }

        return null;
    }

    private bool IsSubscribed(int streamId) => _streams.Length == 0 || Array.IndexOf(_streams, streamId) >= 0;

    private int Reject(ReceiverRejectReason reason)
    {
        Counters.Reject(reason);
        return 0;
    }

    private static bool IsMarked(SessionMark[] marks, int streamId, int sessionId, long nowNs)
    {
        foreach (ref readonly SessionMark m in marks.AsSpan())
        {
            if (m.Until > nowNs && m.SessionId == sessionId && m.StreamId == streamId && m.InUse)
            {
                return true;
            }
        }

        return false;
    }

    private static void Mark(SessionMark[] marks, int streamId, int sessionId, long until)
    {
        // Reuse the entry with the earliest expiry: the table is a bounded suppression cache, not a registry.
        int victim = 0;
        for (int i = 0; i < marks.Length; i++)
        {
            if (!marks[i].InUse || (marks[i].SessionId == sessionId && marks[i].StreamId == streamId))
            {
                victim = i;
                break;
            }

            if (marks[i].Until < marks[victim].Until)
            {
                victim = i;
            }
        }

        marks[victim] = new SessionMark(streamId, sessionId, until, true);
    }

    private static void Unmark(SessionMark[] marks, int streamId, int sessionId)
    {
        for (int i = 0; i < marks.Length; i++)
        {
            if (marks[i].InUse && marks[i].SessionId == sessionId && marks[i].StreamId == streamId)
            {
                marks[i] = default;
            }
        }
    }

    private readonly record struct SessionMark(int StreamId, int SessionId, long Until, bool InUse);
}
