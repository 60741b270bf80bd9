using System.Runtime.CompilerServices;

namespace LowLatency.Adapters.Aeron;

/// <summary>The DATA/PAD/heartbeat path: validation (§5), insertion (§9.4), rebuild and delivery (§6.5), loss (§9.5).</summary>
public sealed partial class AeronReceiver
{
    private int OnDataPacket<THandler>(ReadOnlySpan<byte> packet, int sourceId, long nowNs, ref THandler handler)
        where THandler : IAeronMessageHandler, allows ref struct
    {
        // §5 (master/1.53): DATA/PAD datagrams are at least one header long and a multiple of 32.
        if (packet.Length < DataFrame.HeaderLength || !AeronFrame.IsAligned(packet.Length))
        {
            return Reject(ReceiverRejectReason.DataDatagramNotAligned);
        }

        int streamId = DataFrame.StreamId(packet);
        int sessionId = DataFrame.SessionId(packet);
        if (!IsSubscribed(streamId))
        {
            return Reject(ReceiverRejectReason.UnsubscribedStream);
        }

        ReceiverImage? image = FindImage(streamId, sessionId);
        if (image is null)
        {
            if ((AeronFrame.Flags(packet) & DataFrame.EndOfStreamFlag) == 0)
            {
                ElicitSetup(streamId, sessionId, sourceId, nowNs);
            }

            return Reject(ReceiverRejectReason.UnknownSession);
        }

        int termOffset = DataFrame.TermOffset(packet);
        int termId = DataFrame.TermId(packet);
        if (termOffset < 0 || termOffset >= image.TermLength || !AeronFrame.IsAligned(termOffset))
        {
            return Reject(ReceiverRejectReason.InvalidDataPacket);
        }

        if (unchecked(termId - image.InitialTermId) < 0)
        {
            return Reject(ReceiverRejectReason.Underrun);
        }

        long packetPosition = LogPosition.Compute(termId, termOffset, image.PositionBits, image.InitialTermId);
        if (DataFrame.IsHeartbeat(packet))
        {
            OnHeartbeat(image, packet, packetPosition, sourceId, nowNs);
            return 0;
        }

        if (!IsValidDataPacket(packet, image, termOffset, termId))
        {
            return Reject(ReceiverRejectReason.InvalidDataPacket);
        }

        // §9.4 over-run: never accept beyond term/2 past the last SM; that bound is also what lets one term buffer
        // hold every accepted frame at its term offset without overwriting unconsumed data.
        if (packetPosition + packet.Length > image.LastSmPosition + (image.TermLength >> 1))
        {
            return Reject(ReceiverRejectReason.Overrun);
        }

        image.LastPacketNs = nowNs;
        image.SourceId = sourceId;
        int delivered;
        if (packetPosition == image.RebuildPosition && image.HighWaterMark <= packetPosition)
        {
            // The common case: the next data in order with nothing buffered beyond it. Deliver straight from the datagram;
            // the term buffer is only needed to hold data that arrived ahead of a gap.
            delivered = DeliverInOrder(image, packet, packetPosition, ref handler);
        }
        else
        {
            Insert(image, packet, packetPosition);
            delivered = Rebuild(image, ref handler);
        }

        if (packetPosition + packet.Length > image.HighWaterMark)
        {
            image.HighWaterMark = packetPosition + packet.Length;
        }

        CheckForGap(image, nowNs);
        CheckEndOfStream(image, nowNs);
        return delivered;
    }

    private void OnHeartbeat(ReceiverImage image, ReadOnlySpan<byte> packet, long position, int sourceId, long nowNs)
    {
        if (position < Math.Max(0, image.LastSmPosition - image.TermLength)
            || position > image.LastSmPosition + (image.TermLength >> 1))
        {
            Reject(ReceiverRejectReason.Underrun);
            return;
        }

        Counters.Heartbeats++;
        image.LastPacketNs = nowNs;
        image.SourceId = sourceId;
        if (position > image.HighWaterMark)
        {
            image.HighWaterMark = position;
        }

        if ((AeronFrame.Flags(packet) & DataFrame.EndOfStreamFlag) != 0 && image.EndOfStreamPosition == long.MaxValue)
        {
            image.EndOfStreamPosition = position;
        }

        CheckForGap(image, nowNs);
        CheckEndOfStream(image, nowNs);
    }

    /// <summary>
    /// §5 frame walk: every frame a DATA or PAD of this session, stream and term, at the running term offset, inside the
    /// term; the walk consumes the datagram exactly, except that a final PAD's extent may run past it.
    /// </summary>
    private static bool IsValidDataPacket(ReadOnlySpan<byte> packet, ReceiverImage image, int termOffset, int termId)
    {
        int offset = 0;
        int expectedTermOffset = termOffset;
        while (offset < packet.Length)
        {
            ReadOnlySpan<byte> frame = packet.Slice(offset);
            if (frame.Length < DataFrame.HeaderLength)
            {
                return false;
            }

            int frameLength = AeronFrame.FrameLength(frame);
            FrameType type = AeronFrame.Type(frame);
            if (frameLength < DataFrame.HeaderLength || frameLength > image.TermLength
                || (type != FrameType.Data && type != FrameType.Pad)
                || AeronFrame.Version(frame) != AeronFrame.CurrentVersion
                || DataFrame.TermOffset(frame) != expectedTermOffset
                || DataFrame.TermId(frame) != termId
                || DataFrame.SessionId(frame) != image.SessionId
                || DataFrame.StreamId(frame) != image.StreamId)
            {
                return false;
            }

            int aligned = AeronFrame.Align(frameLength);
            if (aligned > image.TermLength - expectedTermOffset)
            {
                return false;
            }

            if (aligned > frame.Length)
            {
                // Only the header of a trailing PAD travels (§6.4).
                return type == FrameType.Pad && frame.Length == DataFrame.HeaderLength;
            }

            offset += aligned;
            expectedTermOffset += aligned;
        }

        return true;
    }

    private void Insert(ReceiverImage image, ReadOnlySpan<byte> packet, long packetPosition)
    {
        Span<byte> term = image.Term;
        int offset = 0;
        while (offset < packet.Length)
        {
            ReadOnlySpan<byte> frame = packet.Slice(offset);
            int frameLength = AeronFrame.FrameLength(frame);
            int aligned = AeronFrame.Align(frameLength);
            int carried = Math.Min(aligned, frame.Length);
            long framePosition = packetPosition + offset;
            int termOffset = DataFrame.TermOffset(frame);
            if (AeronFrame.Type(frame) == FrameType.Pad)
            {
                Counters.PadFrames++;
            }
            else
            {
                Counters.DataFrames++;
            }

            // Frame by frame rather than Aeron's whole-datagram copy, so a retransmission batched differently from the
            // original still fills exactly the missing frames and never re-delivers consumed ones.
            if (framePosition < image.RebuildPosition || AeronFrame.ReadInt32(term, termOffset) != 0)
            {
                Counters.DuplicateFrames++;
            }
            else
            {
                frame.Slice(0, carried).CopyTo(term.Slice(termOffset));
            }

            offset += carried;
        }
    }

    /// <summary>
    /// Delivers a validated datagram that starts at the rebuild position, frame by frame from the datagram itself, and
    /// moves the rebuild position past it (past a PAD's whole extent). Equivalent to <see cref="Insert"/> then
    /// <see cref="Rebuild"/> when nothing beyond the rebuild position is buffered, without copying into the term and
    /// clearing it again.
    /// </summary>
    private int DeliverInOrder<THandler>(ReceiverImage image, ReadOnlySpan<byte> packet, long packetPosition, ref THandler handler)
        where THandler : IAeronMessageHandler, allows ref struct
    {
        int delivered = 0;
        long position = packetPosition;
        int offset = 0;
        while (offset < packet.Length)
        {
            ReadOnlySpan<byte> frame = packet.Slice(offset);
            int frameLength = AeronFrame.FrameLength(frame);
            int aligned = AeronFrame.Align(frameLength);
            position += aligned;
            if (AeronFrame.Type(frame) == FrameType.Pad)
            {
                Counters.PadFrames++;
            }
            else
            {
                Counters.DataFrames++;
                delivered += OnFragment(image, frame.Slice(0, frameLength), position, ref handler);
            }

            offset += Math.Min(aligned, frame.Length);
        }

        image.RebuildPosition = position;
        return delivered;
    }

    private int Rebuild<THandler>(ReceiverImage image, ref THandler handler)
        where THandler : IAeronMessageHandler, allows ref struct
    {
        Span<byte> term = image.Term;
        int delivered = 0;
        long position = image.RebuildPosition;
        while (true)
        {
            int termOffset = LogPosition.TermOffset(position, image.TermLength);
            int frameLength = AeronFrame.ReadInt32(term, termOffset);
            if (frameLength == 0)
            {
                break;
            }

            // Frames were validated on insertion, but a sender that re-sends a range with different frame boundaries can
            // leave the rebuild position inside an older frame's payload. Anything that is not a frame header of this
            // offset is cleared and counted: the slot becomes a gap, and the NAK brings the real frame back.
            int aligned = AeronFrame.Align(frameLength);
            if (frameLength < DataFrame.HeaderLength || aligned > image.TermLength - termOffset
                || DataFrame.TermOffset(term.Slice(termOffset)) != termOffset)
            {
                term.Slice(termOffset, AeronFrame.Alignment).Clear();
                Reject(ReceiverRejectReason.InvalidDataPacket);
                break;
            }

            Span<byte> frame = term.Slice(termOffset, aligned);
            position += aligned;
            if (AeronFrame.Type(frame) == FrameType.Data)
            {
                delivered += OnFragment(image, frame.Slice(0, frameLength), position, ref handler);
            }

            frame.Clear();
        }

        image.RebuildPosition = position;
        return delivered;
    }

    private int OnFragment<THandler>(ReceiverImage image, ReadOnlySpan<byte> frame, long position, ref THandler handler)
        where THandler : IAeronMessageHandler, allows ref struct
    {
        byte flags = (byte)(AeronFrame.Flags(frame) & DataFrame.UnfragmentedFlags);
        ReadOnlySpan<byte> payload = frame.Slice(DataFrame.HeaderLength);
        if (flags == DataFrame.UnfragmentedFlags)
        {
            if (image.Assembling)
            {
                Counters.FragmentsDiscarded++;
                image.Assembling = false;
            }

            Deliver(image, payload, position, ref handler);
            return 1;
        }

        if ((flags & DataFrame.BeginFlag) != 0)
        {
            if (image.Assembling)
            {
                Counters.FragmentsDiscarded++;
            }

            image.Reassembly ??= new byte[image.MaxMessageLength];
            image.ReassemblyLength = 0;
            image.Assembling = true;
        }
        else if (!image.Assembling)
        {
            Reject(ReceiverRejectReason.FragmentOutOfSync);
            return 0;
        }

        byte[] buffer = image.Reassembly!;
        if (payload.Length > buffer.Length - image.ReassemblyLength)
        {
            image.Assembling = false;
            Reject(ReceiverRejectReason.FragmentOutOfSync);
            return 0;
        }

        payload.CopyTo(buffer.AsSpan(image.ReassemblyLength));
        image.ReassemblyLength += payload.Length;
        if ((flags & DataFrame.EndFlag) == 0)
        {
            return 0;
        }

        image.Assembling = false;
        Deliver(image, buffer.AsSpan(0, image.ReassemblyLength), position, ref handler);
        return 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Deliver<THandler>(ReceiverImage image, ReadOnlySpan<byte> payload, long position, ref THandler handler)
        where THandler : IAeronMessageHandler, allows ref struct
    {
        Counters.MessagesDelivered++;
        Counters.BytesDelivered += payload.Length;
        handler.OnMessage(payload, image.SessionId, image.StreamId, position);
    }

    /// <summary>
    /// §9.5: the first run of empty 32-byte slots from the rebuild position up to the high-water mark, limited to the end of
    /// the current term. A new gap arms the NAK timer; the same gap keeps its timer; no gap disarms it.
    /// </summary>
    private void CheckForGap(ReceiverImage image, long nowNs)
    {
        long start = image.RebuildPosition;
        if (start >= image.HighWaterMark)
        {
            image.GapActive = false;
            image.NakDeadlineNs = long.MaxValue;
            return;
        }

        int startOffset = LogPosition.TermOffset(start, image.TermLength);
        long termEnd = start - startOffset + image.TermLength;
        int limitOffset = (int)(Math.Min(image.HighWaterMark, termEnd) - (start - startOffset));
        ReadOnlySpan<byte> term = image.Term;
        int end = startOffset;
        while (end < limitOffset && AeronFrame.ReadInt32(term, end) == 0)
        {
            end += AeronFrame.Alignment;
        }

        int termId = LogPosition.TermId(start, image.PositionBits, image.InitialTermId);
        int length = end - startOffset;
        if (image.GapActive && image.GapTermId == termId && image.GapTermOffset == startOffset)
        {
            image.GapLength = length;
            return;
        }

        Counters.GapsDetected++;
        image.GapActive = true;
        image.GapTermId = termId;
        image.GapTermOffset = startOffset;
        image.GapLength = length;
        image.NakDeadlineNs = nowNs + _options.NakDelayNs;
    }

    private void CheckEndOfStream(ReceiverImage image, long nowNs)
    {
        if (image.State == ReceiverImage.ImageState.Active && image.RebuildPosition >= image.EndOfStreamPosition)
        {
            // §9.6: everything up to EOS delivered → draining: EOS SMs for the drain period, then removal.
            image.State = ReceiverImage.ImageState.Draining;
            image.DrainDeadlineNs = nowNs + _options.DrainTimeoutNs;
            image.SmDue = true;
            image.GapActive = false;
            image.NakDeadlineNs = long.MaxValue;
            Counters.EndOfStreams++;
        }
    }
}
