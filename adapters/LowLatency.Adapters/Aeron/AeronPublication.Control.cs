namespace LowLatency.Adapters.Aeron;

/// <summary>Control frames from subscribers: SM (§8.2–§8.3), NAK (§8.5), RTTM (§8.6), ERR (§8.7).</summary>
public sealed partial class AeronPublication
{
    /// <summary>
    /// Whether a control datagram is addressed to this publication: an SM, NAK, ERR or RTTM carrying its session and
    /// stream id. A transport hosting several publications on one socket dispatches with this.
    /// </summary>
    public bool IsFor(ReadOnlySpan<byte> datagram)
    {
        // SM, NAK, ERR and RTTM all carry session id at 8 and stream id at 12.
        return datagram.Length >= 16
            && AeronFrame.ReadInt32(datagram, StatusMessageFrame.SessionIdOffset) == SessionId
            && AeronFrame.ReadInt32(datagram, StatusMessageFrame.StreamIdOffset) == StreamId;
    }

    /// <summary>
    /// Handles one control datagram from a subscriber of this publication (the transport checked <see cref="IsFor"/>).
    /// Returns 1 when it changed the publication's state, 0 when it was ignored (and counted).
    /// </summary>
    public int OnControl(ReadOnlySpan<byte> datagram, long nowNs)
    {
        if (datagram.Length < AeronFrame.HeaderLength || AeronFrame.FrameLength(datagram) > datagram.Length)
        {
            return Reject(PublicationRejectReason.ShortControlFrame);
        }

        switch (AeronFrame.Type(datagram))
        {
            case FrameType.StatusMessage:
                return OnStatusMessage(datagram, nowNs);
            case FrameType.Nak:
                return OnNak(datagram, nowNs);
            case FrameType.Error:
                return OnError(datagram);
            case FrameType.Rttm:
                return OnRttm(datagram);
            default:
                return Reject(PublicationRejectReason.NotForSender);
        }
    }

    private int OnStatusMessage(ReadOnlySpan<byte> frame, long nowNs)
    {
        if (frame.Length < StatusMessageFrame.Length || AeronFrame.FrameLength(frame) < StatusMessageFrame.Length)
        {
            return Reject(PublicationRejectReason.ShortControlFrame);
        }

        byte flags = AeronFrame.Flags(frame);
        if ((flags & StatusMessageFrame.SendSetupFlag) != 0)
        {
            // §8.2: a (re)starting receiver does not know us; answer with a SETUP at the current position.
            Counters.SetupRequests++;
            _shouldSendSetup = true;
            return 1;
        }

        long receiverId = StatusMessageFrame.ReceiverId(frame);
        if ((flags & StatusMessageFrame.EndOfStreamFlag) != 0)
        {
            Counters.EndOfStreamStatusMessages++;
            RemoveReceiver(receiverId);
            _endOfStreamReceived = true;
            return 1;
        }

        int termOffset = StatusMessageFrame.ConsumptionTermOffset(frame);
        int window = StatusMessageFrame.ReceiverWindow(frame);
        if (termOffset < 0 || termOffset >= _termLength || !AeronFrame.IsAligned(termOffset)
            || window < 0 || window > _termLength / 2)
        {
            return Reject(PublicationRejectReason.InvalidStatusMessage);
        }

        long position = LogPosition.Compute(StatusMessageFrame.ConsumptionTermId(frame), termOffset, _positionBits, InitialTermId);
        long half = _termLength / 2;
        if (position < _senderPosition - half || position > _senderPosition + half)
        {
            // 1.51+: an SM far from the sender position is stale or forged (§5).
            return Reject(PublicationRejectReason.InvalidStatusMessage);
        }

        Counters.StatusMessagesReceived++;
        TouchReceiver(receiverId, nowNs);
        _hasInitialConnection = true;
        _connected = true;
        if (position + window > _senderLimit)
        {
            _senderLimit = position + window;
        }

        return 1;
    }

    private int OnNak(ReadOnlySpan<byte> frame, long nowNs)
    {
        if (frame.Length < NakFrame.Length)
        {
            return Reject(PublicationRejectReason.ShortControlFrame);
        }

        Counters.NaksReceived++;
        int termOffset = NakFrame.TermOffset(frame);
        int length = NakFrame.GapLength(frame);
        if (length == 0)
        {
            return 0; // 1.49+: ignored, not invalid
        }

        if (length < 0 || termOffset < 0 || termOffset >= _termLength || !AeronFrame.IsAligned(termOffset)
            || length > _termLength - termOffset)
        {
            return Reject(PublicationRejectReason.InvalidNak);
        }

        long start = LogPosition.Compute(NakFrame.TermId(frame), termOffset, _positionBits, InitialTermId);
        long oldest = Math.Max(0, _senderPosition - (_termLength / 2) - _maxMessageLength);
        if (start < oldest || start >= _senderPosition)
        {
            return Reject(PublicationRejectReason.NakOutOfRange);
        }

        // §8.5: one receiver NAKs the same gap repeatedly; a range answered within the linger time is not sent again.
        long end = Math.Min(start + length, _senderPosition);
        foreach (ref readonly Range r in _lingeringRetransmits.AsSpan())
        {
            if (r.Until > nowNs && start >= r.Start && start < r.End)
            {
                return Reject(PublicationRejectReason.NakLingering);
            }
        }

        for (int i = 0; i < _pendingRetransmitCount; i++)
        {
            if (start >= _pendingRetransmits[i].Start && start < _pendingRetransmits[i].End)
            {
                return Reject(PublicationRejectReason.NakLingering);
            }
        }

        if (_pendingRetransmitCount == _pendingRetransmits.Length)
        {
            return Reject(PublicationRejectReason.RetransmitQueueFull);
        }

        _pendingRetransmits[_pendingRetransmitCount++] = new Range { Start = start, End = end };
        return 1;
    }

    private int OnError(ReadOnlySpan<byte> frame)
    {
        if (!ErrorFrame.IsValid(frame))
        {
            return Reject(PublicationRejectReason.InvalidError);
        }

        // §8.7: the receiver rejected us; it no longer counts towards being connected.
        Counters.ErrorsReceived++;
        LastErrorCode = ErrorFrame.ErrorCode(frame);
        RemoveReceiver(ErrorFrame.ReceiverId(frame));
        return 1;
    }

    private int OnRttm(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < RttmFrame.Length)
        {
            return Reject(PublicationRejectReason.ShortControlFrame);
        }

        if ((AeronFrame.Flags(frame) & RttmFrame.ReplyFlag) == 0)
        {
            return 0; // §8.6: senders ignore RTTMs that ask for no echo
        }

        _rttmReplyPending = true;
        _rttmEchoTimestamp = RttmFrame.EchoTimestamp(frame);
        _rttmReceiverId = RttmFrame.ReceiverId(frame);
        return 1;
    }

    private void TouchReceiver(long receiverId, long nowNs)
    {
        int free = -1;
        for (int i = 0; i < _receivers.Length; i++)
        {
            if (_receivers[i].InUse && _receivers[i].ReceiverId == receiverId)
            {
                _receivers[i].LastSmNs = nowNs;
                return;
            }

            if (!_receivers[i].InUse && free < 0)
            {
                free = i;
            }
        }

        if (free < 0)
        {
            // Full: replace the stalest. Unicast has one receiver; this only bounds a misbehaving peer.
            free = 0;
            for (int i = 1; i < _receivers.Length; i++)
            {
                if (_receivers[i].LastSmNs < _receivers[free].LastSmNs)
                {
                    free = i;
                }
            }
        }

        _receivers[free] = new ReceiverEntry { ReceiverId = receiverId, LastSmNs = nowNs, InUse = true };
    }

    private void RemoveReceiver(long receiverId)
    {
        bool any = false;
        for (int i = 0; i < _receivers.Length; i++)
        {
            if (_receivers[i].InUse && _receivers[i].ReceiverId == receiverId)
            {
                _receivers[i] = default;
            }

            any |= _receivers[i].InUse;
        }

        _connected = any;
    }

    private int Reject(PublicationRejectReason reason)
    {
        Counters.Reject(reason);
        return 0;
    }
}
