namespace LowLatency.Adapters.Aeron;

/// <summary>The duty cycle: liveness, SETUP, retransmissions, data, heartbeats, RTTM echo, linger (§7, §8).</summary>
public sealed partial class AeronPublication
{
    /// <summary>
    /// Runs one duty cycle at <paramref name="nowNs"/>, sending through <paramref name="sender"/>. Bounded work: at most
    /// <see cref="AeronPublicationOptions.MaxDatagramsPerWork"/> data datagrams plus what control needs. Returns the number
    /// of datagrams sent (0 = idle).
    /// </summary>
    public int DoWork<TSender>(long nowNs, ref TSender sender)
        where TSender : IDatagramSender, allows ref struct
    {
        if (_finished)
        {
            return 0;
        }

        CheckReceiverLiveness(nowNs);
        int work = SetupCheck(nowNs, ref sender);
        work += Retransmit(nowNs, ref sender);
        int data = _hasInitialConnection ? SendData(nowNs, ref sender) : 0;
        work += data;
        if (data == 0)
        {
            work += HeartbeatCheck(nowNs, ref sender);
        }

        if (_rttmReplyPending)
        {
            RttmFrame.Write(_control, 0, SessionId, StreamId, _rttmEchoTimestamp, 0, _rttmReceiverId);
            if (Send(_control.AsSpan(0, RttmFrame.Length), ref sender))
            {
                _rttmReplyPending = false;
                Counters.RttmReplies++;
                work++;
            }
        }

        LingerCheck(nowNs);
        return work;
    }

    private void CheckReceiverLiveness(long nowNs)
    {
        bool any = false;
        for (int i = 0; i < _receivers.Length; i++)
        {
            if (!_receivers[i].InUse)
            {
                continue;
            }

            if (nowNs - _receivers[i].LastSmNs > _options.ConnectionTimeoutNs)
            {
                _receivers[i] = default;
                Counters.ReceiversTimedOut++;
                continue;
            }

            any = true;
        }

        _connected = any;
    }

    private int SetupCheck<TSender>(long nowNs, ref TSender sender)
        where TSender : IDatagramSender, allows ref struct
    {
        // §8.2: SETUP every interval until the first SM; later only when a receiver asks (SEND_SETUP), and then only
        // until some receiver is live again.
        if ((_hasInitialConnection && !_shouldSendSetup) || nowNs - _lastSetupNs < _options.SetupIntervalNs)
        {
            return 0;
        }

        SetupFrame.Write(
            _control, 0, LogPosition.TermOffset(_senderPosition, _termLength), SessionId, StreamId, InitialTermId,
            LogPosition.TermId(_senderPosition, _positionBits, InitialTermId), _termLength, _mtu);
        if (!Send(_control.AsSpan(0, SetupFrame.Length), ref sender))
        {
            return 0;
        }

        _lastSetupNs = nowNs;
        Counters.SetupsSent++;
        if (_hasInitialConnection && _connected)
        {
            _shouldSendSetup = false;
        }

        return 1;
    }

    /// <summary>
    /// §7: datagrams of whole frames from the sender position up to the sender limit, at most
    /// <see cref="AeronPublicationOptions.MaxDatagramsPerWork"/>. The datagrams of one term are consecutive bytes of the
    /// log, so they go to the transport as one batch (one sendmmsg on Linux, as the C driver sends); the position moves
    /// only past the datagrams the transport took.
    /// </summary>
    private int SendData<TSender>(long nowNs, ref TSender sender)
        where TSender : IDatagramSender, allows ref struct
    {
        int sent = 0;
        while (sent < _options.MaxDatagramsPerWork)
        {
            long end = Math.Min(_tail, _senderLimit);
            int termOffset = LogPosition.TermOffset(_senderPosition, _termLength);
            Span<byte> term = Partition(_senderPosition);
            int count = 0;
            int bytes = 0;
            int padding = 0;
            while (sent + count < _options.MaxDatagramsPerWork)
            {
                long available = end - (_senderPosition + bytes);
                int offset = termOffset + bytes;
                if (available <= 0 || offset == _termLength)
                {
                    break;
                }

                int limit = (int)Math.Min(Math.Min(available, _mtu), _termLength - offset);
                int length = Scan(term, offset, limit, out padding);
                if (length == 0)
                {
                    break; // §7: the first frame does not fit the window; wait for the next SM
                }

                _batchLengths[count++] = length;
                bytes += length;
                if (padding > 0)
                {
                    break; // a PAD ends the term: the next datagram comes from the next partition
                }
            }

            if (count == 0)
            {
                break;
            }

            int taken = count == 1
                ? (sender.TrySend(term.Slice(termOffset, bytes)) ? 1 : 0)
                : sender.TrySendBatch(term.Slice(termOffset, bytes), _batchLengths.AsSpan(0, count));
            int takenBytes = taken == count ? bytes : Sum(_batchLengths.AsSpan(0, taken));
            _senderPosition += takenBytes + (taken == count ? padding : 0);
            Counters.DataDatagramsSent += taken;
            Counters.DataBytesSent += takenBytes;
            sent += taken;
            if (taken > 0)
            {
                _lastSendNs = nowNs;
            }

            if (taken < count)
            {
                Counters.SendFailures++;
                break;
            }
        }

        return sent;
    }

    private static int Sum(ReadOnlySpan<int> values)
    {
        int sum = 0;
        foreach (int value in values)
        {
            sum += value;
        }

        return sum;
    }

    /// <summary>
    /// §7: whole frames from <paramref name="termOffset"/> while they fit in <paramref name="limit"/> bytes. A PAD frame
    /// contributes only its header and ends the datagram; <paramref name="padding"/> is the rest of its extent, which the
    /// position skips without sending.
    /// </summary>
    private static int Scan(ReadOnlySpan<byte> term, int termOffset, int limit, out int padding)
    {
        padding = 0;
        int length = 0;
        while (length < limit)
        {
            ReadOnlySpan<byte> frame = term.Slice(termOffset + length);
            int aligned = AeronFrame.Align(AeronFrame.FrameLength(frame));
            bool isPad = AeronFrame.Type(frame) == FrameType.Pad;
            int carried = isPad ? DataFrame.HeaderLength : aligned;
            if (length + carried > limit)
            {
                break;
            }

            length += carried;
            if (isPad)
            {
                padding = aligned - DataFrame.HeaderLength;
                break;
            }
        }

        return length;
    }

    private int Retransmit<TSender>(long nowNs, ref TSender sender)
        where TSender : IDatagramSender, allows ref struct
    {
        int sent = 0;
        int done = 0;
        for (; done < _pendingRetransmitCount; done++)
        {
            Range range = _pendingRetransmits[done];
            if (!ResendRange(range.Start, range.End, ref sender, ref sent))
            {
                break;
            }

            Linger(range.Start, range.End, nowNs + _options.RetransmitLingerNs);
        }

        if (done > 0)
        {
            _pendingRetransmits.AsSpan(done, _pendingRetransmitCount - done).CopyTo(_pendingRetransmits);
            _pendingRetransmitCount -= done;
        }

        return sent;
    }

    /// <summary>Re-sends whole frames covering [start, end) as datagrams ≤ mtu (§8.5); false if the transport refused.</summary>
    private bool ResendRange<TSender>(long start, long end, ref TSender sender, ref int sent)
        where TSender : IDatagramSender, allows ref struct
    {
        long position = start;
        int termId = LogPosition.TermId(start, _positionBits, InitialTermId);
        ReadOnlySpan<byte> term = Partition(start);
        long termEnd = start - LogPosition.TermOffset(start, _termLength) + _termLength;
        while (position < end)
        {
            int termOffset = LogPosition.TermOffset(position, _termLength);
            ReadOnlySpan<byte> frame = term.Slice(termOffset);
            FrameType type = AeronFrame.Type(frame);
            if (AeronFrame.FrameLength(frame) < DataFrame.HeaderLength || (type != FrameType.Data && type != FrameType.Pad)
                || DataFrame.TermOffset(frame) != termOffset || DataFrame.TermId(frame) != termId)
            {
                // Only a frame start of this very term may begin a datagram; anything else is a forged or stale NAK.
                Counters.Reject(PublicationRejectReason.NakNotAtFrame);
                return true;
            }

            int limit = (int)Math.Min(_mtu, termEnd - position);
            int length = Scan(term, termOffset, (int)Math.Min(limit, Math.Max(end - position, AeronFrame.Align(AeronFrame.FrameLength(frame)))), out int padding);
            if (length == 0)
            {
                length = Scan(term, termOffset, limit, out padding); // a NAK shorter than its first frame still gets that frame
                if (length == 0)
                {
                    return true;
                }
            }

            if (!sender.TrySend(term.Slice(termOffset, length)))
            {
                Counters.SendFailures++;
                return false;
            }

            Counters.RetransmitDatagrams++;
            Counters.RetransmitBytes += length;
            sent++;
            position += length + padding;
        }

        return true;
    }

    private void Linger(long start, long end, long until)
    {
        int victim = 0;
        for (int i = 0; i < _lingeringRetransmits.Length; i++)
        {
            if (_lingeringRetransmits[i].Until < _lingeringRetransmits[victim].Until)
            {
                victim = i;
            }
        }

        _lingeringRetransmits[victim] = new Range { Start = start, End = end, Until = until };
    }

    private int HeartbeatCheck<TSender>(long nowNs, ref TSender sender)
        where TSender : IDatagramSender, allows ref struct
    {
        if (!_hasInitialConnection)
        {
            return 0;
        }

        bool endOfStream = _closed && _options.SignalEndOfStream && _senderPosition >= _tail;
        bool firstEndOfStream = endOfStream && !_endOfStreamSent;
        if (!firstEndOfStream && nowNs - _lastSendNs < _options.HeartbeatIntervalNs)
        {
            return 0;
        }

        // §3.2: a bare DATA header, frame_length 0, at the sender position; EOS once everything is sent after close.
        DataFrame.WriteHeader(
            _control, 0, endOfStream ? (byte)(DataFrame.UnfragmentedFlags | DataFrame.EndOfStreamFlag) : DataFrame.UnfragmentedFlags,
            FrameType.Data, LogPosition.TermOffset(_senderPosition, _termLength), SessionId, StreamId,
            LogPosition.TermId(_senderPosition, _positionBits, InitialTermId));
        if (!Send(_control.AsSpan(0, DataFrame.HeaderLength), ref sender))
        {
            return 0;
        }

        _lastSendNs = nowNs;
        _endOfStreamSent |= endOfStream;
        Counters.HeartbeatsSent++;
        return 1;
    }

    private void LingerCheck(long nowNs)
    {
        if (!_closed)
        {
            return;
        }

        // §8.8: done when the receiver acknowledged the end of stream, when the linger time is over, or at once if nobody
        // ever subscribed.
        bool drained = _senderPosition >= _tail;
        if (!_hasInitialConnection || (drained && (_endOfStreamReceived || !_connected)) || nowNs - _closeNs >= _options.LingerTimeoutNs)
        {
            _finished = true;
        }
    }

    private bool Send<TSender>(ReadOnlySpan<byte> datagram, ref TSender sender)
        where TSender : IDatagramSender, allows ref struct
    {
        if (sender.TrySend(datagram))
        {
            return true;
        }

        Counters.SendFailures++;
        return false;
    }
}
